//===- qembed-opt.cpp - mlir-opt with the qembed dialect and passes -------===//
//
// MlirOptMain with qembed's dialect, passes and pipelines registered. For
// MLIR bytecode input and the common options, the driver parses, runs the
// pipeline and writes the result itself (see runBytecodeDirectly).
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Pipelines/Pipelines.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Debug/CLOptionsSetup.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/ParseUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/thread.h"

#include <cstdlib>

using namespace mlir;

/// Whether `config` asks only for what runBytecodeDirectly does: no
/// diagnostic verification, split input, reproducers, remarks, IRDL,
/// pipeline dump, round-trip check, resource elision, listing, or
/// diagnostic filtering.
static bool isPlainRun(const MlirOptMainConfig &config) {
  return !config.shouldVerifyDiagnostics() &&
         config.inputSplitMarker().empty() && !config.shouldListPasses() &&
         !config.shouldShowDialects() && !config.shouldRunReproducer() &&
         config.getReproducerFilename().empty() &&
         !config.shouldDumpPassPipeline() && config.getIrdlFile().empty() &&
         !config.shouldVerifyRoundtrip() && !config.shouldEmitRemarks() &&
         !config.shouldElideResourceDataFromBytecode() &&
         config.getDiagnosticVerbosityLevel() ==
             VerbosityLevel::ErrorsWarningsAndRemarks &&
         config.shouldShowNotes();
}

/// Parses the bytecode in `input`, runs the pass pipeline of `config` and
/// writes the result to `outputFilename`, as MlirOptMain does. MlirOptMain
/// (LLVM 22) builds a SourceMgrDiagnosticVerifierHandler even without
/// -verify-diagnostics, which splits the whole input into lines and
/// matches each against a regex for `expected-*` comments: on a 1 GB
/// bytecode table that is most of a round trip's time, and it makes every
/// page of the memory-mapped input resident before any pass runs (so the
/// quantizer could not keep the table out of memory). Bytecode holds no
/// such comments.
static LogicalResult
runBytecodeDirectly(std::unique_ptr<llvm::MemoryBuffer> input,
                    StringRef outputFilename, DialectRegistry &registry,
                    const MlirOptMainConfig &config) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return failure();
  }
  MLIRContext context(registry);
  context.allowUnregisteredDialects(config.shouldAllowUnregisteredDialects());
  tracing::InstallDebugHandler debugHandler(context, config.getDebugConfig());
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(*sourceMgr, &context);

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope timing = tm.getRootScope();

  FallbackAsmResourceMap fallbackResourceMap;
  ParserConfig parseConfig(&context, config.shouldVerifyOnParsing(),
                           &fallbackResourceMap);
  TimingScope parserTiming = timing.nest("Parser");
  OwningOpRef<Operation *> op = parseSourceFileForTool(
      sourceMgr, parseConfig, !config.shouldUseExplicitModule());
  parserTiming.stop();
  if (!op)
    return failure();

  PassManager pm(op.get()->getName(), PassManager::Nesting::Implicit);
  pm.enableVerifier(config.shouldVerifyPasses());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(timing);
  if (failed(config.setupPassPipeline(pm)) || failed(pm.run(*op)))
    return failure();

  TimingScope outputTiming = timing.nest("Output");
  if (config.shouldEmitBytecode()) {
    BytecodeWriterConfig writerConfig(fallbackResourceMap);
    if (std::optional<int64_t> version = config.bytecodeVersionToEmit())
      writerConfig.setDesiredBytecodeVersion(*version);
    if (failed(writeBytecodeToFile(op.get(), output->os(), writerConfig)))
      return failure();
  } else {
    AsmState asmState(op.get(), OpPrintingFlags(), /*locationMap=*/nullptr,
                      &fallbackResourceMap);
    op.get()->print(output->os(), asmState);
    output->os() << '\n';
  }
  output->keep();
  return success();
}

/// The driver: runBytecodeDirectly for bytecode input under plain options,
/// MlirOptMain otherwise (with the input already read: it may be stdin).
static int runDriver(int argc, char **argv, DialectRegistry &registry) {
  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "qembed optimizer driver\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (!isPlainRun(config))
    return asMainReturnCode(
        MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << error << "\n";
    return EXIT_FAILURE;
  }
  if (isBytecode(*input))
    return asMainReturnCode(runBytecodeDirectly(
        std::move(input), outputFilename, registry, config));
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return EXIT_FAILURE;
  }
  if (failed(MlirOptMain(output->os(), std::move(input), registry, config)))
    return EXIT_FAILURE;
  output->keep();
  return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
  registerAllPasses();
  qembed::registerAllQEmbedPasses();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<qembed::QEmbedDialect>();
  qembed::registerBufferizableOpInterfaceExternalModels(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in-process.
  registerAllGPUToLLVMIRTranslations(registry);
  // MLIR's parser, verifier and printer recurse once per level of nesting:
  // run the driver on a thread with a large stack, so that deeply nested
  // input (tens of thousands of levels) is parsed instead of overflowing
  // the 8 MB main-thread stack.
  llvm::thread driver(std::optional<unsigned>(1u << 30), [&] {
    int rc = runDriver(argc, argv, registry);
    // The process ends here rather than through the thread's exit: under
    // ASan, tearing down the thread-specific data of a non-main thread that
    // used the (uninstrumented) libMLIR fails ("failed to deallocate").
    std::exit(rc);
  });
  driver.join();
  llvm_unreachable("the driver thread exits the process");
}
