//===- CodebookKernel.h - GPU gather kernel of codebook VQ ------*- C++ -*-===//
//
// qembed's CUDA kernel for codebook VQ gathers (qembed.codebook_gather): the
// codebooks are staged in shared memory once per block (or read from global
// memory when they do not fit in 48 KiB), then a grid-stride loop computes
// one vector (dim output elements) per thread and iteration with exactly
// the reference arithmetic (::qembed::dequantizeCodebookElement).
// When a whole number of vectors fills whole 32-bit code words (8-bit codes,
// 16-bit code pairs, ...), the packed path takes a chunk of such vectors per
// thread instead: one load per code word, codes extracted with constant
// shifts, codebook entries read as vectors, 16-byte stores, and several
// chunks' loads in flight before their stores (codebookKernelChunkVectors).
// Bare-pointer ABI: codes, scales, codebooks, ids, out, then i32 tokens and
// rows. Buffers must be aligned to their element size, `out` to 16 bytes
// (its stores are vectors of up to 16 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_CONVERSION_QEMBEDTOGPU_CODEBOOKKERNEL_H
#define QEMBED_CONVERSION_QEMBEDTOGPU_CODEBOOKKERNEL_H

#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"

namespace mlir::qembed {

/// What a codebook gather kernel is specialised for.
struct CodebookKernelSpec {
  unsigned dim = 4;                 ///< Columns per vector.
  int64_t entries = 256;            ///< Entries per codebook (power of two).
  unsigned stages = 1;              ///< Residual stages.
  int64_t groups = 1;               ///< Column groups.
  std::string scaleType = "f16";    ///< f16, bf16 or f32.
  std::string codebookType = "f16"; ///< f16, bf16 or f32.
  std::string outType = "f16";      ///< f16, bf16 or f32.
  unsigned idBits = 64;             ///< 32 or 64.
  int64_t cols = 0;                 ///< Row length D.
  /// Threads per block; 0 lets the generator choose
  /// (codebookKernelBlockSize).
  int64_t blockSize = 256;
  /// Chunks per thread and grid-stride iteration of the packed path (all
  /// their loads are issued before any store); 0 lets the generator choose.
  int64_t unroll = 0;
};

/// Returns "" if the generator supports `spec`, else why not.
std::string checkCodebookKernelSpec(const CodebookKernelSpec &spec);

/// The kernel's symbol for `spec` (encodes every parameter).
std::string codebookKernelName(const CodebookKernelSpec &spec);

/// Whether the kernel of `spec` stages its codebooks in shared memory.
bool codebookKernelUsesSharedMemory(const CodebookKernelSpec &spec);

/// Vectors per thread and chunk of the packed path for `spec`, or 0 when the
/// kernel takes one vector per thread and iteration (codes that do not fill
/// whole words within a row and column group, or too many values per chunk).
int64_t codebookKernelChunkVectors(const CodebookKernelSpec &spec);

/// The threads per block of the kernel for `spec`: `spec.blockSize`, or
/// when that is 0 the generator's choice (larger blocks for larger shared
/// codebooks, so that fewer blocks per SM stage them).
int64_t codebookKernelBlockSize(const CodebookKernelSpec &spec);

/// Chunks per thread and grid-stride iteration of the packed path of
/// `spec` (its `unroll`, or the generator's choice when that is 0).
int64_t codebookKernelUnroll(const CodebookKernelSpec &spec);

/// Builds the kernel for `spec` and lowers it to PTX for `chip`; on failure
/// returns false with `error` set. `result.slicesPerRow` is unused (0); a
/// block size of 0 is resolved first (codebookKernelBlockSize) and the name
/// carries the resolved one.
bool compileCodebookKernel(const CodebookKernelSpec &spec, llvm::StringRef chip,
                           CompiledGatherKernel &result, std::string &error);

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_QEMBEDTOGPU_CODEBOOKKERNEL_H
