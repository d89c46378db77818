//===- QuantizeVQ.cpp - --qembed-quantize format=vq -----------------------===//
//
// Codebook vector quantization of the constant tables of qembed.lookup ops
// at compile time (numerics in lib/Numerics/Codebook.cpp); each lookup
// becomes a qembed.codebook_gather over packed codes, per-row scales and
// codebooks.
//
//===----------------------------------------------------------------------===//

#include "QuantizeVQ.h"

#include "qembed/Dialect/QEmbed/IR/ConstantData.h"
#include "qembed/Numerics/Codebook.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qembed;

/// The codebook element type named by `name`, if it is one.
static std::optional<::qembed::FloatKind> parseKind(StringRef name) {
  if (name == "f16")
    return ::qembed::FloatKind::F16;
  if (name == "bf16")
    return ::qembed::FloatKind::BF16;
  if (name == "f32")
    return ::qembed::FloatKind::F32;
  return std::nullopt;
}

/// The numerics scheme of the options (checked by checkVQOptions).
static ::qembed::CodebookScheme toScheme(const QEmbedQuantizeOptions &o) {
  ::qembed::CodebookScheme s;
  s.dim = o.vqDim;
  s.entryBits = llvm::countr_zero(uint64_t(o.vqEntries));
  s.stages = o.vqStages;
  s.groups = o.vqGroups;
  s.iterations = o.vqIterations;
  s.seed = o.seed;
  s.scaleKind = ::qembed::FloatKind::F16;
  s.codebookKind = *parseKind(o.vqCodebookType);
  return s;
}

LogicalResult mlir::qembed::checkVQOptions(MLIRContext *ctx,
                                           const QEmbedQuantizeOptions &o) {
  auto bad = [&]() {
    return emitError(UnknownLoc::get(ctx)) << "invalid options: ";
  };
  if (CodebookAttr::verify([&] { return bad(); }, o.vqDim, o.vqEntries,
                           o.vqStages, o.vqGroups)
          .failed())
    return failure();
  if (o.vqIterations > 1000)
    return bad() << "vq-iterations must be <= 1000, got "
                 << unsigned(o.vqIterations);
  if (!parseKind(o.vqCodebookType))
    return bad() << "vq-codebook-type '" << o.vqCodebookType
                 << "': expected f16, bf16 or f32";
  return success();
}

/// Why `constant` stays dense under the options, or "" to quantize it.
static std::string whyLeftDense(arith::ConstantOp constant,
                                const QEmbedQuantizeOptions &o) {
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.hasStaticShape())
    return "";
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (std::string err = ::qembed::checkCodebookScheme(toScheme(o), cols);
      !err.empty())
    return "format=vq: " + err;
  if (rows < o.minRows)
    return "it has " + std::to_string(rows) +
           " rows, fewer than min-rows=" + std::to_string(int64_t(o.minRows));
  std::optional<int64_t> bytes = getByteSizeChecked(type);
  if (bytes && *bytes < o.minTableBytes)
    return "it takes " + std::to_string(*bytes) +
           " bytes, fewer than min-table-bytes=" +
           std::to_string(int64_t(o.minTableBytes));
  return "";
}

namespace {
/// The constants that replace one table.
struct VQConstants {
  TypedAttr codes, scales, codebooks;
  double bitsPerParam = 0, sqnr = 0;
};
} // namespace

/// Quantizes the table of `constant`, or emits an error and fails.
static FailureOr<VQConstants> quantizeTable(arith::ConstantOp constant,
                                            const QEmbedQuantizeOptions &o) {
  auto type = cast<RankedTensorType>(constant.getType());
  MLIRContext *ctx = constant.getContext();
  if (!type.hasStaticShape())
    return constant.emitError("cannot quantize a table of dynamic shape");
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::optional<int64_t> tableBytes = getByteSizeChecked(type);
  if (!tableBytes || *tableBytes > o.maxTableBytes)
    return constant.emitError("cannot quantize this table: it takes more than ")
           << int64_t(o.maxTableBytes) << " bytes (max-table-bytes)";
  std::string why;
  FailureOr<RawTensorData> raw = getRawTensorData(constant.getValue(), why);
  if (failed(raw) || failed(expandSplat(*raw, type, o.maxTableBytes, why)))
    return constant.emitError("cannot read the table: ") << why;
  ::qembed::CodebookScheme s = toScheme(o);
  ::qembed::TableView view{raw->bytes.data(),
                           *getFloatKind(type.getElementType()), rows, cols};
  if (std::optional<::qembed::TableProblem> problem =
          ::qembed::checkCodebookTable(view, s))
    return constant.emitError("cannot quantize this table: ")
           << problem->message();
  ::qembed::CodebookTable q = ::qembed::quantizeCodebook(view, s);

  VQConstants out;
  int64_t wpr = s.wordsPerRow(cols);
  auto codesType =
      RankedTensorType::get({rows, wpr}, IntegerType::get(ctx, 32));
  auto scalesType =
      RankedTensorType::get({rows, 1}, getFloatType(ctx, s.scaleKind));
  auto booksType = RankedTensorType::get(
      {s.groups, int64_t(s.stages), s.entries(), int64_t(s.dim)},
      getFloatType(ctx, s.codebookKind));
  bool asResource = raw->fromResource;
  ArrayRef<char> wordBytes(reinterpret_cast<const char *>(q.words.data()),
                           q.words.size() * 4);
  out.codes = cast<TypedAttr>(
      makeElementsAttr(codesType, wordBytes, asResource, "qembed_vq_codes"));
  out.scales = cast<TypedAttr>(
      makeElementsAttr(scalesType, encodeFloats(q.scales, s.scaleKind),
                       asResource, "qembed_vq_scales"));
  out.codebooks = cast<TypedAttr>(
      makeElementsAttr(booksType, encodeFloats(q.codebooks, s.codebookKind),
                       asResource, "qembed_vq_codebooks"));
  out.bitsPerParam = s.bitsPerParam(rows, cols);
  out.sqnr = q.noisePower > 0 ? 10 * std::log10(q.signalPower / q.noisePower)
                              : INFINITY;
  return out;
}

