//===- QEmbedToVector.cpp - --qembed-gather-to-vector ---------------------===//
//
// Lowers qembed.gather to a loop over the ids and, per row, over chunks of
// columns handled as vectors: one read of the chunk's packed words, a
// shuffle giving each column its word, shift and mask by column, and the
// dequantization arithmetic of DequantUtils on whole vectors. The CPU
// pipeline's lowering (--qembed-to-linalg, for other backends, emits
// linalg.generic forms; what this pass does not take it lowers element by
// element). With
// parallel=true the loop over the ids becomes an scf.forall over blocks of
// ids (--qembed-cpu-pipeline parallel=true runs it with OpenMP).
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_CONVERTQEMBEDGATHERTOVECTOR
#include "qembed/Conversion/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

/// The columns per chunk for `op`: the largest power of 2 up to
/// `vectorSize` that divides the row length and the group size and holds
/// whole words; 0 when there is none.
static int64_t chunkColumns(GatherOp op, int64_t vectorSize) {
  SchemeAttr scheme = op.getScheme();
  int64_t cols = op.getType().getShape().back();
  int64_t group = scheme.getGroupSize();
  int64_t perWord = 32 / scheme.getBits();
  for (int64_t ch = vectorSize; ch >= perWord; ch /= 2)
    if (cols % ch == 0 && (group == 0 || group % ch == 0))
      return ch;
  return 0;
}

std::string mlir::qembed::whyGatherNotVectorized(Operation *op,
                                                 int64_t vectorSize) {
  auto gather = dyn_cast<GatherOp>(op);
  if (!gather)
    return "not a qembed.gather";
  // FP8 / NVFP4 / MXFP4 codes are not integers: --qembed-to-linalg decodes
  // them.
  if (!gather.getScheme().isInt())
    return "float-format codes are lowered by --qembed-to-linalg";
  unsigned bits = gather.getScheme().getBits();
  if (32 % bits != 0)
    return std::to_string(bits) +
           "-bit codes straddle words (only 2, 4 and 8 bits are vectorized)";
  if (cast<RankedTensorType>(gather.getPacked().getType()).isDynamicDim(0))
    return "the table's row count is dynamic";
  if (cast<RankedTensorType>(gather.getIds().getType()).getRank() == 0)
    return "the ids are 0-d";
  if (chunkColumns(gather, vectorSize) == 0)
    return "no chunk of whole words (" + std::to_string(32 / bits) +
           " codes) up to vector-size=" + std::to_string(vectorSize) +
           " divides the row length and the group size";
  return "";
}

