//===- Quantizer.h - Data-free embedding-table quantizer --------*- C++ -*-===//
//
// The one implementation of qembed's numerics: quantization of a float table
// to integer codes with per-row/per-group scales, bit packing into i32 words
// and the reference dequantization. Folders, passes and the Python package
// all call this library, so their results agree bit for bit.
//
// The arithmetic reproduces compressed-tensors (0.18) for INT weights,
// including its habit of rounding every intermediate to the table's dtype
// (a bf16 table computes `x / scale` in bf16). The library does not depend
// on MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_NUMERICS_QUANTIZER_H
#define QEMBED_NUMERICS_QUANTIZER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qembed {

/// Floating-point element types a table or its scales can have.
enum class FloatKind : uint8_t { F32, F16, BF16 };

/// Size in bytes of one element of `kind`.
unsigned byteWidth(FloatKind kind);
/// Name as MLIR spells the type ("f32", "f16", "bf16").
const char *kindName(FloatKind kind);
/// Machine epsilon of `kind` (torch.finfo(dtype).eps).
float epsilon(FloatKind kind);
/// Rounds `x` to the nearest value representable in `kind` (ties to even).
float roundTo(FloatKind kind, float x);
/// Reads element `i` of a raw buffer of `kind` elements, widened to float.
float loadElement(FloatKind kind, const void *base, int64_t i);
/// Writes `x` (rounded to `kind`) as element `i` of a raw buffer.
void storeElement(FloatKind kind, void *base, int64_t i, float x);

/// How a table is quantized.
struct Scheme {
  unsigned bits = 4;      ///< Code width, 2..8.
  int64_t groupSize = 64; ///< Columns per scale; 0 = one scale per row.
  bool symmetric = true;  ///< Asymmetric schemes have i8 zero points.
  FloatKind scaleKind = FloatKind::F32; ///< Element type of the scales.

  int64_t qmin() const { return -(int64_t(1) << (bits - 1)); }
  int64_t qmax() const { return (int64_t(1) << (bits - 1)) - 1; }
  int64_t groupsPerRow(int64_t cols) const {
    return groupSize == 0 ? 1 : cols / groupSize;
  }
  int64_t columnsPerGroup(int64_t cols) const {
    return groupSize == 0 ? cols : groupSize;
  }
  int64_t wordsPerRow(int64_t cols) const {
    return (cols * int64_t(bits) + 31) / 32;
  }
};

/// Returns an empty string when `scheme` can quantize a table with `cols`
/// columns, else a sentence saying why not.
std::string checkScheme(const Scheme &scheme, int64_t cols);

/// A read-only view of a row-major `rows x cols` table in raw storage.
struct TableView {
  const void *data;
  FloatKind kind;
  int64_t rows;
  int64_t cols;
};

/// Why a table cannot be quantized. Tables with NaN or +-Inf are refused
/// (compressed-tensors 0.20 quantizes them silently and the whole group
/// dequantizes to NaN), and so are tables whose scale overflows the scale
/// type (e.g. an f32 table with |x| > 65504 * qmax quantized with f16
/// scales), which would dequantize to NaN as well.
struct TableProblem {
  enum class Kind : uint8_t {
    NonFinite,     ///< Element (row, col) is NaN or +-Inf.
    ScaleOverflow, ///< The scale of the group at (row, col) is not finite.
  };
  Kind kind;
  int64_t row;  ///< The element's row, or the row of the group.
  int64_t col;  ///< The element's column, or the group's first column.
  double value; ///< The element, or the scale before rounding to scaleKind.
  FloatKind scaleKind; ///< The scheme's scale type (for the message).

  /// One sentence naming the row (and column) and what is wrong.
  std::string message() const;
};

/// Returns the first NaN/Inf element of `table` in row-major order or, when
/// every element is finite, the first group whose scale overflows; nothing
/// when `table` can be quantized with `scheme` (checkScheme must have
/// accepted the scheme). Callers run it before quantizeCodes/quantizeTable.
std::optional<TableProblem>
checkTable(const TableView &table, const Scheme &scheme, unsigned threads = 0);

