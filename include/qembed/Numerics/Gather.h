//===- Gather.h - Fused dequantizing gather on the CPU ----------*- C++ -*-===//
//
// The CPU version of the fused lookup the compiler generates: token ids in,
// dequantized rows of a packed table out, without densifying the table. It
// backs qembed.gather in Python and the CPU path of
// qembed.torch.QuantizedEmbedding. Values are bit-identical to
// dequantizeElement (Quantizer.h); ids are clamped into [0, rows) like the
// compiled kernels do. No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_NUMERICS_GATHER_H
#define QEMBED_NUMERICS_GATHER_H

#include "qembed/Numerics/Quantizer.h"

#include <cstdint>
#include <string>

namespace qembed {

/// A packed table in its raw storage (nothing is copied or converted).
struct PackedTableView {
  const uint32_t *words;    ///< rows x scheme.wordsPerRow(cols)
  const void *scales;       ///< rows x groupsPerRow, of scheme.scaleKind
  const int8_t *zeroPoints; ///< like the scales; null when symmetric
  int64_t rows;
  int64_t cols;
  Scheme scheme;
};

/// Element type of the token ids.
enum class IndexKind : uint8_t { I32, I64 };

/// Implementations of gatherRows; all produce the same bits.
enum class GatherImpl : uint8_t {
  Auto,     ///< The fastest this CPU supports (bestGatherImpl).
  Portable, ///< Plain C++.
  AVX2,     ///< x86-64 AVX2 + F16C + BMI2, 8 values per instruction.
  AVX512,   ///< x86-64 AVX-512 F/BW/VL, 16 values per instruction (groups
            ///< that are not multiples of 16 columns run the AVX2 code).
};

/// True when `impl` can run on this CPU (Auto and Portable always can).
bool gatherImplSupported(GatherImpl impl);

/// The implementation GatherImpl::Auto picks on this CPU.
GatherImpl bestGatherImpl();

/// Returns an empty string when `table` is well formed for a gather (a
/// valid scheme, at least one row, zero points iff asymmetric), else a
/// sentence saying why not.
std::string checkGather(const PackedTableView &table);

/// Writes the dequantized rows of `tokens` ids (of `idKind`) into `out`, a
/// row-major tokens x cols buffer of `outKind`: each value is
/// dequantizeElement rounded to `outKind`. Ids outside [0, rows) are clamped
/// to the nearest row. Runs on up to `threads` threads (0 = all cores) when
/// the output is large enough to pay for them (at least 2^16 output values
/// per thread, 2^20 for AVX2/AVX-512). `impl` picks the implementation; one
/// this CPU does not support falls back to bestGatherImpl. `table` must pass
/// checkGather.
void gatherRows(const PackedTableView &table, const void *ids, IndexKind idKind,
                int64_t tokens, FloatKind outKind, void *out,
                unsigned threads = 0, GatherImpl impl = GatherImpl::Auto);

} // namespace qembed

#endif // QEMBED_NUMERICS_GATHER_H
