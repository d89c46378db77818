//===- ExpandGathers.cpp - --qembed-expand-gathers ------------------------===//
//
// Unfuses qembed.gather (qembed.gather_bags) into a whole-table
// qembed.dequantize and a dense qembed.lookup (qembed.lookup_bags): the
// reference the fused path is checked against.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_QEMBEDEXPANDGATHERS
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

namespace {
struct ExpandGather : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType result = op.getType();
    auto tableType = RankedTensorType::get(
        {op.getPacked().getType().getDimSize(0), result.getShape().back()},
        result.getElementType());
    Value table = DequantizeOp::create(rewriter, op.getLoc(), tableType,
                                       op.getPacked(), op.getScales(),
                                       op.getZeroPoints(), op.getScheme());
    rewriter.replaceOpWithNewOp<LookupOp>(op, result, table, op.getIds());
    return success();
  }
};

/// qembed.gather_bags -> qembed.dequantize + qembed.lookup_bags (the same
/// values: the bag ops accumulate rows of the result type).
struct ExpandGatherBags : OpRewritePattern<GatherBagsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherBagsOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType result = op.getType();
    auto tableType = RankedTensorType::get(
        {op.getPacked().getType().getDimSize(0), result.getDimSize(1)},
        result.getElementType());
    Value table = DequantizeOp::create(rewriter, op.getLoc(), tableType,
                                       op.getPacked(), op.getScales(),
                                       op.getZeroPoints(), op.getScheme());
    rewriter.replaceOpWithNewOp<LookupBagsOp>(op, result, table, op.getIds(),
                                              op.getOffsets(), op.getMode());
    return success();
  }
};

struct QEmbedExpandGathersPass
    : mlir::qembed::impl::QEmbedExpandGathersBase<QEmbedExpandGathersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateExpandGathersPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false); // expanding only; folding is canonicalize's
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace

void mlir::qembed::populateExpandGathersPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandGather, ExpandGatherBags>(patterns.getContext());
}
