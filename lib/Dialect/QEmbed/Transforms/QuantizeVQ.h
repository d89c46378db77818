//===- QuantizeVQ.h - --qembed-quantize format=vq (private) -----*- C++ -*-===//
//
// The codebook vector quantization half of --qembed-quantize, called by the
// pass when `format=vq`.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H
#define QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

namespace mlir::qembed {

/// Checks the `vq-*` options; an error at an unknown location when bad.
LogicalResult checkVQOptions(MLIRContext *ctx,
                             const QEmbedQuantizeOptions &options);

/// Quantizes the constant table of every qembed.lookup in `module` with
/// codebook VQ and rewrites the lookups into qembed.codebook_gather. Returns
/// failure when a table was refused (an error was emitted on it).
LogicalResult quantizeLookupsVQ(ModuleOp module,
                                const QEmbedQuantizeOptions &options);

} // namespace mlir::qembed

#endif // QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H
