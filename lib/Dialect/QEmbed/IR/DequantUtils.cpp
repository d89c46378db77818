//===- DequantUtils.cpp - IR building blocks of dequantization ------------===//

#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"

#include "qembed/Numerics/FloatFormats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

Value mlir::qembed::constIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value mlir::qembed::constI32(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, v, 32);
}

Value mlir::qembed::convertFloat(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return arith::ExtFOp::create(b, loc, to, v);
  if (fw > tw)
    return arith::TruncFOp::create(b, loc, to, v);
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return arith::TruncFOp::create(b, loc, to, wide);
}

Value mlir::qembed::clampRowIndex(OpBuilder &b, Location loc, Value id,
                                  Value rows) {
  Value row = id;
  if (!id.getType().isIndex())
    row = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
  Value last = arith::SubIOp::create(b, loc, rows, constIndex(b, loc, 1));
  row = arith::MaxSIOp::create(b, loc, row, constIndex(b, loc, 0));
  return arith::MinSIOp::create(b, loc, row, last);
}

Value mlir::qembed::emitDequantCode(OpBuilder &b, Location loc, Value u,
                                    unsigned bits, Value scale, Value zeroPoint,
                                    Type resultType) {
  // q - zp as an exact f32 without an int->float conversion: OR-ing u into
  // the mantissa of 2^23 gives the float 2^23 + u; subtracting
  // 2^23 + 2^(bits-1) + zp leaves u - 2^(bits-1) - zp (all integers < 2^24,
  // so every step is exact).
  Type f32 = b.getF32Type();
  Value magic = arith::OrIOp::create(b, loc, u, constI32(b, loc, 0x4B000000));
  Value biased = arith::BitcastOp::create(b, loc, f32, magic);
  Value bias = arith::ConstantFloatOp::create(
      b, loc, cast<FloatType>(f32),
      APFloat(float(8388608 + (1 << (bits - 1)))));
  if (zeroPoint)
    bias = arith::AddFOp::create(
        b, loc, bias, arith::SIToFPOp::create(b, loc, f32, zeroPoint));
  Value qf = arith::SubFOp::create(b, loc, biased, bias);
  // (q - zp) * scale is exact in f32 for f16/bf16 scales, so rounding the
  // f32 product once to the scale type equals the scale-type arithmetic.
  Value prod =
      arith::MulFOp::create(b, loc, qf, convertFloat(b, loc, scale, f32));
  Value value = convertFloat(b, loc, prod, scale.getType());
  return convertFloat(b, loc, value, resultType);
}

/// bitcast<f32>(((u & magMask) << shift) * 2^scaleLog2) with the sign bit
/// (u & signMask) moved to bit 31: the value of a small float code whose
/// exponent and mantissa fields, placed at `shift`, line up with f32's.
static Value decodeSmallFloat(OpBuilder &b, Location loc, Value u,
                              int64_t magMask, int64_t signMask, unsigned shift,
                              int scaleLog2, bool noSubnormals) {
  Type f32 = b.getF32Type();
  Value magInt =
      arith::AndIOp::create(b, loc, u, mlir::qembed::constI32(b, loc, magMask));
  Value magBits = arith::ShLIOp::create(b, loc, magInt,
                                        mlir::qembed::constI32(b, loc, shift));
  Value mag = arith::MulFOp::create(
      b, loc, arith::BitcastOp::create(b, loc, f32, magBits),
      arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                     APFloat(std::ldexp(1.0f, scaleLog2))));
  if (noSubnormals) {
    // A code with a zero exponent field makes an f32 subnormal above, which
    // backends that flush subnormals (IREE's llvm-cpu) read as 0. Its value
    // is its mantissa m times 2^(shift - 149 + scaleLog2): computed from
    // uitofp(m) instead, exactly, without a subnormal.
    Value sub = arith::MulFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, f32, magInt),
        arith::ConstantFloatOp::create(
            b, loc, cast<FloatType>(f32),
            APFloat(std::ldexp(1.0f, int(shift) - 149 + scaleLog2))));
    Value isSub = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult, magInt,
        mlir::qembed::constI32(b, loc, int64_t(1) << (23 - shift)));
    mag = arith::SelectOp::create(b, loc, isSub, sub, mag);
  }
  // Bit 31 of the result: the code's sign bit shifted up.
  unsigned signBit = 0;
  while ((int64_t(1) << signBit) != signMask)
    ++signBit;
  Value sign = arith::ShLIOp::create(
      b, loc,
      arith::AndIOp::create(b, loc, u,
                            mlir::qembed::constI32(b, loc, signMask)),
      mlir::qembed::constI32(b, loc, 31 - signBit));
  Value bits = arith::OrIOp::create(
      b, loc, arith::BitcastOp::create(b, loc, b.getI32Type(), mag), sign);
  return arith::BitcastOp::create(b, loc, f32, bits);
}

