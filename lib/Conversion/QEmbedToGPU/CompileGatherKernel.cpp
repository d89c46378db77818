//===- CompileGatherKernel.cpp - gather kernel -> PTX, in-process ---------===//
//
// Builds the bare-pointer gather kernel for a GatherKernelSpec in a private
// MLIR context and lowers it with upstream's NVVM pipeline to PTX text. Used
// by --qembed-to-iree (PTX embedded in IREE custom dispatches) and by the
// Python JIT of qembed.torch. A private context keeps it thread-safe and
// independent of the caller's registry.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::qembed;

/// PTX ISA version to emit for `chip` ("" if qembed does not target it): the
/// first version that knows the chip, so older drivers can JIT it.
static StringRef ptxFeaturesFor(StringRef chip) {
  return llvm::StringSwitch<StringRef>(chip)
      .Cases({"sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"},
             "+ptx80")
      .Cases({"sm_100", "sm_100a", "sm_101", "sm_101a"}, "+ptx86")
      .Cases({"sm_120", "sm_120a"}, "+ptx87")
      .Default("");
}

std::string mlir::qembed::checkNVVMChip(StringRef chip) {
  if (!ptxFeaturesFor(chip).empty())
    return "";
  return "unknown or unsupported GPU chip '" + chip.str() +
         "'; qembed emits PTX for sm_75, sm_80, sm_86, sm_87, sm_89, sm_90, "
         "sm_90a, sm_100, sm_100a, sm_101, sm_101a, sm_120, sm_120a";
}

std::string mlir::qembed::nvvmFeaturesForChip(StringRef chip) {
  return ptxFeaturesFor(chip).str();
}

bool mlir::qembed::compileKernelToPTX(
    StringRef chip, StringRef moduleName, StringRef what,
    function_ref<void(OpBuilder &, Location, gpu::GPUModuleOp)> build,
    std::string &ptx, std::string &error) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllGPUToLLVMIRTranslations(registry);
  registry.insert<QEmbedDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();

  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      os << diag << "\n";
    return success();
  });

  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(&context));
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());
  build(b, loc, gpu::GPUModuleOp::create(b, loc, moduleName));

  PassManager pm(&context);
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = chip.str();
  nvvm.cubinFeatures = nvvmFeaturesForChip(chip);
  nvvm.cubinFormat = "isa";
  nvvm.optLevel = 3;
  nvvm.kernelUseBarePtrCallConv = true;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  if (failed(pm.run(*module))) {
    error = ("lowering the " + what + " to PTX failed: ").str() + diagnostics;
    return false;
  }
  gpu::BinaryOp binary;
  module->walk([&](gpu::BinaryOp op) { binary = op; });
  if (!binary || binary.getObjects().size() != 1) {
    error = "the NVVM pipeline produced no PTX object";
    return false;
  }
  ptx = cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().str();
  return true;
}

bool mlir::qembed::compileGatherKernel(const GatherKernelSpec &spec,
                                       StringRef chip,
                                       CompiledGatherKernel &result,
                                       std::string &error) {
  error = checkGatherKernelSpec(spec);
  if (error.empty())
    error = checkNVVMChip(chip);
  if (!error.empty())
    return false;
  result.name = gatherKernelName(spec);
  result.slicesPerRow = gatherSlicesPerRow(spec);
  return compileKernelToPTX(
      chip, "qembed_kernels", "gather kernel",
      [&](OpBuilder &b, Location loc, gpu::GPUModuleOp kernels) {
        buildBarePointerGatherKernel(b, loc, kernels, result.name, spec);
      },
      result.ptx, error);
}
