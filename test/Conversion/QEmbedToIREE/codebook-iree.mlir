// --qembed-to-iree target=cuda: a codebook VQ gather has no qembed CUDA
// kernel; it is lowered to linalg for IREE's codegen, with a remark.
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_90" --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @vq
// CHECK-NOT: qembed.
// CHECK-NOT: flow.dispatch
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}} : tensor<2x2x256x8xf16>
func.func @vq(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<?xi64>) -> tensor<?x96xf16> {
  // expected-remark @+1 {{codebook VQ gather lowered to linalg for IREE's codegen (qembed's CUDA kernel reads integer schemes only)}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64> -> tensor<?x96xf16>
  return %r : tensor<?x96xf16>
}