/// A constant vector of i32 `values`.
static Value constI32Vector(OpBuilder &b, Location loc,
                            ArrayRef<int32_t> values) {
  auto type = VectorType::get({int64_t(values.size())}, b.getI32Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

/// convertFloat on vectors: f16/bf16/f32 of `v` to element type `to`
/// (bf16 <-> f16 through f32), as DequantUtils converts scalars.
static Value convertFloatVector(OpBuilder &b, Location loc, Value v, Type to) {
  auto from = cast<VectorType>(v.getType());
  Type fromElt = from.getElementType();
  if (fromElt == to)
    return v;
  auto toType = from.clone(to);
  unsigned fw = fromElt.getIntOrFloatBitWidth(),
           tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return arith::ExtFOp::create(b, loc, toType, v);
  if (fw > tw)
    return arith::TruncFOp::create(b, loc, toType, v);
  Value wide = arith::ExtFOp::create(b, loc, from.clone(b.getF32Type()), v);
  return arith::TruncFOp::create(b, loc, toType, wide);
}

/// Ids per scf.forall iteration when rows-per-task is 0. On the shared
/// 2-core development machine (BENCHMARKS.md), 256 ids of 4096 columns in
/// blocks of 64 took 2.4x longer on 2 OpenMP threads than on one (the
/// fork/join waits for a busy core); at 256 such gathers stay serial.
static constexpr int64_t kDefaultRowsPerTask = 256;

namespace {
/// What every row chunk of one gather needs: its operands, the chunk shape
/// and the constants (shift and mask vectors, 2^23, the code bias, ...),
/// created once before the loops; emitRow builds one row's chunk loop.
struct RowLowering {
  /// Creates the constants at the builder's insertion point.
  RowLowering(OpBuilder &b, Location loc, GatherOp op, int64_t ch);

  /// The loop over the chunks of packed row `row` writing the dequantized
  /// values into `dest` at `destIvs` (then the column); returns `dest`
  /// after the writes.
  Value emitRow(OpBuilder &ob, Location ol, Value row, ValueRange destIvs,
                Value dest) const;

  Value packed, scales, zeroPoints;
  unsigned bits;
  int64_t perWord, group, ch, words;
  Type elt, f32;
  VectorType codesType, floatsType;
  SmallVector<int64_t> wordOf;
  Value shiftVec, maskVec, magicVec, bias, rowCount, zeroWord, c0, colCount,
      chStep;
};
} // namespace

RowLowering::RowLowering(OpBuilder &b, Location loc, GatherOp op, int64_t ch)
    : packed(op.getPacked()), scales(op.getScales()),
      zeroPoints(op.getZeroPoints()), bits(op.getScheme().getBits()),
      perWord(32 / bits), group(op.getScheme().getGroupSize()), ch(ch),
      words(ch / perWord), elt(op.getType().getElementType()),
      f32(b.getF32Type()) {
  // Per column of a chunk: which of its words (shuffle mask) and the
  // shift of its code in the word; the mask, 2^23 and the code bias.
  SmallVector<int32_t> shifts;
  for (int64_t c = 0; c < ch; ++c) {
    wordOf.push_back(c / perWord);
    shifts.push_back(int32_t((c % perWord) * bits));
  }
  codesType = VectorType::get({ch}, b.getI32Type());
  floatsType = VectorType::get({ch}, f32);
  shiftVec = constI32Vector(b, loc, shifts);
  maskVec = constI32Vector(b, loc,
                           SmallVector<int32_t>(ch, int32_t((1u << bits) - 1)));
  magicVec =
      constI32Vector(b, loc, SmallVector<int32_t>(ch, int32_t(0x4B000000)));
  bias = arith::ConstantFloatOp::create(
      b, loc, cast<FloatType>(f32),
      APFloat(float(8388608 + (1 << (bits - 1)))));
  auto packedType = cast<RankedTensorType>(packed.getType());
  rowCount = constIndex(b, loc, packedType.getDimSize(0));
  zeroWord = constI32(b, loc, 0);
  c0 = constIndex(b, loc, 0);
  colCount = constIndex(b, loc, op.getType().getShape().back());
  chStep = constIndex(b, loc, ch);
}

Value RowLowering::emitRow(OpBuilder &ob, Location ol, Value row,
                           ValueRange destIvs, Value dest) const {
  auto chunks = scf::ForOp::create(
      ob, ol, c0, colCount, chStep, ValueRange{dest},
      [&](OpBuilder &ib, Location il, Value c, ValueRange acc) {
        SmallVector<Value> ivs(destIvs.begin(), destIvs.end());
        ivs.push_back(c);
        Value w =
            arith::DivUIOp::create(ib, il, c, constIndex(ib, il, perWord));
        Value chunkWords = vector::TransferReadOp::create(
            ib, il, VectorType::get({words}, ib.getI32Type()), packed,
            ValueRange{row, w}, zeroWord, ArrayRef<bool>{true});
        Value spread = vector::ShuffleOp::create(ib, il, codesType, chunkWords,
                                                 chunkWords, wordOf);
        Value u = arith::AndIOp::create(
            ib, il, arith::ShRUIOp::create(ib, il, spread, shiftVec), maskVec);
        // As emitDequantCode: 2^23 + u as a float, minus 2^23 +
        // 2^(bits-1) (+ zp), times the scale in f32, rounded to the
        // scale type, converted to the result type.
        Value biased = arith::BitcastOp::create(
            ib, il, floatsType, arith::OrIOp::create(ib, il, u, magicVec));
        Value g =
            group == 0
                ? c0
                : arith::DivUIOp::create(ib, il, c, constIndex(ib, il, group));
        Value chunkBias = bias;
        if (zeroPoints) {
          Value zp =
              tensor::ExtractOp::create(ib, il, zeroPoints, ValueRange{row, g});
          chunkBias = arith::AddFOp::create(
              ib, il, bias, arith::SIToFPOp::create(ib, il, f32, zp));
        }
        Value qf = arith::SubFOp::create(
            ib, il, biased,
            vector::BroadcastOp::create(ib, il, floatsType, chunkBias));
        Value scale =
            tensor::ExtractOp::create(ib, il, scales, ValueRange{row, g});
        Value prod = arith::MulFOp::create(
            ib, il, qf,
            vector::BroadcastOp::create(ib, il, floatsType,
                                        convertFloat(ib, il, scale, f32)));
        Value value = convertFloatVector(
            ib, il, convertFloatVector(ib, il, prod, scale.getType()), elt);
        Value written = vector::TransferWriteOp::create(
                            ib, il, value, acc[0], ivs, ArrayRef<bool>{true})
                            .getResult();
        scf::YieldOp::create(ib, il, written);
      });
  return chunks.getResult(0);
}

namespace {
/// The serial form: one loop per dimension of the ids.
struct GatherToVector : OpRewritePattern<GatherOp> {
  GatherToVector(MLIRContext *ctx, int64_t vectorSize)
      : OpRewritePattern(ctx), vectorSize(vectorSize) {}

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (std::string why = whyGatherNotVectorized(op, vectorSize); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type elt = type.getElementType();

    // One loop per dimension of the ids; in it, the row's index, then a
    // loop over the row's chunks.
    Value ids = op.getIds();
    int64_t idsRank = cast<RankedTensorType>(ids.getType()).getRank();
    SmallVector<Value> dyn, lbs, ubs, steps;
    for (int64_t i = 0; i < idsRank; ++i) {
      Value size = tensor::DimOp::create(rewriter, loc, ids, i);
      if (type.isDynamicDim(i))
        dyn.push_back(size);
      lbs.push_back(constIndex(rewriter, loc, 0));
      ubs.push_back(size);
      steps.push_back(constIndex(rewriter, loc, 1));
    }
    Value init =
        tensor::EmptyOp::create(rewriter, loc, type.getShape(), elt, dyn);
    RowLowering rows(rewriter, loc, op, chunkColumns(op, vectorSize));
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{init},
        [&](OpBuilder &ob, Location ol, ValueRange token,
            ValueRange rowAcc) -> scf::ValueVector {
          Value id = tensor::ExtractOp::create(ob, ol, ids, token);
          Value row = clampRowIndex(ob, ol, id, rows.rowCount);
          return {rows.emitRow(ob, ol, row, token, rowAcc[0])};
        });
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }

  int64_t vectorSize;
};

/// The parallel form: the last dimension of the ids in blocks of
/// `rowsPerTask`, one scf.forall iteration per block and index of the other
/// dimensions; a gather of at most `rowsPerTask` ids in all takes the
/// serial loop nest instead (scf.if on the id count).
struct GatherToVectorParallel : OpRewritePattern<GatherOp> {
  GatherToVectorParallel(MLIRContext *ctx, int64_t vectorSize,
                         int64_t rowsPerTask)
      : OpRewritePattern(ctx), vectorSize(vectorSize),
        rowsPerTask(rowsPerTask) {}

  /// A loop over ids[prefix..., lo + t] for t in [0, count) writing row t
  /// of the 2-d `dest`.
  static Value emitRows(OpBuilder &b, Location loc, const RowLowering &rows,
                        Value ids, ValueRange prefix, Value lo, Value count,
                        Value dest) {
    Value c1 = constIndex(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, rows.c0, count, c1, ValueRange{dest},
        [&](OpBuilder &ob, Location ol, Value t, ValueRange acc) {
          SmallVector<Value> at(prefix.begin(), prefix.end());
          at.push_back(arith::AddIOp::create(ob, ol, lo, t));
          Value id = tensor::ExtractOp::create(ob, ol, ids, at);
          Value row = clampRowIndex(ob, ol, id, rows.rowCount);
          scf::YieldOp::create(
              ob, ol, rows.emitRow(ob, ol, row, ValueRange{t}, acc[0]));
        });
    return loop.getResult(0);
  }

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (std::string why = whyGatherNotVectorized(op, vectorSize); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t cols = type.getShape().back();
    Type elt = type.getElementType();
    Value ids = op.getIds();
    int64_t idsRank = cast<RankedTensorType>(ids.getType()).getRank();
    SmallVector<Value> sizes, dyn;
    for (int64_t i = 0; i < idsRank; ++i) {
      sizes.push_back(tensor::DimOp::create(rewriter, loc, ids, i));
      if (type.isDynamicDim(i))
        dyn.push_back(sizes.back());
    }
    Value init =
        tensor::EmptyOp::create(rewriter, loc, type.getShape(), elt, dyn);
    RowLowering rows(rewriter, loc, op, chunkColumns(op, vectorSize));
    Value block = constIndex(rewriter, loc, rowsPerTask);
    Value c1 = constIndex(rewriter, loc, 1);
    Value n = sizes.front();
    for (Value size : ArrayRef<Value>(sizes).drop_front())
      n = arith::MulIOp::create(rewriter, loc, n, size);
    auto serial = [&](OpBuilder &b, Location l) -> Value {
      // The serial loop nest, one loop per dimension of the ids.
      SmallVector<Value> lbs(idsRank, rows.c0), steps(idsRank, c1);
      scf::LoopNest nest = scf::buildLoopNest(
          b, l, lbs, sizes, steps, ValueRange{init},
          [&](OpBuilder &ob, Location ol, ValueRange token,
              ValueRange acc) -> scf::ValueVector {
            Value id = tensor::ExtractOp::create(ob, ol, ids, token);
            Value row = clampRowIndex(ob, ol, id, rows.rowCount);
            return {rows.emitRow(ob, ol, row, token, acc[0])};
          });
      return nest.results.front();
    };
    auto parallel = [&](OpBuilder &b, Location l) -> Value {
      // One iteration per index of the leading dimensions and block
      // of the last: ids [k * block, min(d, (k + 1) * block)).
      Value last = sizes.back();
      SmallVector<OpFoldResult> ubs(sizes.begin(), sizes.end() - 1);
      ubs.push_back(OpFoldResult(arith::DivUIOp::create(
          b, l,
          arith::AddIOp::create(b, l, last,
                                arith::SubIOp::create(b, l, block, c1)),
          block)));
      auto forall =
          scf::ForallOp::create(b, l, ubs, ValueRange{init}, std::nullopt);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      SmallVector<Value> ivs = forall.getInductionVars();
      Value out = forall.getRegionIterArgs()[0];
      Value lo = arith::MulIOp::create(b, l, ivs.back(), block);
      Value count = arith::MinUIOp::create(
          b, l, block, arith::SubIOp::create(b, l, last, lo));
      // This block's rows of the result, [count, cols] (rank-reduced).
      SmallVector<OpFoldResult> offsets, sliceSizes, strides;
      for (Value iv : ArrayRef<Value>(ivs).drop_back()) {
        offsets.push_back(iv);
        sliceSizes.push_back(b.getIndexAttr(1));
      }
      offsets.append({lo, b.getIndexAttr(0)});
      sliceSizes.append({count, b.getIndexAttr(cols)});
      strides.assign(idsRank + 1, b.getIndexAttr(1));
      auto sliceType = RankedTensorType::get({ShapedType::kDynamic, cols}, elt);
      Value slice = tensor::ExtractSliceOp::create(
          b, l, sliceType, out, offsets, sliceSizes, strides);
      Value filled = emitRows(b, l, rows, ids, ArrayRef<Value>(ivs).drop_back(),
                              lo, count, slice);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, l, filled, out, offsets,
                                            sliceSizes, strides);
      return forall.getResult(0);
    };
    // A static id count picks one form here; a dynamic one at run time.
    auto idsType = cast<RankedTensorType>(ids.getType());
    if (idsType.hasStaticShape()) {
      Value result = idsType.getNumElements() <= rowsPerTask
                         ? serial(rewriter, loc)
                         : parallel(rewriter, loc);
      rewriter.replaceOp(op, result);
      return success();
    }
    Value small = arith::CmpIOp::create(rewriter, loc,
                                        arith::CmpIPredicate::ule, n, block);
    auto ifOp = scf::IfOp::create(
        rewriter, loc, small,
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, serial(b, l));
        },
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, parallel(b, l));
        });
    rewriter.replaceOp(op, ifOp.getResult(0));
    return success();
  }

  int64_t vectorSize, rowsPerTask;
};

