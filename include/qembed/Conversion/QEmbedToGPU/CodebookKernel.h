//===- CodebookKernel.h - GPU gather kernel of codebook VQ ------*- C++ -*-===//
//
// qembed's CUDA kernel for codebook VQ gathers (qembed.codebook_gather): the
// codebooks are staged in shared memory once per block (or read from global
// memory when they do not fit in 48 KiB), then a grid-stride loop computes
// one vector (dim output elements) per thread and iteration with exactly
// the reference arithmetic (::qembed::dequantizeCodebookElement).
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
  int64_t blockSize = 256;          ///< Threads per block.
};

/// Returns "" if the generator supports `spec`, else why not.
std::string checkCodebookKernelSpec(const CodebookKernelSpec &spec);

/// The kernel's symbol for `spec` (encodes every parameter).
std::string codebookKernelName(const CodebookKernelSpec &spec);

/// Whether the kernel of `spec` stages its codebooks in shared memory.
bool codebookKernelUsesSharedMemory(const CodebookKernelSpec &spec);

/// Builds the kernel for `spec` and lowers it to PTX for `chip`; on failure
/// returns false with `error` set. `result.slicesPerRow` is unused (0).
bool compileCodebookKernel(const CodebookKernelSpec &spec, llvm::StringRef chip,
                           CompiledGatherKernel &result, std::string &error);

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_QEMBEDTOGPU_CODEBOOKKERNEL_H
