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

/// Emits the dequantized value of code `u` (already masked) of row `row`
/// and scale group `group` of a packed table, converted to `resultType`.
static Value emitDequantCodeAt(OpBuilder &b, Location loc, const PackedTable &t,
                               Value u, Value row, Value group,
                               Type resultType) {
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
  return emitDequantCode(b, loc, u, t.scheme.getBits(), scale, zp, resultType);
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
  return emitDequantCodeAt(b, loc, t, u, row, group, resultType);
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

/// The number of output values the chunked gather (buildChunkedGather)
/// computes per step of its innermost loop, or 0 when the scheme and row
/// width do not allow it: integer codes that never straddle words
/// (32 % bits == 0), a row width and a group size that are multiples of the
/// chunk. A chunk is at least 16 values (one AVX-512 f32 vector) and at
/// least one word.
static int64_t gatherChunkLanes(SchemeAttr scheme, int64_t cols) {
  unsigned bits = scheme.getBits();
  if (!scheme.isInt() || 32 % bits != 0 || ShapedType::isDynamic(cols))
    return 0;
  int64_t lanes = std::max<int64_t>(16, 32 / bits);
  int64_t group = scheme.getGroupSize();
  if (cols % lanes != 0 || (group != 0 && group % lanes != 0))
    return 0;
  return lanes;
}

/// A rank-1 i32 constant tensor of `values`.
static Value constI32Tensor(OpBuilder &b, Location loc,
                            ArrayRef<int32_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI32Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

/// Builds the gather of a packed table as a `linalg.generic` over
/// (ids..., chunk, lane) whose result [ids..., D / lanes, lanes] is
/// collapsed to [ids..., D]. The chunk's K = lanes / (32 / bits) words are
/// each read with a `tensor.extract` that does not depend on the lane (a
/// scalar load a vectorizer broadcasts), the lane's word is picked by
/// `arith.select`s on the bits of its word number, and its shift comes from
/// a constant operand indexed by the lane only; the scale (and zero point)
/// of the chunk's group does not depend on the lane either. IREE's llvm-cpu
/// vectorizes the lane dim into broadcast loads, blends and shifts instead
/// of one gathered load per value (upstream's linalg vectorizer, which takes
/// a value read from the ids operand as varying, emits `vector.gather`s of
/// splat indices), and the lane operands keep the (chunk, lane) dims from
/// being collapsed back into one. Same arithmetic per value as
/// emitDequantElement.
static Value buildChunkedGather(OpBuilder &b, Location loc,
                                RankedTensorType type, Value ids, Value rows,
                                const PackedTable &t, int64_t lanes) {
  MLIRContext *ctx = b.getContext();
  unsigned bits = t.scheme.getBits();
  int64_t perWord = 32 / bits, wordsPerChunk = lanes / perWord;
  int64_t idRank = type.getRank() - 1, loops = idRank + 2;
  int64_t chunks = type.getShape().back() / lanes;

  SmallVector<int32_t> shifts, laneWords;
  for (int64_t lane = 0; lane < lanes; ++lane) {
    shifts.push_back(int32_t((lane % perWord) * bits));
    laneWords.push_back(int32_t(lane / perWord));
  }
  Value shiftsT = constI32Tensor(b, loc, shifts);
  Value laneWordsT = constI32Tensor(b, loc, laneWords);

  SmallVector<int64_t> shape(type.getShape().drop_back());
  shape.append({chunks, lanes});
  auto chunkedType = RankedTensorType::get(shape, type.getElementType());
  Value init = emptyLike(b, loc, chunkedType, ids);

  SmallVector<AffineExpr> idDims;
  for (int64_t i = 0; i < idRank; ++i)
    idDims.push_back(getAffineDimExpr(i, ctx));
  AffineMap idsMap = AffineMap::get(loops, 0, idDims, ctx);
  AffineMap laneMap =
      AffineMap::get(loops, 0, getAffineDimExpr(idRank + 1, ctx));
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(loops, ctx);
  SmallVector<utils::IteratorType> iters(loops, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, chunkedType, ValueRange{ids, shiftsT, laneWordsT},
      ValueRange{init}, ArrayRef<AffineMap>{idsMap, laneMap, laneMap, outMap},
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value row = clampRowIndex(nb, nl, args[0], rows);
        Value chunk = linalg::IndexOp::create(nb, nl, idRank);
        Value first = chunk;
        if (wordsPerChunk != 1)
          first = arith::MulIOp::create(nb, nl, chunk,
                                        constIndex(nb, nl, wordsPerChunk));
        SmallVector<Value> words;
        for (int64_t k = 0; k < wordsPerChunk; ++k) {
          Value w = k == 0 ? first
                           : arith::AddIOp::create(nb, nl, first,
                                                   constIndex(nb, nl, k))
                                 .getResult();
          words.push_back(
              tensor::ExtractOp::create(nb, nl, t.packed, ValueRange{row, w}));
        }
        // Pairwise selects on bit `level` of the lane's word number.
        Value zero = constI32(nb, nl, 0);
        for (int64_t level = 0; words.size() > 1; ++level) {
          Value bit = arith::AndIOp::create(nb, nl, args[2],
                                            constI32(nb, nl, 1 << level));
          Value odd = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne,
                                            bit, zero);
          SmallVector<Value> next;
          for (size_t i = 0; i < words.size(); i += 2)
            next.push_back(
                arith::SelectOp::create(nb, nl, odd, words[i + 1], words[i]));
          words = std::move(next);
        }
        Value code = arith::ShRUIOp::create(nb, nl, words.front(), args[1]);
        Value u = arith::AndIOp::create(nb, nl, code,
                                        constI32(nb, nl, (1 << bits) - 1));
        // The chunk's scale group: g / lanes chunks per group.
        int64_t g = t.scheme.getGroupSize();
        Value group = chunk;
        if (g == 0)
          group = constIndex(nb, nl, 0);
        else if (g != lanes)
          group = arith::DivUIOp::create(nb, nl, chunk,
                                         constIndex(nb, nl, g / lanes));
        linalg::YieldOp::create(
            nb, nl,
            emitDequantCodeAt(nb, nl, t, u, row, group, type.getElementType()));
      });
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < idRank; ++i)
    groups.push_back({i});
  groups.push_back({idRank, idRank + 1});
  return tensor::CollapseShapeOp::create(b, loc, type, generic.getResult(0),
                                         groups);
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
  GatherLowering(MLIRContext *ctx, bool chunked)
      : OpConversionPattern(ctx), chunked(chunked) {}

  /// Whether eligible gathers take the chunked form (buildChunkedGather).
  bool chunked;

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
    if (int64_t lanes = chunked ? gatherChunkLanes(t.scheme, t.cols) : 0) {
      rewriter.replaceOp(op,
                         buildChunkedGather(rewriter, loc, type,
                                            adaptor.getIds(), rows, t, lanes));
      return success();
    }
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
  using ConvertQEmbedToLinalgBase::ConvertQEmbedToLinalgBase;

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<QEmbedDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, cf::ControlFlowDialect,
                           scf::SCFDialect>();
    RewritePatternSet patterns(&getContext());
    populateQEmbedToLinalgPatterns(patterns, chunkedGathers);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    // f8 scale constants now read as i8 copies are dead (IREE 3.13 cannot
    // serialize f8 constants).
    eraseDeadF8Constants(getOperation());
  }
};
} // namespace

void mlir::qembed::populateQEmbedToLinalgPatterns(RewritePatternSet &patterns,
                                                  bool chunkedGathers) {
  patterns.add<GatherLowering>(patterns.getContext(), chunkedGathers);
  patterns.add<LookupLowering, DequantizeLowering>(patterns.getContext());
  patterns.add<GatherBagsLowering, LookupBagsLowering>(patterns.getContext());
  populateCodebookToLinalgPatterns(patterns);
}
