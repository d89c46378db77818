//===- Quantize.cpp - --qembed-quantize -----------------------------------===//
//
// Quantizes the constant table of every qembed.lookup at compile time and
// rewrites the lookup into a qembed.gather over packed words and scales.
//
//===----------------------------------------------------------------------===//

#include "QuantizeVQ.h"
#include "qembed/Dialect/QEmbed/IR/ConstantData.h"
#include "qembed/Dialect/QEmbed/Transforms/Passes.h"
#include "qembed/Dialect/QEmbed/Transforms/QuantizeTable.h"
#include "qembed/Numerics/FloatFormats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace mlir::qembed {
#define GEN_PASS_DEF_QEMBEDQUANTIZE
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

namespace {
/// The constants that replace one quantized table.
struct QuantizedConstants {
  SchemeAttr scheme;
  TypedAttr packed, scales, zeroPoints;
  ::qembed::PackedTable stats; // words/scales cleared; sizes and errors kept
};

struct QEmbedQuantizePass
    : mlir::qembed::impl::QEmbedQuantizeBase<QEmbedQuantizePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override;
  void runOnOperation() override;

private:
  /// The scale-type option parsed; empty = the table's element type.
  std::optional<Type> requestedScaleType;
  /// The format option parsed.
  ::qembed::Format parsedFormat = ::qembed::Format::Int;
};

/// Quantized tables by table value, so each distinct table is quantized once.
using TableCache = DenseMap<Attribute, std::unique_ptr<QuantizedConstants>>;
} // namespace

/// The float-format half of quantizeTable (FloatFormats.h): FP8 / NVFP4 /
/// MXFP4 codes packed into i32 words, scales of the table's type
/// (fp8), f8E4M3FN (nvfp4) or f8E8M0FNU (mxfp4). A splat table is expanded
/// (within max-table-bytes) and quantized like any other.
static FailureOr<QuantizedConstants *>
quantizeFloatTable(arith::ConstantOp constant,
                   const QEmbedQuantizeOptions &opts, ::qembed::Format format,
                   TableCache &cache) {
  Attribute value = constant.getValue();
  auto it = cache.find(value);
  if (it != cache.end())
    return it->second.get();
  auto type = cast<RankedTensorType>(constant.getType());
  MLIRContext *ctx = constant.getContext();
  if (!type.hasStaticShape())
    return constant.emitError("cannot quantize a table of dynamic shape");
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  ::qembed::FloatKind kind = *getFloatKind(type.getElementType());
  ::qembed::FloatScheme fs{format, opts.perTensor, kind};
  if (std::string err = ::qembed::checkFloatScheme(fs, cols); !err.empty())
    return constant.emitError("cannot quantize this table: ") << err;
  std::optional<int64_t> tableBytes = getByteSizeChecked(type);
  if (!tableBytes || *tableBytes > opts.maxTableBytes)
    return constant.emitError("cannot quantize this table: it takes more than ")
           << int64_t(opts.maxTableBytes) << " bytes (max-table-bytes)";
  std::string why;
  FailureOr<RawTensorData> raw = getRawTensorData(value, why);
  if (failed(raw))
    return constant.emitError("cannot read the table: ") << why;
  if (failed(expandSplat(*raw, type, opts.maxTableBytes, why)))
    return constant.emitError("cannot quantize this table: ") << why;
  ::qembed::TableView view{raw->bytes.data(), kind, rows, cols};
  if (std::optional<::qembed::TableProblem> problem =
          ::qembed::checkFloatTable(view))
    return constant.emitError("cannot quantize this table: ")
           << problem->message();
  ::qembed::FloatPackedTable q =
      ::qembed::quantizeFloatTable(view, fs, /*threads=*/0, opts.report);

  Type scaleType = type.getElementType();
  FloatAttr globalScale;
  if (format == ::qembed::Format::NVFP4) {
    scaleType = Float8E4M3FNType::get(ctx);
    globalScale = FloatAttr::get(Float32Type::get(ctx), q.globalScale);
  } else if (format == ::qembed::Format::MXFP4) {
    scaleType = Float8E8M0FNUType::get(ctx);
  }
  auto scheme = SchemeAttr::getChecked(
      [&] { return constant.emitError(); }, ctx, fs.bits(), fs.groupSize(),
      /*symmetric=*/true, scaleType, SchemeFormat(format), globalScale);
  if (!scheme)
    return failure();
  auto result = std::make_unique<QuantizedConstants>();
  result->scheme = scheme;
  int64_t groups = fs.groupsPerRow(cols), wpr = fs.wordsPerRow(cols);
  auto packedType =
      RankedTensorType::get({rows, wpr}, IntegerType::get(ctx, 32));
  auto scalesType = RankedTensorType::get({rows, groups}, scaleType);
  ArrayRef<char> wordBytes(reinterpret_cast<const char *>(q.words.data()),
                           q.words.size() * 4);
  std::vector<char> scaleBytes;
  if (format == ::qembed::Format::FP8)
    scaleBytes = encodeFloats(q.scales, kind);
  else
    scaleBytes.assign(q.scaleCodes.begin(), q.scaleCodes.end());
  result->packed = cast<TypedAttr>(makeElementsAttr(
      packedType, wordBytes, raw->fromResource, "qembed_packed"));
  result->scales = cast<TypedAttr>(makeElementsAttr(
      scalesType, scaleBytes, raw->fromResource, "qembed_scales"));
  ::qembed::PackedTable stats;
  stats.rows = rows;
  stats.cols = cols;
  stats.maxAbsError = q.maxAbsError;
  stats.signalPower = q.signalPower;
  stats.noisePower = q.noisePower;
  result->stats = std::move(stats);
  QuantizedConstants *ptr = result.get();
  cache[value] = std::move(result);
  return ptr;
}

