//===- ExpandGathers.cpp - --qembed-expand-gathers ------------------------===//
//
// Unfuses qembed.gather into a whole-table qembed.dequantize and a dense
// qembed.lookup: the reference the fused path is checked against.
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
  patterns.add<ExpandGather>(patterns.getContext());
}
