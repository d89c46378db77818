//===- BufferizableOpInterfaceImpl.h - qembed bufferization -----*- C++ -*-===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace qembed {
/// Unit attribute on the qembed.buffer_gather ops that bufferization makes:
/// their buffers are host memory (--qembed-gpu-stage-buffers stages them).
inline constexpr const char kHostBuffersAttrName[] = "qembed.host_buffers";

/// Lets One-Shot Bufferize turn qembed.gather into a new buffer filled by
/// qembed.buffer_gather (the form the GPU lowering starts from).
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace qembed
} // namespace mlir

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