/// Whether [data, data + size) lies in one read-only mapping of a file
/// (e.g. the input that qembed-opt memory-maps and the bytecode reader
/// references without copying). Dropping such pages from the process
/// (MADV_DONTNEED) never changes what later reads see: the kernel reads
/// them again from the file.
static bool isReadOnlyFileMapping(const char *data, size_t size) {
#ifdef __linux__
  FILE *maps = std::fopen("/proc/self/maps", "r");
  if (!maps)
    return false;
  auto begin = reinterpret_cast<uintptr_t>(data), end = begin + size;
  bool found = false;
  unsigned long lo, hi, inode;
  char perms[8];
  char line[4096];
  while (std::fgets(line, sizeof(line), maps)) {
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &inode) !=
        4)
      continue;
    if (begin >= lo && end <= hi) {
      found = perms[1] != 'w' && inode != 0;
      break;
    }
  }
  std::fclose(maps);
  return found;
#else
  (void)data;
  (void)size;
  return false;
#endif
}

namespace {
/// Table rows whose pages the quantizer drops once it has read them.
struct InputRelease {
  const char *data;
  int64_t rowBytes;
};
} // namespace

/// RowsDoneFn of the quantizer: drops the whole pages of rows [r0, r1) of
/// a table in a read-only file mapping.
static void releaseRows(void *context, int64_t r0, int64_t r1) {
#ifdef __linux__
  auto *release = static_cast<const InputRelease *>(context);
  auto page = uintptr_t(sysconf(_SC_PAGESIZE));
  auto begin =
      reinterpret_cast<uintptr_t>(release->data + r0 * release->rowBytes);
  auto end =
      reinterpret_cast<uintptr_t>(release->data + r1 * release->rowBytes);
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
#else
  (void)context;
  (void)r0;
  (void)r1;
#endif
}

/// The storage of one output constant: a mutable resource blob that the
/// quantizer writes into and the attribute then takes over, or bytes for a
/// `dense` attribute.
namespace {
struct OutputStorage {
  bool asResource;
  AsmResourceBlob blob;
  std::vector<char> bytes;

