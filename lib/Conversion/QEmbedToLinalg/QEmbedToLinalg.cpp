//===- QEmbedToLinalg.cpp - --qembed-to-linalg ----------------------------===//
//
// Lowers qembed lookups to linalg.generic ops whose bodies read the packed
// table with tensor.extract and dequantize with arith: the form IREE and
// Torch-MLIR backends vectorize.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_CONVERTQEMBEDTOLINALG
#include "qembed/Conversion/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

namespace {
/// Operands of a packed table.
struct PackedTable {
  Value packed, scales, zeroPoints;
  SchemeAttr scheme;
  int64_t cols;
};
} // namespace

/// The scales as the lowering reads them: f8 scales (NVFP4, MXFP4) as their
/// i8 bytes (scalesAsBytes), others as they are.
static Value scaleBytes(OpBuilder &b, Location loc, Value scales) {
  if (isa<Float8E4M3FNType, Float8E8M0FNUType>(
          cast<ShapedType>(scales.getType()).getElementType()))
    return scalesAsBytes(b, loc, scales);
  return scales;
}

/// Emits the dequantized value of element (row, col) of a packed table,
/// converted to `resultType`. Matches ::qembed::dequantizeElement exactly.
static Value emitDequantElement(OpBuilder &b, Location loc,
                                const PackedTable &t, Value row, Value col,
                                Type resultType) {
  unsigned bits = t.scheme.getBits();
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value code;
  if (32 % bits == 0) {
    // Codes never straddle words: word = col / (32/bits).
    int64_t perWord = 32 / bits;
    Value w = arith::DivUIOp::create(b, loc, col, constIndex(b, loc, perWord));
    Value slot =
        arith::RemUIOp::create(b, loc, col, constIndex(b, loc, perWord));
    Value shift = arith::MulIOp::create(
        b, loc, arith::IndexCastUIOp::create(b, loc, i32, slot),
        constI32(b, loc, bits));
    Value word =
        tensor::ExtractOp::create(b, loc, t.packed, ValueRange{row, w});
    code = arith::ShRUIOp::create(b, loc, word, shift);
  } else {
    // A code may straddle two words: read both as one i64.
    Value bit = arith::MulIOp::create(b, loc, col, constIndex(b, loc, bits));
    Value w = arith::DivUIOp::create(b, loc, bit, constIndex(b, loc, 32));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64,
        arith::RemUIOp::create(b, loc, bit, constIndex(b, loc, 32)));
    int64_t lastWord = t.scheme.getWordsPerRow(t.cols) - 1;
    Value w1 = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, w, constIndex(b, loc, 1)),
        constIndex(b, loc, lastWord));
    Value lo = arith::ExtUIOp::create(
        b, loc, i64,
        tensor::ExtractOp::create(b, loc, t.packed, ValueRange{row, w}));
    Value hi = arith::ExtUIOp::create(
        b, loc, i64,
        tensor::ExtractOp::create(b, loc, t.packed, ValueRange{row, w1}));
    Value both = arith::OrIOp::create(
        b, loc, lo,
        arith::ShLIOp::create(b, loc, hi,
                              arith::ConstantIntOp::create(b, loc, 32, 64)));
    code = arith::TruncIOp::create(b, loc, i32,
                                   arith::ShRUIOp::create(b, loc, both, shift));
  }
  Value u =
      arith::AndIOp::create(b, loc, code, constI32(b, loc, (1 << bits) - 1));
  Value group = constIndex(b, loc, 0);
  if (t.scheme.getGroupSize() != 0)
    group = arith::DivUIOp::create(b, loc, col,
                                   constIndex(b, loc, t.scheme.getGroupSize()));
  Value zp;
  if (t.zeroPoints)
    zp =
        tensor::ExtractOp::create(b, loc, t.zeroPoints, ValueRange{row, group});
  Value scale =
      tensor::ExtractOp::create(b, loc, t.scales, ValueRange{row, group});
  if (!t.scheme.isInt()) {
    FloatAttr g = t.scheme.getGlobalScale();
    return emitDequantFloatCode(b, loc, u, unsigned(t.scheme.getFormat()),
                                scale, g ? g.getValue().convertToFloat() : 1.0f,
                                resultType, /*noSubnormals=*/true);
  }
  return emitDequantCode(b, loc, u, bits, scale, zp, resultType);
}

/// tensor.empty of `type` whose dynamic dims come from `ids` (same leading
/// shape).
static Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                       Value ids) {
  SmallVector<Value> dyn;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    if (type.isDynamicDim(i))
      dyn.push_back(tensor::DimOp::create(b, loc, ids, i));
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dyn);
}

