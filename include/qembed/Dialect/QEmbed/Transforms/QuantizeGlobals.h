//===- QuantizeGlobals.h - Tables in IREE globals ---------------*- C++ -*-===//
//
// The work of --qembed-quantize-globals as a function: quantizes the
// embedding tables held in IREE `util.global`s (inline initial values or
// parameters of IRPA / safetensors archives) of a module whose IREE ops are
// unregistered ops in generic form.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZEGLOBALS_H
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZEGLOBALS_H

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace mlir::qembed {

/// What --qembed-quantize-globals is told (its options, checked).
struct QuantizeGlobalsConfig {
  /// The scheme and table policy of --qembed-quantize (bits, group-size,
  /// symmetric, report, min-rows, min-table-bytes, max-table-bytes).
  QEmbedQuantizeOptions quantize;
  /// Scale type; none: the table's element type.
  std::optional<Type> scaleType;
  /// A regular expression; only tables whose global name or parameter key
  /// contains a match are quantized. Empty: all.
  std::string tables;
  /// Archive path by parameter scope.
  llvm::StringMap<std::string> archives;
  /// The archive (.irpa or .safetensors) receiving the packed tensors of
  /// parameter tables, and the scope the new parameters are named in
  /// (empty: the table's).
  std::string outputParameters, outputScope;
};

/// Quantizes the embedding tables of `module` held in IREE globals (see
/// --qembed-quantize-globals). Tables left dense get a remark; failures are
/// emitted as errors and make the result a failure (the archive is then
/// not written).
LogicalResult quantizeGlobalTables(ModuleOp module,
                                   const QuantizeGlobalsConfig &config);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZEGLOBALS_H
