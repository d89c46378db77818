//===- GatherBagsKernel.h - qembed's EmbeddingBag GPU kernel ----*- C++ -*-===//
//
// The GPU kernel of qembed.gather_bags (bare-pointer ABI, IREE's CUDA ABI):
//   packed (i32*), scales (scale*), [zero_points (i8*)], ids (i32/i64*),
//   offsets (i32/i64*), out (out*), i32 ids count, i32 bags, i32 rows.
// One thread per (bag, unit): a unit is a 16-byte output slice of the gather
// kernel (8 f16/bf16 or 4 f32 columns: the codes of one word for 4 bits, one
// scale load) when the row length is a multiple of it, else one column.
// Consecutive threads take consecutive units of a bag (coalesced code, scale
// and output accesses); each walks its bag's ids in order, decodes the unit
// of each clamped row with the gather kernel's arithmetic (DequantUtils),
// rounds each value to the output type and adds it in f32: bit-identical to
// lib/Numerics/Bags.h. Offsets are clamped into [0, ids]; a bag whose end
// precedes its start is empty. Launch with grid.x = max(1, ceil(bags * cols
// / (unit * blockSize))) (gatherBagsKernelUnitElements), blockDim.x =
// blockSize; threads stride over the grid, so fewer blocks also work.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_CONVERSION_QEMBEDTOGPU_GATHERBAGSKERNEL_H
#define QEMBED_CONVERSION_QEMBEDTOGPU_GATHERBAGSKERNEL_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::qembed {

/// What a bag kernel is specialised for, as plain values.
struct GatherBagsKernelSpec {
  unsigned bits = 4;
  int64_t groupSize = 64; ///< 0 = one scale per row.
  bool symmetric = true;
  std::string scaleType = "f16"; ///< f16, bf16 or f32.
  std::string outType = "f16";   ///< f16, bf16 or f32.
  unsigned idBits = 64;          ///< 32 or 64 (signless ids).
  unsigned offsetBits = 64;      ///< 32 or 64 (signless offsets).
  int64_t cols = 0;              ///< Row length D.
  bool mean = false;             ///< mode(mean), else mode(sum).
  /// PyTorch's include_last_offset: `offsets` holds bags + 1 entries and
  /// the last one ends the last bag (else the last bag runs to the end of
  /// the ids).
  bool includeLastOffset = false;
  int64_t blockSize = 256;       ///< Threads per block.
};

/// Returns "" if the generator supports `spec`, else why not.
std::string checkGatherBagsKernelSpec(const GatherBagsKernelSpec &spec);

/// Output elements per thread and bag: the gather kernel's 16-byte slice
/// (8 f16/bf16 or 4 f32 values) when the row length is a multiple of it,
/// else 1. Launch bags * cols / this threads (the kernel strides over more).
int64_t gatherBagsKernelUnitElements(const GatherBagsKernelSpec &spec);

/// The kernel's symbol for `spec` (stable; encodes every parameter).
std::string gatherBagsKernelName(const GatherBagsKernelSpec &spec);

/// Builds the bare-pointer kernel for `spec` in a private MLIR context and
/// lowers it through NVVM to PTX for `chip`. On failure returns false with
/// `error` set.
bool compileGatherBagsKernel(const GatherBagsKernelSpec &spec,
                             llvm::StringRef chip, std::string &ptx,
                             std::string &error);

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_QEMBEDTOGPU_GATHERBAGSKERNEL_H
