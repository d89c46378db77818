// RUN: qembed-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s
// After bufferization the GPU lowering applies:
// RUN: qembed-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qembed-gather-to-gpu | FileCheck %s --check-prefix=GPU

// CHECK-LABEL: func.func @embed
// CHECK-SAME: (%[[P:.*]]: memref<100x16xi32>, %[[S:.*]]: memref<100x2xf16>, %[[I:.*]]: memref<?xi64>) -> memref<?x128xf16>
// CHECK: %[[N:.*]] = memref.dim %[[I]], %c0
// CHECK: %[[OUT:.*]] = memref.alloc(%[[N]]) {{.*}} : memref<?x128xf16>
// CHECK: qembed.buffer_gather %[[P]][%[[I]]] scales(%[[S]]) into %[[OUT]] scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> {qembed.host_buffers} : memref<100x16xi32>, memref<100x2xf16>, memref<?xi64>, memref<?x128xf16>
// CHECK: return %[[OUT]]
// GPU-LABEL: func.func @embed
// GPU: gpu.launch_func @qembed_kernels::@gather
func.func @embed(%p: tensor<100x16xi32>, %s: tensor<100x2xf16>, %ids: tensor<?xi64>) -> tensor<?x128xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<100x16xi32>, tensor<100x2xf16>, tensor<?xi64> -> tensor<?x128xf16>
  return %r : tensor<?x128xf16>
}

// -----

// Asymmetric, 2-D static ids.
// CHECK-LABEL: func.func @asym
// CHECK: %[[OUT:.*]] = memref.alloc() {{.*}} : memref<2x3x64xbf16>
// CHECK: qembed.buffer_gather %{{.*}} scales(%{{.*}}) zero_points(%{{.*}}) into %[[OUT]]
func.func @asym(%p: tensor<10x8xi32>, %s: tensor<10x1xbf16>, %z: tensor<10x1xi8>, %ids: tensor<2x3xi32>) -> tensor<2x3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 4, group_size = 0, asymmetric, scale_type = bf16> : tensor<10x8xi32>, tensor<10x1xbf16>, tensor<2x3xi32>, tensor<10x1xi8> -> tensor<2x3x64xbf16>
  return %r : tensor<2x3x64xbf16>
}
