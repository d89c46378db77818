//===- DequantUtils.h - IR building blocks of dequantization ----*- C++ -*-===//
//
// The arithmetic every lowering of a quantized lookup emits, written once so
// the CPU (linalg) and GPU lowerings compute exactly what the numerics
// library computes.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_DEQUANTUTILS_H
#define QEMBED_DIALECT_QEMBED_IR_DEQUANTUTILS_H

#include "mlir/IR/Builders.h"

namespace mlir::qembed {

/// An `index` constant.
Value constIndex(OpBuilder &b, Location loc, int64_t v);
/// An `i32` constant.
Value constI32(OpBuilder &b, Location loc, int64_t v);

/// Converts a float between f16/bf16/f32 (bf16 <-> f16 through f32).
Value convertFloat(OpBuilder &b, Location loc, Value v, Type to);

/// Clamps an id of any integer type into a row index in [0, rows).
Value clampRowIndex(OpBuilder &b, Location loc, Value id, Value rows);

/// Dequantizes an offset-binary code `u` (i32, masked to `bits`):
/// `((u - 2^(bits-1)) - zp) * scale` computed in f32 (exact for f16/bf16
/// scales), rounded to the scale's type, then converted to `resultType`.
/// The code becomes a float through the 2^23 mantissa trick, not sitofp.
/// `zeroPoint` (i8) may be null.
Value emitDequantCode(OpBuilder &b, Location loc, Value u, unsigned bits,
                      Value scale, Value zeroPoint, Type resultType);

/// Value of an E4M3FN code `u` (i32, 0..255) as an exact f32, by placing
/// its exponent and mantissa into an f32 and scaling by 2^120 (subnormal
/// codes included); NaN codes are not expected.
/// With `noSubnormals`, no intermediate is an f32 subnormal (for backends
/// that flush them, e.g. IREE's llvm-cpu); the value is the same.
Value emitDecodeE4M3(OpBuilder &b, Location loc, Value u,
                     bool noSubnormals = false);
/// Value of an E2M1 code `u` (i32, 0..15; bit 3 = sign) as an exact f32.
Value emitDecodeE2M1(OpBuilder &b, Location loc, Value u,
                     bool noSubnormals = false);

/// Dequantizes a float-format code `u` (i32, masked to the scheme's bits)
/// of a scheme whose format is not int (scheme = the scheme attribute,
/// passed as its parts to keep this header free of the dialect):
///  * fp8: `e4m3 * scale` in f32, rounded to the scale's type;
///  * nvfp4: `e2m1 * (f32(scale) / globalScale)` in f32 (scale f8E4M3FN);
///  * mxfp4: `e2m1 * 2^(scale - 127)` (scale f8E8M0FNU), exact;
/// then converted to `resultType`. Matches ::qembed::dequantizeFloatElement.
/// `noSubnormals` as for emitDecodeE4M3.
Value emitDequantFloatCode(OpBuilder &b, Location loc, Value u, unsigned format,
                           Value scale, float globalScale, Type resultType,
                           bool noSubnormals = false);

/// `scales` (a ranked tensor of f8 values: NVFP4's f8E4M3FN, MXFP4's
/// f8E8M0FNU) as an i8 tensor of the same bytes. A constant is rebuilt as an
/// i8 constant over the same data (IREE 3.13 cannot serialize f8 constants:
/// "unhandled float element bit width 8"); anything else goes through
/// arith.bitcast, except an arith.bitcast of i8 bytes, whose bytes are
/// returned. emitDequantFloatCode takes i8 scale elements as they are.
Value scalesAsBytes(OpBuilder &b, Location loc, Value scales);

/// Erases the unused f8 tensor constants and bitcasts to f8 under `root`
/// (the originals scalesAsBytes rebuilt or looked through).
void eraseDeadF8Constants(Operation *root);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_IR_DEQUANTUTILS_H
