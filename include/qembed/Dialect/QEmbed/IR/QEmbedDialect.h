//===- QEmbedDialect.h - qembed dialect -------------------------*- C++ -*-===//
//
// Declares the qembed dialect, its scheme attribute and its operations.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_H
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cstdint>

namespace mlir::qembed {
/// The code format of a #qembed.scheme: the values of ::qembed::Format
/// (qembed/Numerics/FloatFormats.h, which this header does not include so
/// that the numerics library's `::qembed` namespace stays out of files that
/// say `using namespace mlir` and mean `mlir::qembed`).
enum class SchemeFormat : uint8_t { Int, FP8, NVFP4, MXFP4 };
} // namespace mlir::qembed

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h.inc"

#include "qembed/Dialect/QEmbed/IR/QEmbedEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qembed/Dialect/QEmbed/IR/QEmbedAttrs.h.inc"

#define GET_OP_CLASSES
#include "qembed/Dialect/QEmbed/IR/QEmbedOps.h.inc"

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_H
