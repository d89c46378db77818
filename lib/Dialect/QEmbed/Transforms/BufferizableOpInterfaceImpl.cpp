//===- BufferizableOpInterfaceImpl.cpp - qembed bufferization -------------===//
//
// qembed.gather reads its operands and produces a new tensor; bufferized, it
// allocates the output and fills it with qembed.buffer_gather, marked
// `qembed.host_buffers` (its buffers live in host memory).
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace mlir::qembed;

namespace {
struct GatherOpInterface
    : public BufferizableOpInterface::ExternalModel<GatherOpInterface,
                                                    GatherOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto gather = cast<GatherOp>(op);
    Location loc = op->getLoc();
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    RankedTensorType type = gather.getType();
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i)
      if (type.isDynamicDim(i))
        dynamicSizes.push_back(
            memref::DimOp::create(rewriter, loc, buffers[1], i));
    auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
    FailureOr<Value> alloc =
        options.createAlloc(rewriter, loc, memrefType, dynamicSizes);
    if (failed(alloc))
      return failure();
    Value zeroPoints = gather.getZeroPoints() ? buffers[3] : Value();
    auto bufferGather =
        BufferGatherOp::create(rewriter, loc, buffers[0], buffers[1],
                               buffers[2], zeroPoints, *alloc,
                               gather.getScheme());
    // Bufferization makes host buffers; --qembed-gpu-stage-buffers moves
    // exactly these to the GPU (hand-written buffer_gathers take device
    // buffers).
    bufferGather->setAttr(kHostBuffersAttrName, rewriter.getUnitAttr());
    replaceOpWithBufferizedValues(rewriter, op, *alloc);
    return success();
  }
};
} // namespace

void mlir::qembed::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, QEmbedDialect *) {
    GatherOp::attachInterface<GatherOpInterface>(*ctx);
  });
}