  OutputStorage(size_t size, bool asResource) : asResource(asResource) {
    if (asResource)
      blob = HeapAsmResourceBlob::allocate(size, alignof(int64_t),
                                           /*dataIsMutable=*/true);
    else
      bytes.resize(size);
  }
  char *data() {
    return asResource ? blob.getMutableData().data() : bytes.data();
  }
  /// The constant of `type` holding the storage (consumes it).
  TypedAttr take(ShapedType type, StringRef hint) {
    if (asResource)
      return DenseResourceElementsAttr::get(type, hint, std::move(blob));
    return cast<TypedAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
};
} // namespace

/// quantizeTable for a table that is not a splat: checks and quantizes it in
/// one read, straight into the storage of the output constants. With
/// `releaseInput` (the table is dropped once quantized), pages of a table
/// in a read-only file mapping are dropped as soon as they are read.
static FailureOr<std::unique_ptr<QuantizedConstants>>
quantizeIntoConstants(arith::ConstantOp constant, ArrayRef<char> bytes,
                      bool asResource, ::qembed::FloatKind kind,
                      SchemeAttr scheme, const QEmbedQuantizeOptions &opts,
                      bool releaseInput) {
  auto type = cast<RankedTensorType>(constant.getType());
  MLIRContext *ctx = constant.getContext();
  ::qembed::Scheme s = toNumericsScheme(scheme);
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  int64_t groups = s.groupsPerRow(cols), wpr = s.wordsPerRow(cols);
  OutputStorage words(size_t(rows * wpr) * 4, asResource);
  OutputStorage scales(size_t(rows * groups) * ::qembed::byteWidth(s.scaleKind),
                       asResource);
  std::optional<OutputStorage> zps;
  if (!s.symmetric)
    zps.emplace(size_t(rows * groups), asResource);

  ::qembed::TableView view{bytes.data(), kind, rows, cols};
  InputRelease release{bytes.data(), cols * int64_t(::qembed::byteWidth(kind))};
  bool dropPages =
      releaseInput && isReadOnlyFileMapping(bytes.data(), bytes.size());
  ::qembed::QuantizeErrorStats stats;
  std::optional<::qembed::TableProblem> problem = ::qembed::quantizeTableInto(
      view, s,
      {reinterpret_cast<uint32_t *>(words.data()), scales.data(),
       zps ? reinterpret_cast<int8_t *>(zps->data()) : nullptr},
      /*threads=*/0, opts.report ? &stats : nullptr,
      dropPages ? releaseRows : nullptr, &release);
  if (problem)
    return constant.emitError("cannot quantize this table: ")
           << problem->message();

  auto result = std::make_unique<QuantizedConstants>();
  result->scheme = scheme;
  auto i32 = IntegerType::get(ctx, 32), i8 = IntegerType::get(ctx, 8);
  result->packed =
      words.take(RankedTensorType::get({rows, wpr}, i32), "qembed_packed");
  result->scales = scales.take(
      RankedTensorType::get({rows, groups}, getFloatType(ctx, s.scaleKind)),
      "qembed_scales");
  if (zps)
    result->zeroPoints = zps->take(RankedTensorType::get({rows, groups}, i8),
                                   "qembed_zero_points");
  ::qembed::PackedTable &t = result->stats;
  t.rows = rows;
  t.cols = cols;
  t.scheme = s;
  t.maxAbsError = stats.maxAbsError;
  t.signalPower = stats.signalPower;
  t.noisePower = stats.noisePower;
  return result;
}

/// Quantizes the value of `constant` with the pass options, or returns the
/// cached result for an identical table.
static FailureOr<QuantizedConstants *>
quantizeTable(arith::ConstantOp constant, const QEmbedQuantizeOptions &opts,
              std::optional<Type> requestedScaleType, TableCache &cache,
              bool releaseInput) {
  Attribute value = constant.getValue();
  auto it = cache.find(value);
  if (it != cache.end())
    return it->second.get();

  auto type = cast<RankedTensorType>(constant.getType());
  MLIRContext *ctx = constant.getContext();
  Type scaleType = requestedScaleType.value_or(type.getElementType());
  auto scheme = SchemeAttr::getChecked([&] { return constant.emitError(); },
                                       ctx, opts.bits, opts.groupSize,
                                       opts.symmetric, scaleType);
  if (!scheme)
    return failure();
  if (!type.hasStaticShape())
    return constant.emitError("cannot quantize a table of dynamic shape");
  ::qembed::Scheme s = toNumericsScheme(scheme);
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (std::string err = ::qembed::checkScheme(s, cols); !err.empty())
    return constant.emitError("cannot quantize this table: ") << err;
  std::string why;
  FailureOr<RawTensorData> raw = getRawTensorData(value, why);
  if (failed(raw))
    return constant.emitError("cannot read the table: ") << why;
  ::qembed::FloatKind kind = *getFloatKind(type.getElementType());
  unsigned width = ::qembed::byteWidth(kind);
  std::optional<int64_t> tableBytes = getByteSizeChecked(type);
  if (!raw->isSplat && (!tableBytes || *tableBytes > opts.maxTableBytes))
    return constant.emitError("cannot quantize this table: it takes more than ")
           << int64_t(opts.maxTableBytes) << " bytes (max-table-bytes)";
  if (raw->isSplat && cols > opts.maxTableBytes / width)
    return constant.emitError("cannot quantize this table: a row takes more "
                              "than ")
           << int64_t(opts.maxTableBytes) << " bytes (max-table-bytes)";
  int64_t rowBytes = cols * int64_t(width);
  if (!raw->isSplat) {
    FailureOr<std::unique_ptr<QuantizedConstants>> q =
        quantizeIntoConstants(constant, raw->bytes, raw->fromResource, kind,
                              scheme, opts, releaseInput);
    if (failed(q))
      return failure();
    QuantizedConstants *ptr = q->get();
    cache[value] = std::move(*q);
    return ptr;
  }

  // A splat table quantizes one row: every row gives the same words, scales
  // and zero points.
  std::vector<char> splatRow;
  ::qembed::TableView view{raw->bytes.data(), kind, rows, cols};
  if (raw->isSplat) {
    splatRow.resize(size_t(rowBytes));
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(splatRow.data() + c * width, raw->bytes.data(), width);
    view = {splatRow.data(), kind, 1, cols};
  }
  if (std::optional<::qembed::TableProblem> problem =
          ::qembed::checkTable(view, s))
    return constant.emitError("cannot quantize this table: ")
           << problem->message();
  // The error statistics are only for the report.
  ::qembed::PackedTable q =
      ::qembed::quantizeTable(view, s, /*threads=*/0, opts.report);

  auto result = std::make_unique<QuantizedConstants>();
  result->scheme = scheme;
  int64_t groups = s.groupsPerRow(cols), wpr = s.wordsPerRow(cols);
  bool asResource = raw->fromResource;
  auto i32 = IntegerType::get(ctx, 32), i8 = IntegerType::get(ctx, 8);
  auto packedType = RankedTensorType::get({rows, wpr}, i32);
  auto scalesType = RankedTensorType::get({rows, groups}, scaleType);
  auto zpType = RankedTensorType::get({rows, groups}, i8);
  std::vector<char> scaleBytes = encodeFloats(q.scales, s.scaleKind);
  ArrayRef<char> wordBytes(reinterpret_cast<const char *>(q.words.data()),
                           q.words.size() * 4);
  ArrayRef<char> zpBytes(reinterpret_cast<const char *>(q.zeroPoints.data()),
                         q.zeroPoints.size());
  std::vector<char> repeatedWords;
  if (raw->isSplat) {
    // Scales and zero points of one row are all equal: splats. The words
    // are too unless codes straddle words or the row ends in padding; then
    // the row is repeated, within the size limit.
    scaleBytes.resize(::qembed::byteWidth(s.scaleKind));
    zpBytes = zpBytes.take_front(1);
    if (llvm::all_equal(q.words)) {
      wordBytes = wordBytes.take_front(4);
    } else {
      std::optional<int64_t> words = getNumElementsChecked(packedType);
      if (!words || *words > kMaxFoldElements)
        return constant.emitError("cannot quantize this splat table: its "
                                  "packed row is not one repeated word and "
                                  "repeating it would take more than ")
               << kMaxFoldElements << " words (qembed's limit)";
      repeatedWords.resize(size_t(*words) * 4);
      for (int64_t r = 0; r < rows; ++r)
        std::memcpy(repeatedWords.data() + r * wordBytes.size(),
                    wordBytes.data(), wordBytes.size());
      wordBytes = repeatedWords;
    }
    // Statistics of the whole table: every row has the first row's.
    q.signalPower *= double(rows);
    q.noisePower *= double(rows);
    q.rows = rows;
  }
  result->packed = cast<TypedAttr>(
      makeElementsAttr(packedType, wordBytes, asResource, "qembed_packed"));
  result->scales = cast<TypedAttr>(
      makeElementsAttr(scalesType, scaleBytes, asResource, "qembed_scales"));
  if (!s.symmetric)
    result->zeroPoints = cast<TypedAttr>(
        makeElementsAttr(zpType, zpBytes, asResource, "qembed_zero_points"));
  q.words.clear();
  q.scales.clear();
  q.zeroPoints.clear();
  result->stats = std::move(q);
  QuantizedConstants *ptr = result.get();
  cache[value] = std::move(result);
  return ptr;
}

/// Returns why the table of `constant` stays dense under the pass options
/// (the scheme cannot serve its row length, or it is below `min-rows` /
/// `min-table-bytes`), or "" when it is to be quantized.
static std::string whyLeftDense(arith::ConstantOp constant,
                                const QEmbedQuantizeOptions &opts) {
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.hasStaticShape())
    return "";
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (opts.format != "int" && opts.groupSize != 0 && cols % opts.groupSize)
    return "format " + opts.format + " has groups of " +
           std::to_string(int64_t(opts.groupSize)) +
           " columns, which do not divide its row length " +
           std::to_string(cols);
  if (opts.groupSize != 0 && cols % opts.groupSize != 0)
    return "group-size " + std::to_string(int64_t(opts.groupSize)) +
           " does not divide its row length " + std::to_string(cols) +
           " (choose a group size dividing it, or 0 for one scale per row)";
  if (rows < opts.minRows)
    return "it has " + std::to_string(rows) + " rows, fewer than min-rows=" +
           std::to_string(int64_t(opts.minRows));
  std::optional<int64_t> bytes = getByteSizeChecked(type);
  if (bytes && *bytes < opts.minTableBytes)
    return "it takes " + std::to_string(*bytes) +
           " bytes, fewer than min-table-bytes=" +
           std::to_string(int64_t(opts.minTableBytes));
  return "";
}

