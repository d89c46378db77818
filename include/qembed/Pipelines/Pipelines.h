//===- Pipelines.h - qembed pass pipelines ----------------------*- C++ -*-===//
//
// The user-facing pipelines: --quantize-embeddings (raise + quantize +
// cleanup) and --qembed-cpu-pipeline (quantized module -> LLVM dialect).
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_PIPELINES_PIPELINES_H
#define QEMBED_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::qembed {

/// Options of --quantize-embeddings; the same as --qembed-quantize's.
struct QuantizeEmbeddingsOptions
    : public PassPipelineOptions<QuantizeEmbeddingsOptions> {
  PassOptions::Option<unsigned> bits{*this, "bits",
                                     llvm::cl::desc("Code width (2..8)"),
                                     llvm::cl::init(4)};
  PassOptions::Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Columns per scale; 0 = one scale per row"),
      llvm::cl::init(64)};
  PassOptions::Option<bool> symmetric{
      *this, "symmetric", llvm::cl::desc("Symmetric quantization"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> scaleType{
      *this, "scale-type",
      llvm::cl::desc("f16, bf16, f32, or empty for the table's type"),
      llvm::cl::init("")};
  PassOptions::Option<bool> report{
      *this, "report",
      llvm::cl::desc("Remark on each lookup found and each table quantized"),
      llvm::cl::init(false)};
};

/// Raise front-end lookups, quantize their constant tables, clean up.
void buildQuantizeEmbeddingsPipeline(OpPassManager &pm,
                                     const QuantizeEmbeddingsOptions &options);

/// Lower a (quantized) module to the LLVM dialect for the host CPU.
void buildCPUPipeline(OpPassManager &pm);

/// Registers --quantize-embeddings and --qembed-cpu-pipeline.
void registerQEmbedPipelines();

/// Registers every qembed pass and pipeline.
void registerAllQEmbedPasses();

} // namespace mlir::qembed

#endif // QEMBED_PIPELINES_PIPELINES_H
