//===- ConstantData.h - Raw bytes of constant tensors -----------*- C++ -*-===//
//
// Glue between MLIR constants and the numerics library: byte-level access to
// `dense` and `dense_resource` tensors (never element-by-element through
// APFloat, which would take minutes on a real table) and construction of
// constants from raw buffers.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_CONSTANTDATA_H
#define QEMBED_DIALECT_QEMBED_IR_CONSTANTDATA_H

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Numerics/Quantizer.h"

#include <optional>
#include <vector>

namespace mlir::qembed {

/// The numerics library's kind for an f32/f16/bf16 type, if it is one.
std::optional<::qembed::FloatKind> getFloatKind(Type type);
/// The MLIR type of a float kind.
FloatType getFloatType(MLIRContext *ctx, ::qembed::FloatKind kind);
/// The library's scheme for a scheme attribute.
::qembed::Scheme toNumericsScheme(SchemeAttr scheme);

/// Row-major bytes of a constant tensor. Splats are expanded, so `bytes`
/// always covers every element.
struct RawTensorData {
  ArrayRef<char> bytes;
  std::vector<char> storage; ///< Owns `bytes` when they had to be made.
  bool fromResource = false; ///< The attribute was a `dense_resource`.
};

/// Returns the bytes of `attr` (a DenseElementsAttr or
/// DenseResourceElementsAttr with its blob present), or a reason why not.
FailureOr<RawTensorData> getRawTensorData(Attribute attr, std::string &why);

/// Builds a constant attribute of `type` holding `bytes`: a
/// `dense_resource` blob named after `resourceHint` when `asResource`,
/// else a `dense` attribute.
ElementsAttr makeElementsAttr(ShapedType type, ArrayRef<char> bytes,
                              bool asResource, StringRef resourceHint);

/// Encodes float values (already exact in `kind`) as raw bytes of `kind`.
std::vector<char> encodeFloats(ArrayRef<float> values,
                               ::qembed::FloatKind kind);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_IR_CONSTANTDATA_H
