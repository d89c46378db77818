//===- Codebook.h - Codebook vector quantization of tables -----*- C++ -*-===//
//
// Data-free codebook vector quantization (VQ) of an embedding table: each row
// is divided by a per-row scale, cut into vectors of `dim` consecutive
// columns, and every vector is replaced by the indices of its nearest entries
// in `stages` residual codebooks of `2^entryBits` entries (one set of
// codebooks per column group). Codebooks are trained with k-means (k-means++
// initialisation, Lloyd iterations) on a deterministic sample of rows; the
// whole table is then encoded greedily stage by stage. Codes are packed in a
// little-endian bit stream of i32 words per row.
//
// Reference dequantization of element (r, c), vector v = c / dim, group
// g = v / (vectorsPerRow / groups), lane l = c % dim:
//
//   acc = book[g][0][code(r, v, 0)][l]
//   for s in 1..stages-1: acc = acc + book[g][s][code(r, v, s)][l]
//   out = roundTo(outKind, float(scale[r]) * acc)
//
// with f32 arithmetic in exactly that order (sum of stages first, one
// multiplication). The library does not depend on MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_NUMERICS_CODEBOOK_H
#define QEMBED_NUMERICS_CODEBOOK_H

#include "qembed/Numerics/Quantizer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qembed {

/// How a table is vector-quantized.
struct CodebookScheme {
  unsigned dim = 4;       ///< Columns per vector (1..64).
  unsigned entryBits = 8; ///< log2 of the entries per codebook (1..16).
  unsigned stages = 1;    ///< Residual stages (1..8).
  int64_t groups = 1;     ///< Column groups, each with its own codebooks.
  FloatKind scaleKind = FloatKind::F16;    ///< Per-row scale type.
  FloatKind codebookKind = FloatKind::F16; ///< Codebook element type.
  uint64_t seed = 0;        ///< Seed of row sampling and k-means++.
  unsigned iterations = 16; ///< Lloyd iterations per codebook.
  /// Training vectors per codebook entry: each codebook trains on the
  /// vectors of max(samplesPerEntry * entries, 2^18) / vectorsPerGroup
  /// sampled rows (all rows when the table has fewer).
  unsigned samplesPerEntry = 64;

  int64_t entries() const { return int64_t(1) << entryBits; }
  int64_t vectorsPerRow(int64_t cols) const { return cols / dim; }
  int64_t vectorsPerGroup(int64_t cols) const {
    return vectorsPerRow(cols) / groups;
  }
  /// Codes per row (vectors x stages).
  int64_t codesPerRow(int64_t cols) const {
    return vectorsPerRow(cols) * stages;
  }
  /// i32 words holding one packed row.
  int64_t wordsPerRow(int64_t cols) const {
    return (codesPerRow(cols) * entryBits + 31) / 32;
  }
  /// Elements of the codebook tensor: groups x stages x entries x dim.
  int64_t codebookElements() const {
    return groups * int64_t(stages) * entries() * dim;
  }
  /// Storage bits per table element: codes, scales and codebooks.
  double bitsPerParam(int64_t rows, int64_t cols) const;
};

/// Returns an empty string when `scheme` can quantize a table with `cols`
/// columns, else a sentence saying why not.
std::string checkCodebookScheme(const CodebookScheme &scheme, int64_t cols);

/// A vector-quantized table.
struct CodebookTable {
  int64_t rows = 0, cols = 0;
  CodebookScheme scheme;
  std::vector<uint32_t> words;  ///< rows x scheme.wordsPerRow(cols)
  std::vector<float> scales;    ///< rows, exact in scaleKind
  std::vector<float> codebooks; ///< groups x stages x entries x dim, exact
                                ///< in codebookKind
  double signalPower = 0;       ///< sum x^2
  double noisePower = 0;        ///< sum (x - dequant as f32)^2
};

/// Returns the first NaN/Inf element of `table` (row-major) or the first row
/// whose scale overflows scaleKind; nothing when the table can be quantized.
std::optional<TableProblem> checkCodebookTable(const TableView &table,
                                               const CodebookScheme &scheme,
                                               unsigned threads = 0);

/// Vector-quantizes `table` (which must pass checkCodebookTable) on up to
/// `threads` threads (0 = all cores). The result depends only on the table
/// and the scheme (seed included), not on the thread count.
CodebookTable quantizeCodebook(const TableView &table,
                               const CodebookScheme &scheme,
                               unsigned threads = 0);

/// Code `index` (vector * stages + stage) of a packed row.
uint32_t unpackVQCode(const uint32_t *rowWords, int64_t index,
                      unsigned entryBits);

/// Reference dequantization of element (row, col), rounded to `outKind`.
float dequantizeCodebookElement(const uint32_t *words, const float *scales,
                                const float *codebooks, int64_t row,
                                int64_t col, int64_t cols,
                                const CodebookScheme &scheme,
                                FloatKind outKind);

/// Dequantizes rows [0, rows) into `out` (rows x cols floats, each exact in
/// `outKind`).
void dequantizeCodebookTable(const uint32_t *words, const float *scales,
                             const float *codebooks, int64_t rows, int64_t cols,
                             const CodebookScheme &scheme, FloatKind outKind,
                             float *out, unsigned threads = 0);

/// The CPU fused gather: writes the dequantized rows `ids[0..tokens)`
/// (clamped into [0, rows)) to `out` (tokens x cols elements of `outKind`,
/// raw storage: floats or 16-bit patterns), bit-identical to
/// dequantizeCodebookElement, on up to `threads` threads (0 = all cores).
void gatherCodebookRows(const uint32_t *words, const float *scales,
                        const float *codebooks, int64_t rows, int64_t cols,
                        const CodebookScheme &scheme, const int64_t *ids,
                        int64_t tokens, FloatKind outKind, void *out,
                        unsigned threads = 0);

} // namespace qembed

#endif // QEMBED_NUMERICS_CODEBOOK_H