/// Builds `linalg.generic ins(ids) outs(empty)` with body `fn(row, col)`.
template <typename BodyFn>
static Value buildRowGather(OpBuilder &b, Location loc, RankedTensorType type,
                            Value ids, Value rows, BodyFn fn) {
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap idsMap =
      AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyLike(b, loc, type, ids);
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{ids}, ValueRange{init},
      ArrayRef<AffineMap>{idsMap, outMap}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value row = clampRowIndex(nb, nl, args[0], rows);
        Value col = linalg::IndexOp::create(nb, nl, rank - 1);
        Value v = fn(nb, nl, row, col);
        linalg::YieldOp::create(nb, nl, v);
      });
  return generic.getResult(0);
}

namespace {
/// The number of rows of `table` as an index; a dynamic count is asserted
/// to be non-zero at run time (ids are clamped into [0, rows): an empty
/// table has no row to read, and reading one would be out of bounds).
static Value rowCount(OpBuilder &b, Location loc, Value table) {
  Value rows = tensor::DimOp::create(b, loc, table, 0);
  if (ShapedType::isDynamic(cast<RankedTensorType>(table.getType())
                                .getDimSize(0))) {
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rows,
                                      constIndex(b, loc, 0));
    cf::AssertOp::create(b, loc, any,
                         "qembed: lookup in an embedding table with no rows");
  }
  return rows;
}

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    PackedTable t{adaptor.getPacked(),
                  scaleBytes(rewriter, op.getLoc(), adaptor.getScales()),
                  adaptor.getZeroPoints(), op.getScheme(),
                  type.getShape().back()};
    Value rows = rowCount(rewriter, loc, t.packed);
    Type elt = type.getElementType();
    rewriter.replaceOp(
        op, buildRowGather(rewriter, loc, type, adaptor.getIds(), rows,
                           [&](OpBuilder &b, Location l, Value r, Value c) {
                             return emitDequantElement(b, l, t, r, c, elt);
                           }));
    return success();
  }
};

struct LookupLowering : OpConversionPattern<LookupOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LookupOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable();
    Value rows = rowCount(rewriter, loc, table);
    rewriter.replaceOp(
        op,
        buildRowGather(
            rewriter, loc, op.getType(), adaptor.getIds(), rows,
            [&](OpBuilder &b, Location l, Value r, Value c) {
              return tensor::ExtractOp::create(b, l, table, ValueRange{r, c});
            }));
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    PackedTable t{adaptor.getPacked(),
                  scaleBytes(rewriter, op.getLoc(), adaptor.getScales()),
                  adaptor.getZeroPoints(), op.getScheme(), type.getDimSize(1)};
    SmallVector<Value> dyn;
    if (type.isDynamicDim(0))
      dyn.push_back(tensor::DimOp::create(rewriter, loc, t.packed, 0));
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(), dyn);
    MLIRContext *ctx = getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{id}, iters,
        [&](OpBuilder &b, Location l, ValueRange) {
          Value r = linalg::IndexOp::create(b, l, 0);
          Value c = linalg::IndexOp::create(b, l, 1);
          linalg::YieldOp::create(
              b, l, emitDequantElement(b, l, t, r, c, type.getElementType()));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// Widens `v` (f16/bf16/f32) to f32 exactly. bf16 is widened with integer
/// ops (its bits shifted into the high half of an f32): iree-base-compiler
/// 3.13's llvm-cpu folds `arith.extf(arith.truncf(x : f32 to bf16))` to `x`,
/// which would drop the rounding to bf16 that the bag sums are defined with.
static Value widenToF32(OpBuilder &b, Location loc, Value v) {
  if (!v.getType().isBF16())
    return convertFloat(b, loc, v, b.getF32Type());
  Value bits = arith::BitcastOp::create(b, loc, b.getI16Type(), v);
  Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
  Value high = arith::ShLIOp::create(b, loc, wide, constI32(b, loc, 16));
  return arith::BitcastOp::create(b, loc, b.getF32Type(), high);
}

/// Builds the bag reduction of qembed.lookup_bags / qembed.gather_bags:
/// `linalg.generic ins(offsets) outs(empty : B x D)`, whose body finds bag
/// b's ids [begin, end) (Bags.h's bagBounds), loops over them with an
/// scf.for accumulating `value(row, col)` (of the result's element type)
/// widened to f32, rounds the sum to the result type and, for mean, divides
/// it by the count in f32 and rounds again. Only the rows of the bag's ids
/// are read.
template <typename ValueFn>
static Value buildBagReduce(OpBuilder &b, Location loc, RankedTensorType type,
                            Value ids, Value offsets, Value rows, BagMode mode,
                            ValueFn value) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(tensor::DimOp::create(b, loc, offsets, 0));
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                       type.getElementType(), dyn);
  Value numIds = tensor::DimOp::create(b, loc, ids, 0);
  Value numBags = tensor::DimOp::create(b, loc, offsets, 0);
  AffineMap offsetsMap = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
  Type elt = type.getElementType();
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{offsets}, ValueRange{init},
      ArrayRef<AffineMap>{offsetsMap, outMap}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type indexType = nb.getIndexType();
        auto toIndex = [&](Value v) -> Value {
          if (v.getType().isIndex())
            return v;
          return arith::IndexCastOp::create(nb, nl, indexType, v);
        };
        Value zero = constIndex(nb, nl, 0), one = constIndex(nb, nl, 1);
        auto clampPos = [&](Value p) -> Value {
          Value lo = arith::MaxSIOp::create(nb, nl, p, zero);
          return arith::MinSIOp::create(nb, nl, lo, numIds);
        };
        Value bag = linalg::IndexOp::create(nb, nl, 0);
        Value col = linalg::IndexOp::create(nb, nl, 1);
        Value begin = clampPos(toIndex(args[0]));
        Value next = arith::AddIOp::create(nb, nl, bag, one);
        Value isLast = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                             next, numBags);
        // The last bag reads no offset past the end of `offsets`.
        Value nextIndex = arith::SelectOp::create(nb, nl, isLast, bag, next);
        Value nextOffset = clampPos(toIndex(
            tensor::ExtractOp::create(nb, nl, offsets, ValueRange{nextIndex})));
        Value end = arith::SelectOp::create(nb, nl, isLast, numIds, nextOffset);
        end = arith::MaxSIOp::create(nb, nl, end, begin);
        Type f32 = nb.getF32Type();
        Value acc0 = arith::ConstantFloatOp::create(
            nb, nl, cast<FloatType>(f32), APFloat(0.0f));
        auto loop = scf::ForOp::create(
            nb, nl, begin, end, one, ValueRange{acc0},
            [&](OpBuilder &lb, Location ll, Value i, ValueRange iterArgs) {
              Value id = tensor::ExtractOp::create(lb, ll, ids, ValueRange{i});
              Value row = clampRowIndex(lb, ll, id, rows);
              Value v = widenToF32(lb, ll, value(lb, ll, row, col));
              Value acc = arith::AddFOp::create(lb, ll, iterArgs[0], v);
              scf::YieldOp::create(lb, ll, acc);
            });
        Value sum = convertFloat(nb, nl, loop.getResult(0), elt);
        if (mode == BagMode::Mean) {
          Value count = arith::SubIOp::create(nb, nl, end, begin);
          Value countF = arith::UIToFPOp::create(
              nb, nl, f32,
              arith::IndexCastUIOp::create(nb, nl, nb.getI64Type(), count));
          Value mean =
              arith::DivFOp::create(nb, nl, widenToF32(nb, nl, sum), countF);
          Value nonEmpty = arith::CmpIOp::create(
              nb, nl, arith::CmpIPredicate::ne, count, zero);
          sum = arith::SelectOp::create(nb, nl, nonEmpty,
                                        convertFloat(nb, nl, mean, elt), sum);
        }
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

