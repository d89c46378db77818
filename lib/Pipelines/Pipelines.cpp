//===- Pipelines.cpp - qembed pass pipelines ------------------------------===//

#include "qembed/Pipelines/Pipelines.h"
#include "qembed/Conversion/Passes.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/Transforms/Passes.h"
#include "qembed/Numerics/FloatFormats.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qembed;

void mlir::qembed::buildQuantizeEmbeddingsPipeline(
    OpPassManager &pm, const QuantizeEmbeddingsOptions &options) {
  QEmbedRaiseLookupsOptions raise;
  raise.remarks = options.report;
  pm.addPass(createQEmbedRaiseLookups(raise));
  QEmbedQuantizeOptions quantize;
  quantize.bits = options.bits;
  quantize.groupSize = options.groupSize;
  quantize.symmetric = options.symmetric;
  quantize.scaleType = options.scaleType;
  quantize.report = options.report;
  quantize.minTableBytes = options.minTableBytes;
  quantize.maxTableBytes = options.maxTableBytes;
  quantize.minRows = options.minRows;
  quantize.format = options.format;
  quantize.vqDim = options.vqDim;
  quantize.vqEntries = options.vqEntries;
  quantize.vqStages = options.vqStages;
  quantize.vqGroups = options.vqGroups;
  quantize.vqIterations = options.vqIterations;
  quantize.vqCodebookType = options.vqCodebookType;
  quantize.seed = options.seed;
  quantize.perTensor = options.perTensor;
  // A float format fixes bits and group-size: unless given explicitly (then
  // --qembed-quantize checks them), they are the format's.
  if (std::optional<::qembed::Format> f = ::qembed::parseFormat(options.format);
      f && *f != ::qembed::Format::Int) {
    if (!options.bits.hasValue())
      quantize.bits = ::qembed::formatBits(*f);
    if (!options.groupSize.hasValue())
      quantize.groupSize = ::qembed::formatGroupSize(*f);
  }
  pm.addPass(createQEmbedQuantize(quantize));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// One-Shot Bufferize of whole modules (function boundaries included, with
/// identity layouts) and buffer deallocation.
static void addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
}

/// Host code of linalg / scf / affine / memref ops as loops, bf16
/// arithmetic as integer code (no runtime library needed).
static void addHostLoops(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
}

void mlir::qembed::buildCPUPipeline(OpPassManager &pm) {
  buildCPUPipeline(pm, CPUPipelineOptions());
}

void mlir::qembed::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  // Gathers of 2/4/8-bit codes as vector code per row chunk; the rest
  // element by element through linalg.
  ConvertQEmbedGatherToVectorOptions vectorize;
  vectorize.parallel = options.parallel;
  vectorize.rowsPerTask = options.rowsPerTask;
  pm.addPass(createConvertQEmbedGatherToVector(vectorize));
  pm.addPass(createConvertQEmbedToLinalg());
  pm.addPass(createCanonicalizerPass());
  addBufferization(pm);
  // parallel=true: the gathers' scf.forall over id blocks as an OpenMP
  // worksharing loop (omp.parallel + omp.wsloop, static schedule); the
  // thread count is the OpenMP runtime's (OMP_NUM_THREADS, else all cores).
  if (options.parallel) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the memref.alloca_scope wrapped around each loop body (it
    // holds no alloca) while the body is still one block: after
    // --convert-scf-to-cf its inner loops are several blocks, which
    // alloca_scope does not allow.
    pm.addPass(createCanonicalizerPass());
  }
  addHostLoops(pm);
  // Its transfer_read/write lowering (to vector.load/store); convert-to-llvm
  // alone leaves them.
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  if (options.parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createQEmbedVerifyLowered());
}

void mlir::qembed::buildGPUPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options) {
  QEmbedCheckGPUOptionsOptions check;
  check.chip = options.chip;
  check.format = options.format;
  check.blockSize = options.blockSize;
  check.unroll = options.unroll;
  pm.addPass(createQEmbedCheckGPUOptions(check));
  // Tensor-level functions: bufferize, give the gathers device buffers.
  // (Hand-written memref entry points pass through both steps unchanged.)
  addBufferization(pm);
  pm.addPass(createQEmbedGPUStageBuffers());
  ConvertQEmbedGatherToGPUOptions lower;
  lower.blockSize = options.blockSize;
  lower.maxBlocks = options.maxBlocks;
  lower.unroll = options.unroll;
  pm.addPass(createConvertQEmbedGatherToGPU(lower));
  pm.addPass(createCanonicalizerPass());
  addHostLoops(pm);
  // Upstream's NVVM pipeline with the PTX ISA version the chip needs.
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = nvvmFeaturesForChip(options.chip);
  nvvm.cubinFormat = options.format;
  nvvm.optLevel = 3;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  pm.addPass(createQEmbedVerifyLowered());
}

void mlir::qembed::registerQEmbedPipelines() {
  PassPipelineRegistration<QuantizeEmbeddingsOptions>(
      "quantize-embeddings",
      "Find embedding lookups, quantize their constant tables data-free and "
      "rewrite them into fused dequantizing gathers",
      buildQuantizeEmbeddingsPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "qembed-cpu-pipeline",
      "Lower a quantized module to the LLVM dialect for the host CPU "
      "(runnable with mlir-runner; parallel=true needs LLVM's OpenMP "
      "runtime, libomp)",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildCPUPipeline(pm, options);
      });
  PassPipelineRegistration<GPUPipelineOptions>(
      "qembed-gpu-pipeline",
      "Lower qembed.buffer_gather to NVVM kernels in a gpu.binary plus host "
      "LLVM code that launches them",
      buildGPUPipeline);
}

void mlir::qembed::registerAllQEmbedPasses() {
  registerQEmbedPasses();
  registerQEmbedConversionPasses();
  registerQEmbedPipelines();
}