LogicalResult mlir::qembed::quantizeLookupsVQ(ModuleOp module,
                                              const QEmbedQuantizeOptions &o) {
  llvm::MapVector<arith::ConstantOp, SmallVector<LookupOp>> byTable;
  module->walk([&](LookupOp op) {
    if (auto c = op.getTable().getDefiningOp<arith::ConstantOp>())
      byTable[c].push_back(op);
  });
  MLIRContext *ctx = module.getContext();
  auto attr =
      CodebookAttr::get(ctx, o.vqDim, o.vqEntries, o.vqStages, o.vqGroups);
  DenseMap<Attribute, VQConstants> cache;
  bool failedAny = false;
  for (auto &[constant, lookups] : byTable) {
    if (std::string why = whyLeftDense(constant, o); !why.empty()) {
      constant.emitRemark("table left dense: ") << why;
      continue;
    }
    auto it = cache.find(constant.getValue());
    if (it == cache.end()) {
      FailureOr<VQConstants> q = quantizeTable(constant, o);
      if (failed(q)) {
        failedAny = true;
        continue;
      }
      it = cache.try_emplace(constant.getValue(), *q).first;
    }
    const VQConstants &q = it->second;
    OpBuilder b(constant);
    Location loc = constant.getLoc();
    Value codes = arith::ConstantOp::create(b, loc, q.codes);
    Value scales = arith::ConstantOp::create(b, loc, q.scales);
    Value books = arith::ConstantOp::create(b, loc, q.codebooks);
    for (LookupOp lookup : lookups) {
      OpBuilder lb(lookup);
      Value rows =
          CodebookGatherOp::create(lb, lookup.getLoc(), lookup.getType(), codes,
                                   lookup.getIds(), scales, books, attr);
      lookup.replaceAllUsesWith(rows);
      lookup.erase();
    }
    bool keptDense = !constant->use_empty();
    if (o.report) {
      auto type = cast<RankedTensorType>(constant.getType());
      std::string msg = llvm::formatv(
          "quantized {0}x{1}x{2} table with codebook VQ (dim {3}, {4} "
          "entries, {5} stage(s), {6} group(s)), used by {7} lookup(s): "
          "{8:F3} bits/param (codes, scales and codebooks), SQNR {9:F1} dB",
          type.getDimSize(0), type.getDimSize(1), type.getElementType(),
          unsigned(o.vqDim), int64_t(o.vqEntries), unsigned(o.vqStages),
          int64_t(o.vqGroups), lookups.size(), q.bitsPerParam, q.sqnr);
      if (keptDense)
        msg += "; the table has other uses, which keep the dense constant";
      constant.emitRemark(msg);
    }
    if (!keptDense)
      constant.erase();
  }
  return failure(failedAny);
}

FailureOr<QuantizedVQTableAttrs>
mlir::qembed::quantizeConstantTableVQ(arith::ConstantOp constant,
                                      const QEmbedQuantizeOptions &o,
                                      unsigned lookups) {
  FailureOr<VQConstants> q = quantizeTable(constant, o);
  if (failed(q))
    return failure();
  QuantizedVQTableAttrs out;
  out.codebook = CodebookAttr::get(constant.getContext(), o.vqDim, o.vqEntries,
                                   o.vqStages, o.vqGroups);
  out.codes = q->codes;
  out.scales = q->scales;
  out.codebooks = q->codebooks;
  if (o.report) {
    auto type = cast<RankedTensorType>(constant.getType());
    out.report = llvm::formatv(
        "quantized {0}x{1}x{2} table with codebook VQ (dim {3}, {4} "
        "entries, {5} stage(s), {6} group(s)), used by {7} lookup(s): "
        "{8:F3} bits/param (codes, scales and codebooks), SQNR {9:F1} dB",
        type.getDimSize(0), type.getDimSize(1), type.getElementType(),
        unsigned(o.vqDim), int64_t(o.vqEntries), unsigned(o.vqStages),
        int64_t(o.vqGroups), lookups, q->bitsPerParam, q->sqnr);
  }
  return out;
}

std::string mlir::qembed::whyTableLeftDenseVQ(arith::ConstantOp constant,
                                              const QEmbedQuantizeOptions &o) {
  return whyLeftDense(constant, o);
}
