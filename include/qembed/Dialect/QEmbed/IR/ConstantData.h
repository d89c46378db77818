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

/// Largest result, in elements, that the quantize / pack / dequantize
/// folders build (2^24); larger ops are left unfolded. Splats are never
/// expanded beyond it (a splat table whose packed row is not one repeated
/// word is quantized only when its packed words are within it).
constexpr int64_t kMaxFoldElements = int64_t(1) << 24;

/// Number of elements of a static shape, or nothing when the product does
/// not fit in int64_t.
std::optional<int64_t> getNumElementsChecked(ShapedType type);

/// Bytes of a static shape's elements, or nothing when it overflows int64_t.
std::optional<int64_t> getByteSizeChecked(ShapedType type);

/// Row-major bytes of a constant tensor. A `dense` splat is not expanded:
/// `bytes` then holds its one element (see expandSplat).
struct RawTensorData {
  ArrayRef<char> bytes;
  std::vector<char> storage; ///< Owns `bytes` when they had to be made.
  bool fromResource = false; ///< The attribute was a `dense_resource`.
  bool isSplat = false;      ///< `bytes` is the one element of a splat.
};

/// Returns the bytes of `attr` (a DenseElementsAttr or
/// DenseResourceElementsAttr with its blob present), or a reason why not.
FailureOr<RawTensorData> getRawTensorData(Attribute attr, std::string &why);

/// Makes a splat `data` of shape `type` cover every element, refusing (with
/// a reason) when that would take more than `maxBytes`. No-op on non-splats.
LogicalResult expandSplat(RawTensorData &data, ShapedType type,
                          int64_t maxBytes, std::string &why);

/// Builds a constant attribute of `type` holding `bytes`: a
/// `dense_resource` blob named after `resourceHint` when `asResource`,
/// else a `dense` attribute (a splat when `bytes` is one element).
ElementsAttr makeElementsAttr(ShapedType type, ArrayRef<char> bytes,
                              bool asResource, StringRef resourceHint);

/// Encodes float values (already exact in `kind`) as raw bytes of `kind`.
std::vector<char> encodeFloats(ArrayRef<float> values,
                               ::qembed::FloatKind kind);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_IR_CONSTANTDATA_H