Value mlir::qembed::emitDecodeE4M3(OpBuilder &b, Location loc, Value u,
                                   bool noSubnormals) {
  // eeee.mmm at bits 26..20: f32 exponent field e, so x 2^(127 - 7).
  return decodeSmallFloat(b, loc, u, 0x7F, 0x80, 20, 120, noSubnormals);
}

Value mlir::qembed::emitDecodeE2M1(OpBuilder &b, Location loc, Value u,
                                   bool noSubnormals) {
  // ee.m at bits 24..22: f32 exponent field e, so x 2^(127 - 1).
  return decodeSmallFloat(b, loc, u, 0x7, 0x8, 22, 126, noSubnormals);
}

Value mlir::qembed::emitDequantFloatCode(OpBuilder &b, Location loc, Value u,
                                         unsigned format, Value scale,
                                         float globalScale, Type resultType,
                                         bool noSubnormals) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto fmt = ::qembed::Format(format);
  if (fmt == ::qembed::Format::FP8) {
    // (Operands built in sequence: argument evaluation order is unspecified
    // and the emitted IR must not depend on the host compiler.)
    Value code = emitDecodeE4M3(b, loc, u, noSubnormals);
    Value prod =
        arith::MulFOp::create(b, loc, code, convertFloat(b, loc, scale, f32));
    Value value = convertFloat(b, loc, prod, scale.getType());
    return convertFloat(b, loc, value, resultType);
  }
  // The f8 scale's byte as an i32.
  // (Scales may come as i8 already: see scalesAsBytes.)
  Value raw = scale.getType().isInteger(8)
                  ? scale
                  : arith::BitcastOp::create(b, loc, b.getI8Type(), scale)
                        .getResult();
  Value byte = arith::ExtUIOp::create(b, loc, i32, raw);
  Value s;
  if (fmt == ::qembed::Format::NVFP4) {
    Value decoded = emitDecodeE4M3(b, loc, byte, noSubnormals);
    s = arith::DivFOp::create(
        b, loc, decoded,
        arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                       APFloat(globalScale)));
  } else {
    // 2^(c - 127): c << 23, except c = 0 (2^-127, an f32 subnormal).
    Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, byte,
                                         mlir::qembed::constI32(b, loc, 0));
    Value bits = arith::SelectOp::create(
        b, loc, isZero, mlir::qembed::constI32(b, loc, 0x00400000),
        arith::ShLIOp::create(b, loc, byte,
                              mlir::qembed::constI32(b, loc, 23)));
    s = arith::BitcastOp::create(b, loc, f32, bits);
  }
  Value code = emitDecodeE2M1(b, loc, u, noSubnormals);
  Value prod = arith::MulFOp::create(b, loc, code, s);
  return convertFloat(b, loc, prod, resultType);
}

Value mlir::qembed::scalesAsBytes(OpBuilder &b, Location loc, Value scales) {
  auto type = cast<RankedTensorType>(scales.getType());
  auto bytesType = type.clone(b.getI8Type());
  // Bytes cast to f8 (--qembed-quantize-globals stores f8 scales as i8):
  // the bytes themselves.
  if (auto cast = scales.getDefiningOp<arith::BitcastOp>())
    if (cast.getIn().getType() == bytesType)
      return cast.getIn();
  if (auto constant = scales.getDefiningOp<arith::ConstantOp>()) {
    Attribute value = constant.getValue();
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      return arith::ConstantOp::create(b, loc, bytesType,
                                       dense.bitcast(b.getI8Type()));
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
      return arith::ConstantOp::create(
          b, loc, bytesType,
          DenseResourceElementsAttr::get(bytesType, resource.getRawHandle()));
  }
  return arith::BitcastOp::create(b, loc, bytesType, scales);
}

void mlir::qembed::eraseDeadF8Constants(Operation *root) {
  root->walk([](arith::ConstantOp c) {
    auto type = dyn_cast<ShapedType>(c.getType());
    if (type && c->use_empty() &&
        isa<Float8E4M3FNType, Float8E8M0FNUType>(type.getElementType()))
      c->erase();
  });
  // Likewise the dead casts of i8 bytes to f8 that scalesAsBytes looked
  // through.
  root->walk([](arith::BitcastOp c) {
    auto type = dyn_cast<ShapedType>(c.getType());
    if (type && c->use_empty() &&
        isa<Float8E4M3FNType, Float8E8M0FNUType>(type.getElementType()))
      c->erase();
  });
}
