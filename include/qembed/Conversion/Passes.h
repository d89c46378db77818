//===- Passes.h - qembed conversion passes ----------------------*- C++ -*-===//

#ifndef QEMBED_CONVERSION_PASSES_H
#define QEMBED_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
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
/// ops that read the packed table element by element.
void populateQEmbedToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "qembed/Conversion/Passes.h.inc"

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_PASSES_H
