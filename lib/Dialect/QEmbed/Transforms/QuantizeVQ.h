//===- QuantizeVQ.h - --qembed-quantize format=vq (private) -----*- C++ -*-===//
//
// The codebook vector quantization half of --qembed-quantize, called by the
// pass when `format=vq`.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H
#define QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <string>

namespace mlir::qembed {

/// Checks the `vq-*` options; an error at an unknown location when bad.
LogicalResult checkVQOptions(MLIRContext *ctx,
                             const QEmbedQuantizeOptions &options);

/// Quantizes the constant table of every qembed.lookup in `module` with
/// codebook VQ and rewrites the lookups into qembed.codebook_gather. Returns
/// failure when a table was refused (an error was emitted on it).
LogicalResult quantizeLookupsVQ(ModuleOp module,
                                const QEmbedQuantizeOptions &options);

/// The attributes replacing one table quantized with codebook VQ.
struct QuantizedVQTableAttrs {
  CodebookAttr codebook;
  /// Codes (i32 words), per-row f16 scales, codebooks; `dense_resource`
  /// when the table was one.
  TypedAttr codes, scales, codebooks;
  /// The `report=true` remark text for a table used by `lookups` lookups.
  std::string report;
};

/// Quantizes the value of `constant` with the format=vq options `o`
/// (checked by checkVQOptions) exactly as --qembed-quantize format=vq does;
/// errors are emitted on `constant`. For passes that find tables elsewhere
/// (--qembed-quantize-globals).
FailureOr<QuantizedVQTableAttrs>
quantizeConstantTableVQ(arith::ConstantOp constant,
                        const QEmbedQuantizeOptions &o, unsigned lookups);

/// Why --qembed-quantize format=vq leaves the table of `constant` dense
/// under `o`, or "" when it quantizes it.
std::string whyTableLeftDenseVQ(arith::ConstantOp constant,
                                const QEmbedQuantizeOptions &o);

} // namespace mlir::qembed

#endif // QEMBED_LIB_DIALECT_QEMBED_TRANSFORMS_QUANTIZEVQ_H
