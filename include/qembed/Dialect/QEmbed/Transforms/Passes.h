//===- Passes.h - qembed transformation passes ------------------*- C++ -*-===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_H
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_H

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qembed {

#define GEN_PASS_DECL
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"

/// Patterns rewriting front-end lookups (see --qembed-raise-lookups) into
/// qembed.lookup.
void populateRaiseLookupsPatterns(RewritePatternSet &patterns);

/// Patterns rewriting Torch-MLIR's aten.embedding_bag (mode sum) lowering
/// into qembed.lookup_bags (part of --qembed-raise-lookups).
void populateRaiseBagsPatterns(RewritePatternSet &patterns);

/// Patterns unfusing qembed.gather into qembed.dequantize + qembed.lookup.
void populateExpandGathersPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_H
