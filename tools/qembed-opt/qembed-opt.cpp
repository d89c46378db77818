//===- qembed-opt.cpp - mlir-opt with the qembed dialect and passes -------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qembed::registerAllQEmbedPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::qembed::QEmbedDialect>();
  mlir::qembed::registerBufferizableOpInterfaceExternalModels(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in-process.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qembed optimizer driver\n", registry));
}
