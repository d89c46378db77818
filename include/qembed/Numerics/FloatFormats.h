//===- FloatFormats.h - FP8 / NVFP4 / MXFP4 table quantization --*- C++ -*-===//
//
// Quantization of embedding tables to floating-point codes, bit-exact with
// compressed-tensors 0.20 (its calculate_qparams / generate_gparam /
// quantize / dequantize and its float-quantized, nvfp4-pack-quantized and
// mxfp4-pack-quantized compressors):
//
//  * FP8: E4M3FN codes, one scale per row (FP8_DYNAMIC preset, channel
//    strategy) or per table (FP8 preset, tensor strategy), scales in the
//    table's dtype.
//  * NVFP4: E2M1 codes, groups of 16 columns with E4M3FN scales and one f32
//    global scale (NVFP4A16 preset, tensor_group strategy).
//  * MXFP4: E2M1 codes, groups of 32 columns with E8M0 (power of two)
//    scales (MXFP4A16 preset).
//
// Codes are packed like qembed's integer codes: element i of a row at bit
// (i % (32/bits)) * bits of i32 word i / (32/bits), which is byte for byte
// compressed-tensors' uint8 layout (first element in the low nibble). No
// MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_NUMERICS_FLOATFORMATS_H
#define QEMBED_NUMERICS_FLOATFORMATS_H

#include "qembed/Numerics/Gather.h"
#include "qembed/Numerics/Quantizer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qembed {

/// The code format of a quantized table.
enum class Format : uint8_t {
  Int,   ///< Integer codes (Quantizer.h).
  FP8,   ///< E4M3FN codes, per-row or per-table scales.
  NVFP4, ///< E2M1 codes, 16-column groups, E4M3FN scales, f32 global scale.
  MXFP4, ///< E2M1 codes, 32-column groups, E8M0 scales.
};

/// Name of `format` as options and attributes spell it ("int", "fp8",
/// "nvfp4", "mxfp4").
const char *formatName(Format format);
/// Parses a format name; nothing when `name` is not one.
std::optional<Format> parseFormat(const std::string &name);
/// Code width of a float format (8 or 4).
unsigned formatBits(Format format);
/// Columns per scale a float format fixes (NVFP4 16, MXFP4 32), or 0 for
/// FP8 (one scale per row).
int64_t formatGroupSize(Format format);

/// How a table is quantized to a float format.
struct FloatScheme {
  Format format = Format::FP8;
  bool perTensor = false; ///< FP8 only: one scale for the whole table
                          ///< (stored once per row, all equal).
  FloatKind tableKind = FloatKind::F32; ///< The dtype the arithmetic runs in.

  unsigned bits() const { return formatBits(format); }
  int64_t groupSize() const { return formatGroupSize(format); }
  int64_t groupsPerRow(int64_t cols) const {
    return groupSize() == 0 ? 1 : cols / groupSize();
  }
  int64_t columnsPerGroup(int64_t cols) const {
    return groupSize() == 0 ? cols : groupSize();
  }
  int64_t wordsPerRow(int64_t cols) const {
    return (cols * int64_t(bits()) + 31) / 32;
  }
};

/// Returns an empty string when `scheme` can quantize a table with `cols`
/// columns, else a sentence saying why not.
std::string checkFloatScheme(const FloatScheme &scheme, int64_t cols);

/// Returns the first NaN/Inf element of `table` in row-major order, or
/// nothing.
std::optional<TableProblem> checkFloatTable(const TableView &table);

/// Value of an E4M3FN byte (0x7f / 0xff are NaN).
float decodeE4M3(uint8_t code);
/// `x` (finite, |x| <= 448) rounded to E4M3FN, ties to even, as torch's
/// float8_e4m3fn conversion; the sign bit is x's sign bit.
uint8_t encodeE4M3(float x);
/// Value of an E2M1 nibble (bit 3 = sign).
float decodeE2M1(uint8_t code);
/// `x` (|x| <= 6) rounded to E2M1 with compressed-tensors' thresholds (ties
/// to even); any x < 0 sets the sign bit (-0.0 does not).
uint8_t encodeE2M1(float x);
/// Value of an E8M0 byte: 2^(code - 127) (255 is NaN).
float decodeE8M0(uint8_t code);

/// A quantized table in a float format.
struct FloatPackedTable {
  int64_t rows = 0, cols = 0;
  FloatScheme scheme;
  std::vector<uint32_t> words;     ///< rows x scheme.wordsPerRow(cols)
  std::vector<float> scales;       ///< FP8: rows x 1, exact in tableKind.
  std::vector<uint8_t> scaleCodes; ///< NVFP4 (E4M3FN) / MXFP4 (E8M0):
                                   ///< rows x groups.
  float globalScale = 1; ///< NVFP4's weight_global_scale; 1 otherwise.
  double maxAbsError = 0, signalPower = 0, noisePower = 0;
};

/// Quantizes and packs a table that passed checkFloatTable, on up to
/// `threads` threads (0 = all cores). Error statistics (the same as
/// quantizeTable's) only when `errorStats`.
FloatPackedTable quantizeFloatTable(const TableView &table,
                                    const FloatScheme &scheme,
                                    unsigned threads = 0,
                                    bool errorStats = true);

/// A float-format packed table in raw storage.
struct FloatPackedView {
  const uint32_t *words; ///< rows x scheme.wordsPerRow(cols)
  /// FP8: rows x 1 elements of scheme.tableKind; NVFP4 / MXFP4: rows x
  /// groups bytes (E4M3FN / E8M0).
  const void *scales;
  float globalScale; ///< NVFP4 only.
  int64_t rows;
  int64_t cols;
  FloatScheme scheme;
};

/// Returns an empty string when `table` is well formed for a gather or a
/// dequantization (a valid scheme, at least one row), else why not.
std::string checkFloatView(const FloatPackedView &table);

/// Dequantized element (row, col) in f32, before rounding to an output type:
/// FP8 `e4m3 * scale` rounded to tableKind (compressed-tensors computes it
/// in the scale dtype); NVFP4 `e2m1 * (scale / global_scale)` in f32; MXFP4
/// `e2m1 * 2^(code-127)` (exact).
float dequantizeFloatElement(const FloatPackedView &table, int64_t row,
                             int64_t col);

/// Writes the dequantized rows of `tokens` ids into `out` (tokens x cols of
/// `outKind`, each value dequantizeFloatElement rounded to outKind); ids are
/// clamped into [0, rows). `table` must pass checkFloatView.
void gatherFloatRows(const FloatPackedView &table, const void *ids,
                     IndexKind idKind, int64_t tokens, FloatKind outKind,
                     void *out, unsigned threads = 0);

} // namespace qembed

#endif // QEMBED_NUMERICS_FLOATFORMATS_H
