//===- ConstantData.cpp - Raw bytes of constant tensors -------------------===//

#include "qembed/Dialect/QEmbed/IR/ConstantData.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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
    int64_t width = elementBytes(elt);
    if (dense.isSplat()) {
      int64_t n = type.getNumElements();
      out.storage.resize(size_t(n * width));
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(out.storage.data() + i * width, raw.data(), width);
      out.bytes = out.storage;
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
    int64_t expected =
        type.getNumElements() * elementBytes(type.getElementType());
    if (int64_t(out.bytes.size()) != expected) {
      why = "dense_resource holds " + std::to_string(out.bytes.size()) +
            " bytes, its type needs " + std::to_string(expected);
      return failure();
    }
    return out;
  }
  why = "table is not a dense or dense_resource constant";
  return failure();
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
