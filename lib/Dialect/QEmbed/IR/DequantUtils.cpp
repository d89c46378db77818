//===- DequantUtils.cpp - IR building blocks of dequantization ------------===//

#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

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
