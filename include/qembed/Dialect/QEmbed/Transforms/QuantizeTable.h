//===- QuantizeTable.h - One table through --qembed-quantize ----*- C++ -*-===//
//
// The table quantization of --qembed-quantize as a function, for passes
// that find tables elsewhere (IREE globals and parameters:
// --qembed-quantize-globals) and must quantize them exactly as
// --qembed-quantize does.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZETABLE_H
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZETABLE_H

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <optional>
#include <string>

namespace mlir::qembed {

/// The attributes replacing one quantized table.
struct QuantizedTableAttrs {
  SchemeAttr scheme;
  /// Packed i32 words, scales, and i8 zero points (null when symmetric);
  /// `dense_resource` when the table was one.
  TypedAttr packed, scales, zeroPoints;
  /// The `report=true` remark text for a table used by `lookups` lookups.
  std::string report;
};

/// Quantizes the value of `constant` with `opts` (bits, group-size,
/// symmetric, report, max-table-bytes are read) and `scaleType` (none: the
/// table's type), exactly as --qembed-quantize does. Errors (NaN/Inf,
/// overflowing scales, size limits) are emitted on `constant`.
FailureOr<QuantizedTableAttrs>
quantizeConstantTable(arith::ConstantOp constant,
                      const QEmbedQuantizeOptions &opts,
                      std::optional<Type> scaleType, unsigned lookups);

/// Why --qembed-quantize leaves the table of `constant` dense under `opts`
/// (group size, min-rows, min-table-bytes), or "" when it quantizes it.
std::string whyTableLeftDense(arith::ConstantOp constant,
                              const QEmbedQuantizeOptions &opts);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZETABLE_H