/// A quantized, packed table (compressed-tensors pack-quantized layout).
struct PackedTable {
  int64_t rows = 0, cols = 0;
  Scheme scheme;
  std::vector<uint32_t> words;    ///< rows x scheme.wordsPerRow(cols)
  std::vector<float> scales;      ///< rows x groupsPerRow, exact in scaleKind
  std::vector<int8_t> zeroPoints; ///< same shape as scales; empty if symmetric
  double maxAbsError = 0;         ///< max |x - dequant(quant(x))|
  double signalPower = 0;         ///< sum x^2
  double noisePower = 0;          ///< sum (x - dequant)^2
};

/// Quantizes codes only: writes `rows x cols` i8 codes, the scales and (when
/// asymmetric) zero points. `zeroPoints` may be null for symmetric schemes.
/// Rows are processed in parallel on up to `threads` threads (0 = all cores).
/// The table must pass checkTable; for one that does not, the results are
/// meaningless but computing them is well defined (NaN becomes code 0).
void quantizeCodes(const TableView &table, const Scheme &scheme, int8_t *codes,
                   float *scales, int8_t *zeroPoints, unsigned threads = 0);

/// Packs `rows x cols` codes into `rows x wordsPerRow` words.
void packCodes(const int8_t *codes, int64_t rows, int64_t cols, unsigned bits,
               uint32_t *words);

/// Extracts code `col` of a packed row.
int32_t unpackCode(const uint32_t *rowWords, int64_t col, unsigned bits);

/// Quantizes and packs in one pass (no code buffer). The error statistics
/// (maxAbsError, signalPower, noisePower) cost a dequantization and three
/// sums per element and are computed only when `errorStats` is set; they
/// stay 0 otherwise. The table must pass checkTable (see quantizeCodes).
PackedTable quantizeTable(const TableView &table, const Scheme &scheme,
                          unsigned threads = 0, bool errorStats = true);

/// Reference dequantization of element (row, col): `(q - zp) * scale`
/// rounded to the scale type, exactly as compressed-tensors computes it.
float dequantizeElement(const uint32_t *words, const float *scales,
                        const int8_t *zeroPoints, int64_t row, int64_t col,
                        int64_t cols, const Scheme &scheme);

/// Dequantizes the whole table into `out` (rows x cols floats, each exact in
/// the scale type).
void dequantizeTable(const uint32_t *words, const float *scales,
                     const int8_t *zeroPoints, int64_t rows, int64_t cols,
                     const Scheme &scheme, float *out);

/// Caller-owned storage that quantizeTableInto writes a packed table into,
/// in the byte layout of the output constants (e.g. the blobs of MLIR
/// `dense_resource` attributes), so no full-size intermediate is made.
struct PackedTableStorage {
  uint32_t *words;    ///< rows x wordsPerRow words; need not be zeroed.
  void *scales;       ///< rows x groupsPerRow elements of scheme.scaleKind.
  int8_t *zeroPoints; ///< rows x groupsPerRow; null for symmetric schemes.
};

/// Error statistics of a quantized table (as in PackedTable).
struct QuantizeErrorStats {
  double maxAbsError = 0, signalPower = 0, noisePower = 0;
};

/// Called by quantizeTableInto, possibly from several threads at once, when
/// table rows [rowBegin, rowEnd) have been read for the last time.
using RowsDoneFn = void (*)(void *context, int64_t rowBegin, int64_t rowEnd);

/// checkTable and quantizeTable in one read of the table: returns what
/// checkTable(table, scheme) returns (the storage then holds unspecified
/// bytes), else writes exactly the words, scales (encoded in
/// scheme.scaleKind) and zero points quantizeTable computes into `out`.
/// Rows are quantized in parallel on up to `threads` threads (0 = all
/// cores). `stats`, when not null, receives the error statistics (each
/// costs a dequantization per element). `rowsDone`, when not null, is told
/// of every block of rows done with (e.g. to release their pages).
std::optional<TableProblem> quantizeTableInto(
    const TableView &table, const Scheme &scheme, const PackedTableStorage &out,
    unsigned threads = 0, QuantizeErrorStats *stats = nullptr,
    RowsDoneFn rowsDone = nullptr, void *rowsDoneContext = nullptr);

} // namespace qembed

#endif // QEMBED_NUMERICS_QUANTIZER_H