/// Describes the size and error of a quantized table, for `report=true`.
static std::string describe(RankedTensorType type, const QuantizedConstants &q,
                            unsigned lookups, bool keptDense) {
  const ::qembed::PackedTable &t = q.stats;
  double params = double(t.rows) * double(t.cols);
  double before = params * type.getElementTypeBitWidth() / 8;
  // In double, from the shape: the element count of a huge splat table's
  // constants need not fit in int64_t (getNumElements would overflow).
  auto bytesOf = [](TypedAttr a) {
    if (!a)
      return 0.0;
    auto st = cast<ShapedType>(a.getType());
    double elements = 1;
    for (int64_t dim : st.getShape())
      elements *= double(dim);
    return elements * st.getElementTypeBitWidth() / 8;
  };
  double packed = bytesOf(q.packed), scales = bytesOf(q.scales),
         zps = bytesOf(q.zeroPoints);
  double after = packed + scales + zps;
  double sqnr = t.noisePower > 0 ? 10 * std::log10(t.signalPower / t.noisePower)
                                 : INFINITY;
  // Byte counts are whole numbers printed from the doubles (F0): a splat
  // table of 2^63 - 1 rows has more bytes than uint64_t holds.
  std::string msg = llvm::formatv(
      "quantized {0}x{1}x{2} table used by {3} lookup(s): {4:F0} -> {5:F0} "
      "bytes (packed {6:F0} + scales {7:F0} + zero points {8:F0}), {9:F2} "
      "bits/param, {10:F2}x smaller, max |error| {11:E3}, SQNR {12:F1} dB",
      t.rows, t.cols, type.getElementType(), lookups, before, after, packed,
      scales, zps, after * 8 / params, before / after, t.maxAbsError, sqnr);
  if (keptDense)
    msg += "; the table has other uses, which keep the dense constant";
  return msg;
}

