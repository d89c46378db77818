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
#include "qembed/Numerics/FloatFormats.h"

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
/// symmetric, report, max-table-bytes, and format / per-tensor, checked by
/// checkQuantizeFormatOptions, are read) and `scaleType` (none: the table's
/// type; integer codes only), exactly as --qembed-quantize does. A float
/// format's scales are f8 for nvfp4 / mxfp4 (the scheme then also holds the
/// NVFP4 global scale). Errors (NaN/Inf,
/// overflowing scales, size limits) are emitted on `constant`.
FailureOr<QuantizedTableAttrs>
quantizeConstantTable(arith::ConstantOp constant,
                      const QEmbedQuantizeOptions &opts,
                      std::optional<Type> scaleType, unsigned lookups);

/// The code-format options of --qembed-quantize, which
/// --qembed-quantize-globals takes with the same names and rules.
struct QuantizeFormatOptions {
  std::string format = "int"; ///< int, fp8, nvfp4 or mxfp4 (not vq).
  bool perTensor = false;     ///< fp8 only: one scale for the whole table.
  unsigned bits = 4;          ///< Completed for a float format.
  bool bitsGiven = false;     ///< Whether `bits` was given explicitly.
  int64_t groupSize = 64;     ///< Completed for a float format.
  bool groupSizeGiven = false;
  bool symmetric = true;
  std::string scaleType; ///< Empty: the table's type.
};

/// Checks the format options `o` (format=vq is the caller's) before any IR
/// is touched, and completes them: a float format fixes bits, group size,
/// symmetric and the scale type; `bits` / `groupSize` not given explicitly
/// take the format's values, anything else (or per-tensor without fp8, or an
/// unknown format) is an error emitted at `loc`. Returns the format parsed.
FailureOr<::qembed::Format>
checkQuantizeFormatOptions(Location loc, QuantizeFormatOptions &o);

/// Why --qembed-quantize leaves the table of `constant` dense under `opts`
/// (group size, min-rows, min-table-bytes), or "" when it quantizes it.
std::string whyTableLeftDense(arith::ConstantOp constant,
                              const QEmbedQuantizeOptions &opts);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_QUANTIZETABLE_H
