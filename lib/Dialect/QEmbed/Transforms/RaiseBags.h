//===- RaiseBags.h - Matching front-end EmbeddingBag lookups ----*- C++ -*-===//
//
// Private to the raising pass: the matcher of Torch-MLIR's embedding_bag
// linalg.generic, shared by its rewrite pattern and the pass's remarks.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_RAISEBAGS_H
#define QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_RAISEBAGS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace mlir::qembed {

/// True when `op` has the outline of an embedding-bag generic (two inputs,
/// three loops of which the middle one is a reduction, a tensor.extract in
/// the body): it is then explained as a bag, not as a plain lookup.
bool isBagCandidate(linalg::GenericOp op);

/// Returns "" when `op` is Torch-MLIR's `aten.embedding_bag` (mode sum)
/// lowering on a constant table, else why it is not raised.
std::string whyNotRaisedBag(linalg::GenericOp op);

/// For an `aten.embedding_bag` op still in the torch dialect (generic form),
/// the reason it is not raised, naming the options torch-mlir cannot lower
/// (mean, max, include_last_offset, per_sample_weights, padding_idx);
/// std::nullopt for any other op.
std::optional<std::string> whyTorchBagNotRaised(Operation *op);

} // namespace mlir::qembed

#endif // QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_RAISEBAGS_H