LogicalResult QEmbedQuantizePass::initialize(MLIRContext *ctx) {
  // Options are checked once, before any IR is touched.
  if (maxTableBytes <= 0)
    return emitError(UnknownLoc::get(ctx))
           << "invalid options: max-table-bytes must be > 0, got "
           << int64_t(maxTableBytes);
  if (minTableBytes < 0 || minRows < 0)
    return emitError(UnknownLoc::get(ctx))
           << "invalid options: min-table-bytes and min-rows must be >= 0, "
              "got min-table-bytes="
           << int64_t(minTableBytes) << " min-rows=" << int64_t(minRows);
  if (bits < 2 || bits > 8 || groupSize < 0)
    return emitError(UnknownLoc::get(ctx))
           << "invalid options: bits must be in [2, 8] and group-size >= 0, "
              "got bits="
           << unsigned(bits) << " group-size=" << int64_t(groupSize);
  if (format == "vq") {
    QEmbedQuantizeOptions opts;
    opts.vqDim = vqDim;
    opts.vqEntries = vqEntries;
    opts.vqStages = vqStages;
    opts.vqGroups = vqGroups;
    opts.vqIterations = vqIterations;
    opts.vqCodebookType = vqCodebookType;
    if (failed(checkVQOptions(ctx, opts)))
      return failure();
    if (perTensor)
      return emitError(UnknownLoc::get(ctx))
             << "invalid options: per-tensor is only for format=fp8, got "
                "format=vq";
  } else {
    QuantizeFormatOptions o;
    o.format = format;
    o.perTensor = perTensor;
    o.bits = bits;
    o.bitsGiven = bits.hasValue();
    o.groupSize = groupSize;
    o.groupSizeGiven = groupSize.hasValue();
    o.symmetric = symmetric;
    o.scaleType = scaleType;
    FailureOr<::qembed::Format> f =
        checkQuantizeFormatOptions(UnknownLoc::get(ctx), o);
    if (failed(f))
      return failure();
    parsedFormat = *f;
    if (parsedFormat != ::qembed::Format::Int) {
      bits = o.bits;
      groupSize = o.groupSize;
    }
  }
  if (scaleType == "f32")
    requestedScaleType = Float32Type::get(ctx);
  else if (scaleType == "f16")
    requestedScaleType = Float16Type::get(ctx);
  else if (scaleType == "bf16")
    requestedScaleType = BFloat16Type::get(ctx);
  else if (!scaleType.empty())
    return emitError(UnknownLoc::get(ctx))
           << "invalid scale-type '" << scaleType
           << "': expected f16, bf16 or f32";
  return success();
}