struct GatherBagsLowering : OpConversionPattern<GatherBagsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherBagsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    PackedTable t{adaptor.getPacked(),
                  scaleBytes(rewriter, op.getLoc(), adaptor.getScales()),
                  adaptor.getZeroPoints(), op.getScheme(), type.getDimSize(1)};
    Value rows = rowCount(rewriter, loc, t.packed);
    Type elt = type.getElementType();
    rewriter.replaceOp(
        op, buildBagReduce(rewriter, loc, type, adaptor.getIds(),
                           adaptor.getOffsets(), rows, op.getMode(),
                           [&](OpBuilder &b, Location l, Value r, Value c) {
                             return emitDequantElement(b, l, t, r, c, elt);
                           }));
    return success();
  }
};

struct LookupBagsLowering : OpConversionPattern<LookupBagsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LookupBagsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable();
    Value rows = rowCount(rewriter, loc, table);
    rewriter.replaceOp(
        op, buildBagReduce(
                rewriter, loc, op.getType(), adaptor.getIds(),
                adaptor.getOffsets(), rows, op.getMode(),
                [&](OpBuilder &b, Location l, Value r, Value c) -> Value {
                  return tensor::ExtractOp::create(b, l, table,
                                                   ValueRange{r, c});
                }));
    return success();
  }
};

struct ConvertQEmbedToLinalgPass
    : mlir::qembed::impl::ConvertQEmbedToLinalgBase<ConvertQEmbedToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<QEmbedDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, cf::ControlFlowDialect,
                           scf::SCFDialect>();
    RewritePatternSet patterns(&getContext());
    populateQEmbedToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    // f8 scale constants now read as i8 copies are dead (IREE 3.13 cannot
    // serialize f8 constants).
    eraseDeadF8Constants(getOperation());
  }
};
} // namespace

void mlir::qembed::populateQEmbedToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherLowering, LookupLowering, DequantizeLowering>(
      patterns.getContext());
  patterns.add<GatherBagsLowering, LookupBagsLowering>(patterns.getContext());
  populateCodebookToLinalgPatterns(patterns);
}
