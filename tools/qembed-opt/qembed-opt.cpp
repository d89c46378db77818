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
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/thread.h"

#include <cstdlib>

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
  // MLIR's parser, verifier and printer recurse once per level of nesting:
  // run the driver on a thread with a large stack, so that deeply nested
  // input (tens of thousands of levels) is parsed instead of overflowing
  // the 8 MB main-thread stack.
  llvm::thread driver(std::optional<unsigned>(1u << 30), [&] {
    int rc = mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, "qembed optimizer driver\n", registry));
    // The process ends here rather than through the thread's exit: under
    // ASan, tearing down the thread-specific data of a non-main thread that
    // used the (uninstrumented) libMLIR fails ("failed to deallocate").
    std::exit(rc);
  });
  driver.join();
  llvm_unreachable("the driver thread exits the process");
}
