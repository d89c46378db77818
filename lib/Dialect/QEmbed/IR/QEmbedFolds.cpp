//===- QEmbedFolds.cpp - Constant folding of qembed ops -------------------===//
//
// quantize, pack and dequantize fold on constant operands through the
// numerics library, so explicit IR and the quantize pass agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/ConstantData.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Numerics/FloatFormats.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qembed;

/// Bytes of every element of a constant operand of type `type`, or nothing
/// when it is not foldable. Splats are expanded only within
/// kMaxFoldElements elements.
static std::optional<RawTensorData> constantBytes(Attribute attr,
                                                  ShapedType type) {
  if (!attr)
    return std::nullopt;
  std::string why;
  FailureOr<RawTensorData> data = getRawTensorData(attr, why);
  if (failed(data))
    return std::nullopt;
  std::optional<int64_t> n = getNumElementsChecked(type);
  if (!n || *n > kMaxFoldElements)
    return std::nullopt;
  if (failed(expandSplat(*data, type, kMaxFoldElements * 8, why)))
    return std::nullopt;
  return std::move(*data);
}

/// Whether a folder may build a result of `type` (static, at most
/// kMaxFoldElements elements): larger tables stay unfolded instead of being
/// densified at compile time.
static bool isFoldableSize(ShapedType type) {
  std::optional<int64_t> n = getNumElementsChecked(type);
  return n && *n <= kMaxFoldElements;
}

static ArrayRef<char> asBytes(const void *p, size_t n) {
  return ArrayRef<char>(static_cast<const char *>(p), n);
}

LogicalResult QuantizeOp::fold(FoldAdaptor adaptor,
                               SmallVectorImpl<OpFoldResult> &results) {
  RankedTensorType tableType = getTable().getType();
  if (!isFoldableSize(tableType) || !getScales().getType().hasStaticShape())
    return failure();
  std::optional<RawTensorData> table =
      constantBytes(adaptor.getTable(), tableType);
  if (!table)
    return failure();
  ::qembed::Scheme s = toNumericsScheme(getScheme());
  int64_t rows = tableType.getDimSize(0), cols = tableType.getDimSize(1);
  ::qembed::TableView view{table->bytes.data(),
                           *getFloatKind(tableType.getElementType()), rows,
                           cols};
  // A table with NaN/Inf or an overflowing scale is not quantized; the op
  // stays (folders cannot report why; --qembed-quantize does).
  if (::qembed::checkTable(view, s))
    return failure();
  int64_t groups = s.groupsPerRow(cols);
  std::vector<int8_t> codes(size_t(rows * cols));
  std::vector<float> scales(size_t(rows * groups));
  std::vector<int8_t> zps(size_t(rows * groups));
  ::qembed::quantizeCodes(view, s, codes.data(), scales.data(), zps.data());

  bool res = table->fromResource;
  results.push_back(makeElementsAttr(getCodes().getType(),
                                     asBytes(codes.data(), codes.size()), res,
                                     "qembed_codes"));
  std::vector<char> scaleBytes = encodeFloats(scales, s.scaleKind);
  results.push_back(makeElementsAttr(getScales().getType(), scaleBytes, res,
                                     "qembed_scales"));
  if (getZeroPoints())
    results.push_back(makeElementsAttr(getZeroPoints().getType(),
                                       asBytes(zps.data(), zps.size()), res,
                                       "qembed_zero_points"));
  return success();
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  RankedTensorType codesType = getCodes().getType();
  if (!isFoldableSize(codesType) || !getPacked().getType().hasStaticShape())
    return {};
  std::optional<RawTensorData> codes =
      constantBytes(adaptor.getCodes(), codesType);
  if (!codes)
    return {};
  int64_t rows = codesType.getDimSize(0), cols = codesType.getDimSize(1);
  unsigned bits = getScheme().getBits();
  std::vector<uint32_t> words(size_t(rows * getScheme().getWordsPerRow(cols)));
  ::qembed::packCodes(reinterpret_cast<const int8_t *>(codes->bytes.data()),
                      rows, cols, bits, words.data());
  return makeElementsAttr(getPacked().getType(),
                          asBytes(words.data(), words.size() * 4),
                          codes->fromResource, "qembed_packed");
}

/// Dequantizes a float-format table (FloatFormats.h) from its raw packed
/// words and scales into a constant of `type`.
static OpFoldResult foldFloatDequantize(SchemeAttr scheme,
                                        RankedTensorType type,
                                        const RawTensorData &packed,
                                        const RawTensorData &scales) {
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  ::qembed::FloatKind outKind = *getFloatKind(type.getElementType());
  // fp8 scales have the table's type; the other formats' are bytes.
  ::qembed::FloatKind tableKind =
      getFloatKind(scheme.getScaleType()).value_or(outKind);
  ::qembed::FloatScheme fs{::qembed::Format(scheme.getFormat()), false,
                           tableKind};
  FloatAttr g = scheme.getGlobalScale();
  // Copy the words out: attribute storage need not be 4-byte aligned.
  std::vector<uint32_t> words(packed.bytes.size() / 4);
  std::memcpy(words.data(), packed.bytes.data(), words.size() * 4);
  ::qembed::FloatPackedView view{words.data(),
                                 scales.bytes.data(),
                                 g ? g.getValue().convertToFloat() : 1.0f,
                                 rows,
                                 cols,
                                 fs};
  if (!::qembed::checkFloatView(view).empty())
    return {};
  std::vector<int64_t> ids(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    ids[size_t(r)] = r;
  std::vector<char> bytes(size_t(rows * cols) * ::qembed::byteWidth(outKind));
  ::qembed::gatherFloatRows(view, ids.data(), ::qembed::IndexKind::I64, rows,
                            outKind, bytes.data());
  return makeElementsAttr(type, bytes, packed.fromResource, "qembed_table");
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getResult().getType();
  if (!isFoldableSize(type) || !getScales().getType().hasStaticShape())
    return {};
  std::optional<RawTensorData> packed =
      constantBytes(adaptor.getPacked(), getPacked().getType());
  std::optional<RawTensorData> scales =
      constantBytes(adaptor.getScales(), getScales().getType());
  if (!getScheme().isInt()) {
    if (!packed || !scales)
      return {};
    return foldFloatDequantize(getScheme(), type, *packed, *scales);
  }
  std::optional<RawTensorData> zps;
  if (getZeroPoints()) {
    zps = constantBytes(adaptor.getZeroPoints(), getZeroPoints().getType());
    if (!zps)
      return {};
  }
  if (!packed || !scales)
    return {};
  ::qembed::Scheme s = toNumericsScheme(getScheme());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::vector<float> scaleValues(scales->bytes.size() /
                                 ::qembed::byteWidth(s.scaleKind));
  for (size_t i = 0; i < scaleValues.size(); ++i)
    scaleValues[i] =
        ::qembed::loadElement(s.scaleKind, scales->bytes.data(), int64_t(i));
  // Copy the words out: attribute storage need not be 4-byte aligned.
  std::vector<uint32_t> words(packed->bytes.size() / 4);
  std::memcpy(words.data(), packed->bytes.data(), words.size() * 4);
  std::vector<float> table(size_t(rows * cols));
  ::qembed::dequantizeTable(
      words.data(), scaleValues.data(),
      zps ? reinterpret_cast<const int8_t *>(zps->bytes.data()) : nullptr, rows,
      cols, s, table.data());
  // The value is exact in the scale type; the result type may differ.
  std::vector<char> bytes =
      encodeFloats(table, *getFloatKind(type.getElementType()));
  return makeElementsAttr(type, bytes, packed->fromResource, "qembed_table");
}
