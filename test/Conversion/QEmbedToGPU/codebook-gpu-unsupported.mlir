// --qembed-gpu-pipeline has no kernel for codebook VQ gathers: its first
// step (--qembed-check-gpu-options) names the op, nothing is lowered.
// RUN: qembed-opt %s --qembed-check-gpu-options --verify-diagnostics
// RUN: not qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=isa" 2>&1 | FileCheck %s

// CHECK: error: 'qembed.codebook_gather' op has no --qembed-gpu-pipeline lowering (codebook VQ runs on the CPU pipeline or through --qembed-to-linalg)
// CHECK-NOT: gpu.binary
func.func @vq(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<?xi64>) -> tensor<?x96xf16> {
  // expected-error @+1 {{'qembed.codebook_gather' op has no --qembed-gpu-pipeline lowering (codebook VQ runs on the CPU pipeline or through --qembed-to-linalg)}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64> -> tensor<?x96xf16>
  return %r : tensor<?x96xf16>
}