struct ConvertQEmbedGatherToVectorPass
    : mlir::qembed::impl::ConvertQEmbedGatherToVectorBase<
          ConvertQEmbedGatherToVectorPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (vectorSize < 8 || vectorSize > 256 ||
        (vectorSize & (vectorSize - 1)) != 0)
      return emitError(UnknownLoc::get(ctx))
             << "invalid options: vector-size must be a power of 2 in [8, "
                "256], got "
             << int64_t(vectorSize);
    // The block count is (n + rows-per-task - 1) / rows-per-task in index
    // arithmetic: bounded so that it cannot overflow.
    if (rowsPerTask < 0 || rowsPerTask > (int64_t(1) << 31))
      return emitError(UnknownLoc::get(ctx))
             << "invalid options: rows-per-task must be in [1, 2^31] (or 0 "
                "for the default), got "
             << int64_t(rowsPerTask);
    if (rowsPerTask != 0 && !parallel)
      return emitError(UnknownLoc::get(ctx))
             << "invalid options: rows-per-task=" << int64_t(rowsPerTask)
             << " needs parallel=true";
    return success();
  }

  void runOnOperation() override {
    // What stays for --qembed-to-linalg is said, never skipped silently.
    getOperation()->walk([&](GatherOp op) {
      if (std::string why = whyGatherNotVectorized(op, vectorSize);
          !why.empty()) {
        InFlightDiagnostic remark =
            op.emitRemark("qembed.gather not vectorized: ")
            << why << "; --qembed-to-linalg lowers it element by element";
        // parallel=true applies to the vectorized form only.
        if (parallel)
          remark << ", on one thread";
      }
    });
    RewritePatternSet patterns(&getContext());
    if (parallel)
      populateQEmbedParallelGatherToVectorPatterns(
          patterns, vectorSize,
          rowsPerTask ? int64_t(rowsPerTask) : kDefaultRowsPerTask);
    else
      populateQEmbedGatherToVectorPatterns(patterns, vectorSize);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::qembed::populateQEmbedGatherToVectorPatterns(
    RewritePatternSet &patterns, int64_t vectorSize) {
  patterns.add<GatherToVector>(patterns.getContext(), vectorSize);
}

void mlir::qembed::populateQEmbedParallelGatherToVectorPatterns(
    RewritePatternSet &patterns, int64_t vectorSize, int64_t rowsPerTask) {
  patterns.add<GatherToVectorParallel>(patterns.getContext(), vectorSize,
                                       rowsPerTask);
}
