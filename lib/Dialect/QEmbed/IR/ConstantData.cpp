//===- ConstantData.cpp - Raw bytes of constant tensors -------------------===//

#include "qembed/Dialect/QEmbed/IR/ConstantData.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qembed;
using ::qembed::FloatKind;

std::optional<FloatKind> mlir::qembed::getFloatKind(Type type) {
  if (type.isF32())
    return FloatKind::F32;
  if (type.isF16())
    return FloatKind::F16;
  if (type.isBF16())
    return FloatKind::BF16;
  return std::nullopt;
}

FloatType mlir::qembed::getFloatType(MLIRContext *ctx, FloatKind kind) {
  switch (kind) {
  case FloatKind::F32:
    return Float32Type::get(ctx);
  case FloatKind::F16:
    return Float16Type::get(ctx);
  case FloatKind::BF16:
    return BFloat16Type::get(ctx);
  }
  llvm_unreachable("unknown float kind");
}

::qembed::Scheme mlir::qembed::toNumericsScheme(SchemeAttr scheme) {
  ::qembed::Scheme s;
  s.bits = scheme.getBits();
  s.groupSize = scheme.getGroupSize();
  s.symmetric = scheme.getSymmetric();
  s.scaleKind = *getFloatKind(scheme.getScaleType());
  return s;
}

static int64_t elementBytes(Type type) {
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

std::optional<int64_t> mlir::qembed::getNumElementsChecked(ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  int64_t n = 1;
  for (int64_t d : type.getShape())
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

std::optional<int64_t> mlir::qembed::getByteSizeChecked(ShapedType type) {
  std::optional<int64_t> n = getNumElementsChecked(type);
  Type elt = type.getElementType();
  if (!n || !elt.isIntOrFloat())
    return std::nullopt;
  int64_t bytes;
  if (llvm::MulOverflow(*n, elementBytes(elt), bytes))
    return std::nullopt;
  return bytes;
}

FailureOr<RawTensorData> mlir::qembed::getRawTensorData(Attribute attr,
                                                        std::string &why) {
  RawTensorData out;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    ShapedType type = dense.getType();
    Type elt = type.getElementType();
    if (!elt.isIntOrFloat() || elt.isInteger(1)) {
      why = "constant has an unsupported element type";
      return failure();
    }
    if (!type.hasStaticShape()) {
      why = "constant has a dynamic shape";
      return failure();
    }
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      out.bytes = raw.take_front(elementBytes(elt));
      out.isSplat = true;
    } else {
      out.bytes = raw;
    }
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob) {
      why = "dense_resource '" + res.getRawHandle().getKey().str() +
            "' has no data in this module";
      return failure();
    }
    ShapedType type = res.getType();
    out.bytes = blob->getData();
    out.fromResource = true;
    std::optional<int64_t> expected = getByteSizeChecked(type);
    if (!expected) {
      why = "dense_resource type has no representable byte size";
      return failure();
    }
    if (int64_t(out.bytes.size()) != *expected) {
      why = "dense_resource holds " + std::to_string(out.bytes.size()) +
            " bytes, its type needs " + std::to_string(*expected);
      return failure();
    }
    return out;
  }
  why = "table is not a dense or dense_resource constant";
  return failure();
}

LogicalResult mlir::qembed::expandSplat(RawTensorData &data, ShapedType type,
                                        int64_t maxBytes, std::string &why) {
  if (!data.isSplat)
    return success();
  std::optional<int64_t> bytes = getByteSizeChecked(type);
  if (!bytes || *bytes > maxBytes) {
    why = "expanding the splat would take more than " +
          std::to_string(maxBytes) + " bytes";
    return failure();
  }
  int64_t width = int64_t(data.bytes.size());
  std::vector<char> storage(static_cast<size_t>(*bytes));
  for (int64_t i = 0; i < *bytes; i += width)
    std::memcpy(storage.data() + i, data.bytes.data(), size_t(width));
  data.storage = std::move(storage);
  data.bytes = data.storage;
  data.isSplat = false;
  return success();
}

ElementsAttr mlir::qembed::makeElementsAttr(ShapedType type,
                                            ArrayRef<char> bytes,
                                            bool asResource,
                                            StringRef resourceHint) {
  if (asResource)
    return DenseResourceElementsAttr::get(
        type, resourceHint,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(int64_t)));
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

std::vector<char> mlir::qembed::encodeFloats(ArrayRef<float> values,
                                             FloatKind kind) {
  std::vector<char> bytes(values.size() * ::qembed::byteWidth(kind));
  for (size_t i = 0; i < values.size(); ++i)
    ::qembed::storeElement(kind, bytes.data(), int64_t(i), values[i]);
  return bytes;
}
