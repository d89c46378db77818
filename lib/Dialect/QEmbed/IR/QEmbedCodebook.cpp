//===- QEmbedCodebook.cpp - codebook VQ attribute and op verifiers --------===//
//
// Verifies #qembed.codebook and the shapes of qembed.codebook_gather.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::qembed;

unsigned CodebookAttr::getCodeBits() const {
  return llvm::countr_zero(uint64_t(getEntries()));
}

LogicalResult CodebookAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   unsigned dim, int64_t entries,
                                   unsigned stages, int64_t groups) {
  if (dim < 1 || dim > 64)
    return emitError() << "codebook dim must be in [1, 64], got " << dim;
  if (entries < 2 || entries > 65536 ||
      !llvm::has_single_bit(uint64_t(entries)))
    return emitError()
           << "codebook entries must be a power of two in [2, 65536], got "
           << entries;
  if (stages < 1 || stages > 8)
    return emitError() << "codebook stages must be in [1, 8], got " << stages;
  if (groups < 1)
    return emitError() << "codebook groups must be >= 1, got " << groups;
  return success();
}

/// `a` and `b` agree unless both are static and differ.
static bool compatibleDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult CodebookGatherOp::verify() {
  CodebookAttr cb = getCodebook();
  RankedTensorType result = getResult().getType();
  ShapedType ids = getIds().getType();
  int64_t cols = result.getShape().back();
  if (ShapedType::isDynamic(cols))
    return emitOpError("row length (number of columns) must be static");
  if (cols % cb.getDim() != 0)
    return emitOpError("codebook dim ")
           << cb.getDim() << " does not divide the row length " << cols;
  if ((cols / cb.getDim()) % cb.getGroups() != 0)
    return emitOpError("codebook groups ")
           << cb.getGroups() << " do not divide the " << cols / cb.getDim()
           << " vectors of a row";
  if (result.getRank() != ids.getRank() + 1)
    return emitOpError("result rank must be ids rank + 1, got ")
           << result.getRank() << " and " << ids.getRank();
  for (int64_t i = 0, e = ids.getRank(); i < e; ++i)
    if (!compatibleDim(ids.getDimSize(i), result.getDimSize(i)))
      return emitOpError("result dimension ")
             << i << " (" << result.getDimSize(i)
             << ") does not match ids dimension (" << ids.getDimSize(i) << ")";
  RankedTensorType codes = getCodes().getType();
  if (codes.getDimSize(0) == 0)
    return emitOpError("table must have at least one row");
  int64_t words = cb.getWordsPerRow(cols);
  if (!compatibleDim(codes.getDimSize(1), words))
    return emitOpError("code rows must have ")
           << words << " i32 words for " << cols << " columns, got "
           << codes.getDimSize(1);
  RankedTensorType scales = getScales().getType();
  if (!compatibleDim(scales.getDimSize(0), codes.getDimSize(0)) ||
      !compatibleDim(scales.getDimSize(1), 1))
    return emitOpError("scales must have shape [")
           << codes.getDimSize(0) << ", 1]";
  RankedTensorType books = getCodebooks().getType();
  SmallVector<int64_t> want = {cb.getGroups(), int64_t(cb.getStages()),
                               cb.getEntries(), int64_t(cb.getDim())};
  if (books.getShape() != ArrayRef<int64_t>(want))
    return emitOpError("codebooks must have shape [")
           << want[0] << ", " << want[1] << ", " << want[2] << ", " << want[3]
           << "] (groups x stages x entries x dim)";
  return success();
}
