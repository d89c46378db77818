//===- Passes.h - qembed conversion passes ----------------------*- C++ -*-===//

#ifndef QEMBED_CONVERSION_PASSES_H
#define QEMBED_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::qembed {

#define GEN_PASS_DECL
#include "qembed/Conversion/Passes.h.inc"

/// Patterns lowering qembed.gather / lookup / dequantize to linalg.generic
/// ops that read the packed table element by element; with
/// `chunkedGathers`, 2/4/8-bit gathers whose row width and group size are
/// multiples of 16 as a generic over (id, 16-value chunk, lane) instead.
void populateQEmbedToLinalgPatterns(RewritePatternSet &patterns,
                                    bool chunkedGathers = true);

/// Patterns lowering qembed.codebook_gather (codebook VQ) to a linalg.generic
/// that extracts codes and codebook entries element by element.
void populateCodebookToLinalgPatterns(RewritePatternSet &patterns);

/// Returns "" when --qembed-gather-to-vector lowers `op` with chunks of
/// `vectorSize` columns, else why it leaves it to --qembed-to-linalg.
std::string whyGatherNotVectorized(Operation *op, int64_t vectorSize);

/// Patterns lowering qembed.gather (2, 4 or 8-bit codes) to loops over ids
/// and row chunks of vector code (see --qembed-gather-to-vector).
void populateQEmbedGatherToVectorPatterns(RewritePatternSet &patterns,
                                          int64_t vectorSize);

/// Patterns lowering qembed.gather as populateQEmbedGatherToVectorPatterns
/// does, with the loops over the ids as an scf.forall over blocks of
/// `rowsPerTask` ids of the last dimension (and every index of the others);
/// gathers of at most `rowsPerTask` ids run the serial loops (see
/// --qembed-gather-to-vector parallel=true).
void populateQEmbedParallelGatherToVectorPatterns(RewritePatternSet &patterns,
                                                  int64_t vectorSize,
                                                  int64_t rowsPerTask);

/// Options of the CUDA custom-dispatch rewrite of --qembed-to-iree.
struct IREECUDADispatchOptions {
  std::string chip = "sm_90";
  int64_t blockSize = 256;
  int64_t unroll = 2;
  /// Threads per block of the codebook kernel; 0: the generator's choice
  /// (codebookKernelBlockSize).
  int64_t codebookBlockSize = 0;
  /// Chunks per thread and iteration of the codebook kernel; 0: the
  /// generator's choice (codebookKernelUnroll).
  int64_t codebookUnroll = 0;
  /// Upper bound of a codebook gather dispatch's workgroup count (each
  /// workgroup stages the codebooks once); 0: one wave of resident
  /// workgroups on a 132-SM H100 / H200 (132 * 2048 / block size).
  int64_t maxCodebookWorkgroups = 0;
};

/// Checks that --qembed-to-iree can turn `op` into a CUDA custom dispatch;
/// returns "" or the reason it cannot.
std::string checkIREECUDADispatch(Operation *op,
                                  const IREECUDADispatchOptions &options);

/// Checks that --qembed-to-iree can turn `op`, a qembed.codebook_gather,
/// into a CUDA custom dispatch of qembed's codebook VQ kernel; returns "" or
/// the reason it cannot.
std::string
checkIREECUDACodebookDispatch(Operation *op,
                              const IREECUDADispatchOptions &options);

/// Patterns replacing each qembed.gather that passes checkIREECUDADispatch
/// with a flow.dispatch of qembed's kernel, compiled to PTX and embedded in
/// a hal.executable.source (one per kernel variant) at the top of the module,
/// and likewise each qembed.gather_bags (bag kernel) and each
/// qembed.codebook_gather that passes checkIREECUDACodebookDispatch
/// (codebook VQ kernel).
void populateQEmbedToIREECUDAPatterns(RewritePatternSet &patterns,
                                      const IREECUDADispatchOptions &options);

#define GEN_PASS_REGISTRATION
#include "qembed/Conversion/Passes.h.inc"

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_PASSES_H
