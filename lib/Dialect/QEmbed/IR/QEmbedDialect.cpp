//===- QEmbedDialect.cpp - qembed dialect, attribute and verifiers --------===//
//
// Registers the dialect, parses/prints/verifies the scheme attribute and
// implements the shape and type rules of every op.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Numerics/FloatFormats.h"
#include "qembed/Numerics/Quantizer.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qembed;

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.cpp.inc"

#include "qembed/Dialect/QEmbed/IR/QEmbedEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qembed/Dialect/QEmbed/IR/QEmbedAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "qembed/Dialect/QEmbed/IR/QEmbedOps.cpp.inc"

void QEmbedDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qembed/Dialect/QEmbed/IR/QEmbedAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "qembed/Dialect/QEmbed/IR/QEmbedOps.cpp.inc"
      >();
}

Operation *QEmbedDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}

//===----------------------------------------------------------------------===//
// SchemeAttr
//===----------------------------------------------------------------------===//

// #qembed.scheme<bits = 4, group_size = 64, symmetric, scale_type = f16>
Attribute SchemeAttr::parse(AsmParser &parser, Type) {
  unsigned bits = 0;
  int64_t groupSize = 0;
  Type scaleType;
  if (parser.parseLess() || parser.parseKeyword("bits") ||
      parser.parseEqual() || parser.parseInteger(bits) || parser.parseComma() ||
      parser.parseKeyword("group_size") || parser.parseEqual() ||
      parser.parseInteger(groupSize) || parser.parseComma())
    return {};
  StringRef kind;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&kind))
    return {};
  if (kind != "symmetric" && kind != "asymmetric") {
    parser.emitError(kindLoc, "expected 'symmetric' or 'asymmetric'");
    return {};
  }
  if (parser.parseComma() || parser.parseKeyword("scale_type") ||
      parser.parseEqual() || parser.parseType(scaleType))
    return {};
  // Optional `, format = <name>` and `, global_scale = <f32>`.
  ::qembed::Format format = ::qembed::Format::Int;
  FloatAttr globalScale;
  if (succeeded(parser.parseOptionalComma())) {
    std::string name;
    SMLoc formatLoc = parser.getCurrentLocation();
    if (parser.parseKeyword("format") || parser.parseEqual() ||
        parser.parseKeywordOrString(&name))
      return {};
    std::optional<::qembed::Format> f = ::qembed::parseFormat(name);
    if (!f) {
      parser.emitError(formatLoc, "expected format int, fp8, nvfp4 or mxfp4");
      return {};
    }
    format = *f;
    if (succeeded(parser.parseOptionalComma())) {
      APFloat value(0.0f);
      if (parser.parseKeyword("global_scale") || parser.parseEqual() ||
          parser.parseFloat(APFloat::IEEEsingle(), value))
        return {};
      globalScale =
          FloatAttr::get(Float32Type::get(parser.getContext()), value);
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<SchemeAttr>(parser.getContext(), bits, groupSize,
                                       kind == "symmetric", scaleType,
                                       SchemeFormat(format), globalScale);
}

void SchemeAttr::print(AsmPrinter &printer) const {
  printer << "<bits = " << getBits() << ", group_size = " << getGroupSize()
          << ", " << (getSymmetric() ? "symmetric" : "asymmetric")
          << ", scale_type = " << getScaleType();
  if (!isInt())
    printer << ", format = "
            << ::qembed::formatName(::qembed::Format(getFormat()));
  if (FloatAttr g = getGlobalScale()) {
    // Shortest text that reads back as the same f32.
    SmallString<32> text;
    g.getValue().toString(text, /*FormatPrecision=*/0,
                          /*FormatMaxPadding=*/0);
    printer << ", global_scale = " << text;
  }
  printer << ">";
}

/// Checks the float-format rules of a scheme (FloatFormats.h).
static LogicalResult
verifyFloatFormat(function_ref<InFlightDiagnostic()> emitError,
                  ::qembed::Format format, unsigned bits, int64_t groupSize,
                  bool symmetric, Type scaleType, FloatAttr globalScale) {
  const char *name = ::qembed::formatName(format);
  if (bits != ::qembed::formatBits(format))
    return emitError() << "format " << name << " has "
                       << ::qembed::formatBits(format)
                       << "-bit codes, got bits = " << bits;
  if (groupSize != ::qembed::formatGroupSize(format))
    return emitError() << "format " << name << " fixes group_size = "
                       << ::qembed::formatGroupSize(format) << ", got "
                       << groupSize;
  if (!symmetric)
    return emitError() << "format " << name << " is symmetric only";
  bool nvfp4 = format == ::qembed::Format::NVFP4;
  if (format == ::qembed::Format::FP8 && !scaleType.isF16() &&
      !scaleType.isBF16() && !scaleType.isF32())
    return emitError() << "format fp8 takes f16, bf16 or f32 scales, got "
                       << scaleType;
  if (nvfp4 && !isa<Float8E4M3FNType>(scaleType))
    return emitError() << "format nvfp4 takes f8E4M3FN scales, got "
                       << scaleType;
  if (format == ::qembed::Format::MXFP4 && !isa<Float8E8M0FNUType>(scaleType))
    return emitError() << "format mxfp4 takes f8E8M0FNU scales, got "
                       << scaleType;
  if (nvfp4 && !globalScale)
    return emitError() << "format nvfp4 requires a global_scale";
  if (!nvfp4 && globalScale)
    return emitError() << "only format nvfp4 has a global_scale";
  if (globalScale && (!globalScale.getType().isF32() ||
                      !globalScale.getValue().isFiniteNonZero()))
    return emitError() << "global_scale must be a finite non-zero f32";
  return success();
}

LogicalResult SchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 unsigned bits, int64_t groupSize,
                                 bool symmetric, Type scaleType,
                                 SchemeFormat format, FloatAttr globalScale) {
  static_assert(unsigned(SchemeFormat::MXFP4) ==
                    unsigned(::qembed::Format::MXFP4),
                "SchemeFormat mirrors ::qembed::Format");
  if (format != SchemeFormat::Int)
    return verifyFloatFormat(emitError, ::qembed::Format(format), bits,
                             groupSize, symmetric, scaleType, globalScale);
  if (globalScale)
    return emitError() << "only format nvfp4 has a global_scale";
  if (bits < 2 || bits > 8)
    return emitError() << "bits must be in [2, 8], got " << bits;
  if (groupSize < 0)
    return emitError() << "group_size must be >= 0 (0 = one scale per row), "
                          "got "
                       << groupSize;
  if (!scaleType.isF16() && !scaleType.isBF16() && !scaleType.isF32())
    return emitError() << "scale_type must be f16, bf16 or f32, got "
                       << scaleType;
  return success();
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that `scheme` can quantize rows of `cols` columns.
static LogicalResult verifySchemeFor(Operation *op, SchemeAttr scheme,
                                     int64_t cols) {
  if (ShapedType::isDynamic(cols))
    return op->emitOpError("row length (number of columns) must be static");
  if (scheme.getGroupSize() != 0 && cols % scheme.getGroupSize() != 0)
    return op->emitOpError("group_size ")
           << scheme.getGroupSize() << " does not divide the row length "
           << cols;
  return success();
}

/// Checks scales / zero points of a table with `rows` x `cols`.
static LogicalResult verifyScales(Operation *op, SchemeAttr scheme,
                                  int64_t rows, int64_t cols, ShapedType scales,
                                  Value zeroPoints) {
  if (scales.getElementType() != scheme.getScaleType())
    return op->emitOpError("scales element type ")
           << scales.getElementType() << " does not match scheme scale_type "
           << scheme.getScaleType();
  int64_t groups = scheme.getNumGroups(cols);
  if (!compatible(scales.getDimSize(0), rows) ||
      !compatible(scales.getDimSize(1), groups))
    return op->emitOpError("scales must have shape [")
           << rows << ", " << groups << "] for this scheme, got " << scales;
  if (scheme.getSymmetric() && zeroPoints)
    return op->emitOpError("symmetric scheme takes no zero points");
  if (!scheme.getSymmetric() && !zeroPoints)
    return op->emitOpError("asymmetric scheme requires zero points");
  if (zeroPoints &&
      cast<ShapedType>(zeroPoints.getType()).getShape() != scales.getShape())
    return op->emitOpError("zero points must have the shape of the scales");
  return success();
}

/// Checks packed words + scales for rows of `cols` columns.
static LogicalResult verifyPacked(Operation *op, SchemeAttr scheme,
                                  int64_t cols, ShapedType packed,
                                  ShapedType scales, Value zeroPoints) {
  if (failed(verifySchemeFor(op, scheme, cols)))
    return failure();
  // Ids are clamped into [0, V): an empty table has no row to clamp to.
  if (packed.getDimSize(0) == 0)
    return op->emitOpError("table must have at least one row");
  int64_t words = scheme.getWordsPerRow(cols);
  if (!compatible(packed.getDimSize(1), words))
    return op->emitOpError("packed rows must have ")
           << words << " i32 words for " << cols << " columns of "
           << scheme.getBits() << " bits, got " << packed.getDimSize(1);
  return verifyScales(op, scheme, packed.getDimSize(0), cols, scales,
                      zeroPoints);
}

/// Checks `result` = ids shape x `cols` with float elements.
static LogicalResult verifyRowsResult(Operation *op, ShapedType ids,
                                      ShapedType result, int64_t cols) {
  if (result.getRank() != ids.getRank() + 1)
    return op->emitOpError("result rank must be ids rank + 1, got ")
           << result.getRank() << " and " << ids.getRank();
  for (int64_t i = 0, e = ids.getRank(); i < e; ++i)
    if (!compatible(ids.getDimSize(i), result.getDimSize(i)))
      return op->emitOpError("result dimension ")
             << i << " (" << result.getDimSize(i)
             << ") does not match ids dimension (" << ids.getDimSize(i) << ")";
  if (!compatible(result.getShape().back(), cols))
    return op->emitOpError("result row length ")
           << result.getShape().back() << " does not match the table's "
           << cols;
  return success();
}

LogicalResult LookupOp::verify() {
  RankedTensorType table = getTable().getType();
  if (table.getDimSize(0) == 0)
    return emitOpError("table must have at least one row");
  if (table.getElementType() != getResult().getType().getElementType())
    return emitOpError("result element type must match the table's");
  return verifyRowsResult(*this, getIds().getType(), getResult().getType(),
                          table.getDimSize(1));
}

/// qembed.quantize and qembed.pack produce integer codes only.
static LogicalResult verifyIntFormat(Operation *op, SchemeAttr scheme) {
  if (!scheme.isInt())
    return op->emitOpError("supports only format int, got format ")
           << ::qembed::formatName(::qembed::Format(scheme.getFormat()))
           << " (--qembed-quantize quantizes float formats)";
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (failed(verifyIntFormat(*this, getScheme())))
    return failure();
  RankedTensorType table = getTable().getType();
  int64_t cols = table.getDimSize(1);
  if (failed(verifySchemeFor(*this, getScheme(), cols)))
    return failure();
  if (getCodes().getType().getShape() != table.getShape())
    return emitOpError("codes must have the shape of the table");
  return verifyScales(*this, getScheme(), table.getDimSize(0), cols,
                      getScales().getType(), getZeroPoints());
}

LogicalResult PackOp::verify() {
  if (failed(verifyIntFormat(*this, getScheme())))
    return failure();
  RankedTensorType codes = getCodes().getType();
  int64_t cols = codes.getDimSize(1);
  if (failed(verifySchemeFor(*this, getScheme(), cols)))
    return failure();
  RankedTensorType packed = getPacked().getType();
  int64_t words = getScheme().getWordsPerRow(cols);
  if (!compatible(packed.getDimSize(0), codes.getDimSize(0)) ||
      !compatible(packed.getDimSize(1), words))
    return emitOpError("result must have shape [")
           << codes.getDimSize(0) << ", " << words << "], got " << packed;
  return success();
}

LogicalResult GatherOp::verify() {
  RankedTensorType result = getResult().getType();
  if (result.getRank() == 0)
    return emitOpError("result must have at least rank 1");
  int64_t cols = result.getShape().back();
  if (failed(verifyRowsResult(*this, getIds().getType(), result, cols)))
    return failure();
  return verifyPacked(*this, getScheme(), cols, getPacked().getType(),
                      getScales().getType(), getZeroPoints());
}

LogicalResult DequantizeOp::verify() {
  RankedTensorType result = getResult().getType();
  int64_t cols = result.getDimSize(1);
  if (!compatible(result.getDimSize(0), getPacked().getType().getDimSize(0)))
    return emitOpError("result must have one row per packed row");
  return verifyPacked(*this, getScheme(), cols, getPacked().getType(),
                      getScales().getType(), getZeroPoints());
}

LogicalResult BufferGatherOp::verify() {
  MemRefType out = getOut().getType();
  if (out.getRank() == 0)
    return emitOpError("output must have at least rank 1");
  int64_t cols = out.getShape().back();
  if (failed(verifyRowsResult(*this, getIds().getType(), out, cols)))
    return failure();
  return verifyPacked(*this, getScheme(), cols, getPacked().getType(),
                      getScales().getType(), getZeroPoints());
}

/// Checks `result` = [bags, cols] for `offsets` naming the bags.
static LogicalResult verifyBagsResult(Operation *op, ShapedType offsets,
                                      ShapedType result, int64_t cols) {
  if (!compatible(result.getDimSize(0), offsets.getDimSize(0)))
    return op->emitOpError("result must have one row per offset (bag), got ")
           << result.getDimSize(0) << " rows for " << offsets.getDimSize(0)
           << " offsets";
  if (!compatible(result.getDimSize(1), cols))
    return op->emitOpError("result row length ")
           << result.getDimSize(1) << " does not match the table's " << cols;
  return success();
}

LogicalResult LookupBagsOp::verify() {
  RankedTensorType table = getTable().getType();
  if (table.getDimSize(0) == 0)
    return emitOpError("table must have at least one row");
  if (table.getElementType() != getResult().getType().getElementType())
    return emitOpError("result element type must match the table's");
  if (getResult().getType().isDynamicDim(1))
    return emitOpError("result row length must be static");
  return verifyBagsResult(*this, getOffsets().getType(), getResult().getType(),
                          table.getDimSize(1));
}

LogicalResult GatherBagsOp::verify() {
  RankedTensorType result = getResult().getType();
  int64_t cols = result.getDimSize(1);
  if (failed(verifyBagsResult(*this, getOffsets().getType(), result, cols)))
    return failure();
  return verifyPacked(*this, getScheme(), cols, getPacked().getType(),
                      getScales().getType(), getZeroPoints());
}
