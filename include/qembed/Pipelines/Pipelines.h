//===- Pipelines.h - qembed pass pipelines ----------------------*- C++ -*-===//
//
// The user-facing pipelines: --quantize-embeddings (raise + quantize +
// cleanup) and --qembed-cpu-pipeline (quantized module -> LLVM dialect,
// optionally with OpenMP loops over the ids).
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_PIPELINES_PIPELINES_H
#define QEMBED_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::qembed {

/// Options of --quantize-embeddings; the same as --qembed-quantize's.
struct QuantizeEmbeddingsOptions
    : public PassPipelineOptions<QuantizeEmbeddingsOptions> {
  PassOptions::Option<unsigned> bits{
      *this, "bits", llvm::cl::desc("Code width (2..8)"), llvm::cl::init(4)};
  PassOptions::Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Columns per scale; 0 = one scale per row"),
      llvm::cl::init(64)};
  PassOptions::Option<bool> symmetric{*this, "symmetric",
                                      llvm::cl::desc("Symmetric quantization"),
                                      llvm::cl::init(true)};
  PassOptions::Option<std::string> scaleType{
      *this, "scale-type",
      llvm::cl::desc("f16, bf16, f32, or empty for the table's type"),
      llvm::cl::init("")};
  PassOptions::Option<bool> report{
      *this, "report",
      llvm::cl::desc("Remark on each lookup found and each table quantized"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> maxTableBytes{
      *this, "max-table-bytes",
      llvm::cl::desc("Largest table (bytes) or splat row quantized; larger "
                     "is an error"),
      llvm::cl::init(int64_t(1) << 34)};
  PassOptions::Option<int64_t> minTableBytes{
      *this, "min-table-bytes",
      llvm::cl::desc("Tables smaller than this (bytes) stay dense"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> minRows{
      *this, "min-rows", llvm::cl::desc("Tables with fewer rows stay dense"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("int, fp8, nvfp4, mxfp4 (float formats fix bits, "
                     "group-size and the scale type) or vq"),
      llvm::cl::init("int")};
  PassOptions::Option<bool> perTensor{
      *this, "per-tensor",
      llvm::cl::desc("format=fp8: one scale for the whole table"),
      llvm::cl::init(false)};
  PassOptions::Option<unsigned> vqDim{
      *this, "vq-dim", llvm::cl::desc("format=vq: columns per vector"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> vqEntries{
      *this, "vq-entries", llvm::cl::desc("format=vq: entries per codebook"),
      llvm::cl::init(256)};
  PassOptions::Option<unsigned> vqStages{
      *this, "vq-stages", llvm::cl::desc("format=vq: residual stages"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> vqGroups{
      *this, "vq-groups",
      llvm::cl::desc("format=vq: column groups with their own codebooks"),
      llvm::cl::init(1)};
  PassOptions::Option<unsigned> vqIterations{
      *this, "vq-iterations",
      llvm::cl::desc("format=vq: Lloyd iterations per codebook"),
      llvm::cl::init(16)};
  PassOptions::Option<std::string> vqCodebookType{
      *this, "vq-codebook-type",
      llvm::cl::desc("format=vq: codebook element type"), llvm::cl::init("f16")};
  PassOptions::Option<uint64_t> seed{
      *this, "seed", llvm::cl::desc("format=vq: seed of k-means"),
      llvm::cl::init(0)};
};

/// Options of --qembed-gpu-pipeline.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target GPU, e.g. sm_80, sm_90"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel object in gpu.binary: isa (PTX), bin (cubin, "
                     "needs ptxas) or fatbin"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("Threads per block"),
                                         llvm::cl::init(256)};
  PassOptions::Option<int64_t> maxBlocks{*this, "max-blocks",
                                         llvm::cl::desc("Largest grid"),
                                         llvm::cl::init(2147483647)};
  PassOptions::Option<int64_t> unroll{
      *this, "unroll", llvm::cl::desc("Slices per thread and iteration"),
      llvm::cl::init(2)};
};

/// Options of --qembed-cpu-pipeline.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Gathers loop over blocks of ids on all cores (OpenMP; "
                     "run with LLVM's libomp)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> rowsPerTask{
      *this, "rows-per-task",
      llvm::cl::desc("parallel=true: ids per parallel iteration (0: 256); "
                     "gathers of at most this many ids stay serial"),
      llvm::cl::init(0)};
};

/// Lower a module whose lookups are qembed.buffer_gather ops to host LLVM
/// code + gpu.binary (NVVM, PTX 8.0).
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

/// Raise front-end lookups, quantize their constant tables, clean up.
void buildQuantizeEmbeddingsPipeline(OpPassManager &pm,
                                     const QuantizeEmbeddingsOptions &options);

/// Lower a (quantized) module to the LLVM dialect for the host CPU.
void buildCPUPipeline(OpPassManager &pm);

/// Lower a (quantized) module to the LLVM dialect for the host CPU; with
/// `options.parallel` the gathers' loops over ids become OpenMP loops.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers --quantize-embeddings, --qembed-cpu-pipeline and
/// --qembed-gpu-pipeline.
void registerQEmbedPipelines();

/// Registers every qembed pass and pipeline.
void registerAllQEmbedPasses();

} // namespace mlir::qembed

#endif // QEMBED_PIPELINES_PIPELINES_H