void QEmbedQuantizePass::runOnOperation() {
  // Group lookups by table so each table is quantized and reported once.
  // (qembed.lookup and qembed.lookup_bags both read tables.)
  llvm::MapVector<arith::ConstantOp, SmallVector<Operation *>> byTable;
  getOperation()->walk([&](Operation *op) {
    if (!isa<LookupOp, LookupBagsOp>(op))
      return;
    if (auto c = op->getOperand(0).getDefiningOp<arith::ConstantOp>())
      byTable[c].push_back(op);
  });

  QEmbedQuantizeOptions opts;
  opts.bits = bits;
  opts.groupSize = groupSize;
  opts.symmetric = symmetric;
  opts.maxTableBytes = maxTableBytes;
  opts.minTableBytes = minTableBytes;
  opts.minRows = minRows;
  opts.report = report;
  opts.format = format;
  opts.perTensor = perTensor;
  if (format == "vq") {
    opts.vqDim = vqDim;
    opts.vqEntries = vqEntries;
    opts.vqStages = vqStages;
    opts.vqGroups = vqGroups;
    opts.vqIterations = vqIterations;
    opts.vqCodebookType = vqCodebookType;
    opts.seed = seed;
    if (failed(quantizeLookupsVQ(getOperation(), opts)))
      signalPassFailure();
    return;
  }
  TableCache cache;
  // How many ops refer to each dense_resource blob: a table's blob is
  // released once its constant is gone if no other op refers to it (only
  // in a top-level module: an enclosing op could refer to it too).
  DenseMap<const void *, unsigned> resourceUsers;
  bool topLevel = !getOperation()->getParentOp();
  if (topLevel)
    getOperation()->walk([&](Operation *op) {
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
        ++resourceUsers[attr.getRawHandle().getResource()];
      });
    });
  auto releasable = [&](arith::ConstantOp constant,
                        ArrayRef<Operation *> lookups) {
    auto res = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
    if (!topLevel || !res ||
        resourceUsers.lookup(res.getRawHandle().getResource()) != 1)
      return false;
    return llvm::all_of(constant->getUsers(), [&](Operation *user) {
      return llvm::is_contained(lookups, user);
    });
  };
  bool failedAny = false;
  for (auto &[constant, lookups] : byTable) {
    // Tables the options leave dense keep their dense lookups; this is
    // reported whatever `report` says, so a table is never skipped silently.
    if (std::string why = whyLeftDense(constant, opts); !why.empty()) {
      constant.emitRemark("table left dense: ") << why;
      continue;
    }
    bool releaseInput = releasable(constant, lookups);
    FailureOr<QuantizedConstants *> q =
        parsedFormat == ::qembed::Format::Int
            ? quantizeTable(constant, opts, requestedScaleType, cache,
                            releaseInput)
            : quantizeFloatTable(constant, opts, parsedFormat, cache);
    if (failed(q)) {
      failedAny = true;
      continue;
    }
    OpBuilder b(constant);
    Location loc = constant.getLoc();
    Value packed = arith::ConstantOp::create(b, loc, (*q)->packed);
    Value scales = arith::ConstantOp::create(b, loc, (*q)->scales);
    Value zps;
    if ((*q)->zeroPoints)
      zps = arith::ConstantOp::create(b, loc, (*q)->zeroPoints);
    for (Operation *op : lookups) {
      OpBuilder lb(op);
      Value rows;
      if (auto lookup = dyn_cast<LookupOp>(op))
        rows = GatherOp::create(lb, lookup.getLoc(), lookup.getType(), packed,
                                lookup.getIds(), scales, zps, (*q)->scheme);
      else if (auto bags = dyn_cast<LookupBagsOp>(op))
        rows = GatherBagsOp::create(lb, bags.getLoc(), bags.getType(), packed,
                                    bags.getIds(), bags.getOffsets(), scales,
                                    zps, bags.getMode(), (*q)->scheme);
      op->replaceAllUsesWith(ValueRange{rows});
      op->erase();
    }
    bool keptDense = !constant->use_empty();
    if (report)
      constant.emitRemark(describe(cast<RankedTensorType>(constant.getType()),
                                   **q, lookups.size(), keptDense));
    if (keptDense)
      continue;
    auto res = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
    constant.erase();
    // Nothing refers to the table's blob any more: free it now rather than
    // with the context, before the output is written.
    if (releaseInput && res)
      res.getRawHandle().getResource()->setBlob(AsmResourceBlob());
  }
  if (failedAny)
    signalPassFailure();
}

