//===- QEmbedPlugin.cpp - qembed as an mlir-opt plugin --------------------===//
//
// Lets upstream mlir-opt load the dialect and every qembed pass/pipeline:
//   mlir-opt --load-dialect-plugin=libQEmbedPlugin.so \
//            --load-pass-plugin=libQEmbedPlugin.so --quantize-embeddings
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Pipelines/Pipelines.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QEmbed", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            registry->insert<mlir::qembed::QEmbedDialect>();
            mlir::qembed::registerBufferizableOpInterfaceExternalModels(
                *registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QEmbedPasses", LLVM_VERSION_STRING,
          []() { mlir::qembed::registerAllQEmbedPasses(); }};
}
