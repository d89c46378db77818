//===- CodebookToLinalg.cpp - qembed.codebook_gather to linalg ------------===//
//
// Lowers the codebook VQ gather to a linalg.generic over the output rows whose
// body extracts the codes of the element's vector from the packed row, looks
// the entries up in the codebooks with tensor.extract, sums the stages and
// scales in f32: exactly ::qembed::dequantizeCodebookElement.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qembed;

/// Emits code `index` (an index value) of the packed row `row`.
static Value emitCode(OpBuilder &b, Location loc, Value codes, Value row,
                      Value index, unsigned bits, int64_t lastWord) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value bit = arith::MulIOp::create(b, loc, index, constIndex(b, loc, bits));
  Value w = arith::DivUIOp::create(b, loc, bit, constIndex(b, loc, 32));
  Value off = arith::RemUIOp::create(b, loc, bit, constIndex(b, loc, 32));
  Value code;
  if (32 % bits == 0) {
    Value word = tensor::ExtractOp::create(b, loc, codes, ValueRange{row, w});
    code = arith::ShRUIOp::create(
        b, loc, word, arith::IndexCastUIOp::create(b, loc, i32, off));
  } else {
    // The code may straddle two words: read both as one i64.
    Value w1 = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, w, constIndex(b, loc, 1)),
        constIndex(b, loc, lastWord));
    Value lo = arith::ExtUIOp::create(
        b, loc, i64,
        tensor::ExtractOp::create(b, loc, codes, ValueRange{row, w}));
    Value hi = arith::ExtUIOp::create(
        b, loc, i64,
        tensor::ExtractOp::create(b, loc, codes, ValueRange{row, w1}));
    Value both = arith::OrIOp::create(
        b, loc, lo,
        arith::ShLIOp::create(b, loc, hi,
                              arith::ConstantIntOp::create(b, loc, 32, 64)));
    code = arith::TruncIOp::create(
        b, loc, i32,
        arith::ShRUIOp::create(b, loc, both,
                               arith::IndexCastUIOp::create(b, loc, i64, off)));
  }
  Value masked = arith::AndIOp::create(
      b, loc, code, constI32(b, loc, (int64_t(1) << bits) - 1));
  return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), masked);
}

namespace {
struct CodebookGatherLowering : OpConversionPattern<CodebookGatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CodebookGatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    if (ShapedType::isDynamic(op.getCodes().getType().getDimSize(1)))
      return rewriter.notifyMatchFailure(op, "code rows of dynamic length");
    CodebookAttr cb = op.getCodebook();
    int64_t cols = type.getShape().back(), rank = type.getRank();
    int64_t vpg = cols / cb.getDim() / cb.getGroups();
    int64_t lastWord = cb.getWordsPerRow(cols) - 1;
    unsigned bits = cb.getCodeBits(), stages = cb.getStages();
    Value codes = adaptor.getCodes(), scales = adaptor.getScales(),
          books = adaptor.getCodebooks(), ids = adaptor.getIds();
    Value rows = tensor::DimOp::create(rewriter, loc, codes, 0);

    MLIRContext *ctx = getContext();
    SmallVector<Value> dyn;
    for (int64_t i = 0; i < rank; ++i)
      if (type.isDynamicDim(i))
        dyn.push_back(tensor::DimOp::create(rewriter, loc, ids, i));
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(), dyn);
    AffineMap idsMap =
        AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
    AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{ids}, ValueRange{init},
        ArrayRef<AffineMap>{idsMap, outMap}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Type f32 = b.getF32Type();
          Value row = clampRowIndex(b, l, args[0], rows);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value dim = constIndex(b, l, cb.getDim());
          Value v = arith::DivUIOp::create(b, l, col, dim);
          Value lane = arith::RemUIOp::create(b, l, col, dim);
          Value g = arith::DivUIOp::create(b, l, v, constIndex(b, l, vpg));
          Value first =
              arith::MulIOp::create(b, l, v, constIndex(b, l, stages));
          Value acc;
          for (unsigned s = 0; s < stages; ++s) {
            Value idx = arith::AddIOp::create(b, l, first, constIndex(b, l, s));
            Value code = emitCode(b, l, codes, row, idx, bits, lastWord);
            Value entry = tensor::ExtractOp::create(
                b, l, books, ValueRange{g, constIndex(b, l, s), code, lane});
            Value e32 = convertFloat(b, l, entry, f32);
            acc = s == 0 ? e32 : arith::AddFOp::create(b, l, acc, e32);
          }
          Value scale = tensor::ExtractOp::create(
              b, l, scales, ValueRange{row, constIndex(b, l, 0)});
          Value prod =
              arith::MulFOp::create(b, l, convertFloat(b, l, scale, f32), acc);
          linalg::YieldOp::create(
              b, l, convertFloat(b, l, prod, type.getElementType()));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};
} // namespace

void mlir::qembed::populateCodebookToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<CodebookGatherLowering>(patterns.getContext());
}