FailureOr<::qembed::Format>
mlir::qembed::checkQuantizeFormatOptions(Location loc,
                                         QuantizeFormatOptions &o) {
  // The one place the format option is checked. A float format fixes
  // bits, group-size, symmetric and the scale type: bits and group-size not
  // given explicitly take the format's values, anything else is an error.
  std::optional<::qembed::Format> f = ::qembed::parseFormat(o.format);
  if (!f)
    return emitError(loc) << "invalid format '" << o.format
                          << "': expected int, fp8, nvfp4, mxfp4 or vq";
  if (o.perTensor && *f != ::qembed::Format::FP8)
    return emitError(loc)
           << "invalid options: per-tensor is only for format=fp8, got format="
           << o.format;
  if (*f == ::qembed::Format::Int)
    return *f;
  unsigned fbits = ::qembed::formatBits(*f);
  int64_t fgroup = ::qembed::formatGroupSize(*f);
  if (!o.bitsGiven)
    o.bits = fbits;
  if (!o.groupSizeGiven)
    o.groupSize = fgroup;
  if (o.bits != fbits)
    return emitError(loc) << "invalid options: format=" << o.format << " has "
                          << fbits << "-bit codes, got bits=" << o.bits;
  if (o.groupSize != fgroup)
    return emitError(loc) << "invalid options: format=" << o.format
                          << " fixes group-size=" << fgroup
                          << ", got group-size=" << o.groupSize;
  if (!o.symmetric)
    return emitError(loc) << "invalid options: format=" << o.format
                          << " is symmetric only";
  if (!o.scaleType.empty())
    return emitError(loc)
           << "invalid options: format=" << o.format
           << " fixes the scale type (fp8: the table's, nvfp4: f8E4M3FN, "
              "mxfp4: f8E8M0FNU), got scale-type="
           << o.scaleType;
  return *f;
}

FailureOr<QuantizedTableAttrs> mlir::qembed::quantizeConstantTable(
    arith::ConstantOp constant, const QEmbedQuantizeOptions &opts,
    std::optional<Type> scaleType, unsigned lookups) {
  TableCache cache;
  std::optional<::qembed::Format> format = ::qembed::parseFormat(opts.format);
  FailureOr<QuantizedConstants *> q =
      format && *format != ::qembed::Format::Int
          ? quantizeFloatTable(constant, opts, *format, cache)
          : quantizeTable(constant, opts, scaleType, cache,
                          /*releaseInput=*/false);
  if (failed(q))
    return failure();
  std::string report;
  if (opts.report)
    report = describe(cast<RankedTensorType>(constant.getType()), **q, lookups,
                      /*keptDense=*/false);
  return QuantizedTableAttrs{(*q)->scheme, (*q)->packed, (*q)->scales,
                             (*q)->zeroPoints, std::move(report)};
}

std::string mlir::qembed::whyTableLeftDense(arith::ConstantOp constant,
                                            const QEmbedQuantizeOptions &opts) {
  return whyLeftDense(constant, opts);
}
