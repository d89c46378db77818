//===- QEmbedToVector.cpp - --qembed-gather-to-vector ---------------------===//
//
// Lowers qembed.gather to a loop over the ids and, per row, over chunks of
// columns handled as vectors: one read of the chunk's packed words, a
// shuffle giving each column its word, shift and mask by column, and the
// dequantization arithmetic of DequantUtils on whole vectors. The CPU
// pipeline's lowering; --qembed-to-linalg stays element by element.
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

namespace {
struct GatherToVector : OpRewritePattern<GatherOp> {
  GatherToVector(MLIRContext *ctx, int64_t vectorSize)
      : OpRewritePattern(ctx), vectorSize(vectorSize) {}

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (std::string why = whyGatherNotVectorized(op, vectorSize); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    SchemeAttr scheme = op.getScheme();
    unsigned bits = scheme.getBits();
    int64_t perWord = 32 / bits, group = scheme.getGroupSize();
    int64_t ch = chunkColumns(op, vectorSize), words = ch / perWord;
    RankedTensorType type = op.getType();
    int64_t cols = type.getShape().back();
    Type elt = type.getElementType();
    auto packedType = cast<RankedTensorType>(op.getPacked().getType());
    Value packed = op.getPacked(), scales = op.getScales(),
          zeroPoints = op.getZeroPoints();

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

    // Per column of a chunk: which of its words (shuffle mask) and the
    // shift of its code in the word; the mask, 2^23 and the code bias.
    SmallVector<int64_t> wordOf;
    SmallVector<int32_t> shifts;
    for (int64_t c = 0; c < ch; ++c) {
      wordOf.push_back(c / perWord);
      shifts.push_back(int32_t((c % perWord) * bits));
    }
    Type f32 = rewriter.getF32Type();
    auto codesType = VectorType::get({ch}, rewriter.getI32Type());
    auto floatsType = VectorType::get({ch}, f32);
    Value shiftVec = constI32Vector(rewriter, loc, shifts);
    Value maskVec = constI32Vector(
        rewriter, loc, SmallVector<int32_t>(ch, int32_t((1u << bits) - 1)));
    Value magicVec = constI32Vector(
        rewriter, loc, SmallVector<int32_t>(ch, int32_t(0x4B000000)));
    Value bias = arith::ConstantFloatOp::create(
        rewriter, loc, cast<FloatType>(f32),
        APFloat(float(8388608 + (1 << (bits - 1)))));
    Value rowCount = constIndex(rewriter, loc, packedType.getDimSize(0));
    Value zeroWord = constI32(rewriter, loc, 0);
    Value c0 = constIndex(rewriter, loc, 0);

    Value colCount = constIndex(rewriter, loc, cols);
    Value chStep = constIndex(rewriter, loc, ch);
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{init},
        [&](OpBuilder &ob, Location ol, ValueRange token,
            ValueRange rowAcc) -> scf::ValueVector {
          Value id = tensor::ExtractOp::create(ob, ol, ids, token);
          Value row = clampRowIndex(ob, ol, id, rowCount);
          auto chunks = scf::ForOp::create(
              ob, ol, c0, colCount, chStep, ValueRange{rowAcc[0]},
              [&](OpBuilder &ib, Location il, Value c, ValueRange acc) {
                SmallVector<Value> ivs(token.begin(), token.end());
                ivs.push_back(c);
                Value w = arith::DivUIOp::create(ib, il, c,
                                                 constIndex(ib, il, perWord));
                Value chunkWords = vector::TransferReadOp::create(
                    ib, il, VectorType::get({words}, ib.getI32Type()), packed,
                    ValueRange{row, w}, zeroWord, ArrayRef<bool>{true});
                Value spread = vector::ShuffleOp::create(
                    ib, il, codesType, chunkWords, chunkWords, wordOf);
                Value u = arith::AndIOp::create(
                    ib, il, arith::ShRUIOp::create(ib, il, spread, shiftVec),
                    maskVec);
                // As emitDequantCode: 2^23 + u as a float, minus 2^23 +
                // 2^(bits-1) (+ zp), times the scale in f32, rounded to the
                // scale type, converted to the result type.
                Value biased = arith::BitcastOp::create(
                    ib, il, floatsType,
                    arith::OrIOp::create(ib, il, u, magicVec));
                Value g = group == 0
                              ? c0
                              : arith::DivUIOp::create(
                                    ib, il, c, constIndex(ib, il, group));
                Value chunkBias = bias;
                if (zeroPoints) {
                  Value zp = tensor::ExtractOp::create(ib, il, zeroPoints,
                                                       ValueRange{row, g});
                  chunkBias = arith::AddFOp::create(
                      ib, il, bias, arith::SIToFPOp::create(ib, il, f32, zp));
                }
                Value qf = arith::SubFOp::create(
                    ib, il, biased,
                    vector::BroadcastOp::create(ib, il, floatsType, chunkBias));
                Value scale = tensor::ExtractOp::create(ib, il, scales,
                                                        ValueRange{row, g});
                Value prod = arith::MulFOp::create(
                    ib, il, qf,
                    vector::BroadcastOp::create(
                        ib, il, floatsType, convertFloat(ib, il, scale, f32)));
                Value value = convertFloatVector(
                    ib, il, convertFloatVector(ib, il, prod, scale.getType()),
                    elt);
                Value written =
                    vector::TransferWriteOp::create(ib, il, value, acc[0], ivs,
                                                    ArrayRef<bool>{true})
                        .getResult();
                scf::YieldOp::create(ib, il, written);
              });
          return {chunks.getResult(0)};
        });
    Value result = nest.results.front();
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t vectorSize;
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
    return success();
  }

  void runOnOperation() override {
    // What stays for --qembed-to-linalg is said, never skipped silently.
    getOperation()->walk([&](GatherOp op) {
      if (std::string why = whyGatherNotVectorized(op, vectorSize);
          !why.empty())
        op.emitRemark("qembed.gather not vectorized: ")
            << why << "; --qembed-to-linalg lowers it element by element";
    });
    RewritePatternSet patterns(&getContext());
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
