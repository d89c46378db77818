// FP8 / NVFP4 / MXFP4 gathers become CUDA custom dispatches of qembed's
// float-format kernels: f8 scales are handed over as i8 (the kernel decodes
// their bytes), the NVFP4 global scale is part of the kernel, and the
// embedded PTX assembles with ptxas.
// REQUIRES: ptxas
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_90" -o %t.mlir
// RUN: FileCheck %s --input-file=%t.mlir
// RUN: %extract_ptx %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t.ptx

// CHECK-LABEL: func.func @fp8
// CHECK-SAME: (%[[P:.*]]: tensor<10x16xi32>, %[[S:.*]]: tensor<10x1xf16>, %[[IDS:.*]]: tensor<3xi64>)
// CHECK: "flow.dispatch"(%{{.*}}, %{{.*}}, %{{.*}}, %[[P]], %[[S]], %[[IDS]])
// CHECK-NOT: qembed.gather
func.func @fp8(%p: tensor<10x16xi32>, %s: tensor<10x1xf16>, %ids: tensor<3xi64>) -> tensor<3x64xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f16, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xf16>, tensor<3xi64> -> tensor<3x64xf16>
  return %r : tensor<3x64xf16>
}

// CHECK-LABEL: func.func @nvfp4
// CHECK-SAME: %[[S:[a-z0-9]+]]: tensor<10x4xf8E4M3FN>
// CHECK: %[[B:.*]] = arith.bitcast %[[S]] : tensor<10x4xf8E4M3FN> to tensor<10x4xi8>
// CHECK: "flow.dispatch"(%{{.*}}, %[[B]], %{{.*}}
func.func @nvfp4(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E4M3FN>, %ids: tensor<?xi32>) -> tensor<?x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN>, tensor<?xi32> -> tensor<?x64xbf16>
  return %r : tensor<?x64xbf16>
}

// CHECK-LABEL: func.func @mxfp4
// CHECK: arith.bitcast %{{.*}} : tensor<10x2xf8E8M0FNU> to tensor<10x2xi8>
// CHECK: "flow.dispatch"
func.func @mxfp4(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E8M0FNU>, %ids: tensor<2x3xi64>) -> tensor<2x3x64xf32> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<10x8xi32>, tensor<10x2xf8E8M0FNU>, tensor<2x3xi64> -> tensor<2x3x64xf32>
  return %r : tensor<2x3x64xf32>
}

// One kernel per format, each with the gather ABI (4 pointers, 2 i32).
// PTX-DAG: .entry qembed_gather_{{.*}}fp8
// PTX-DAG: .entry qembed_gather_{{.*}}nvfp4
// PTX-DAG: .entry qembed_gather_{{.*}}mxfp4

// Constant f8 scales become i8 constants over the same bytes (IREE 3.13
// cannot serialize f8 constants).
// CHECK-LABEL: func.func @constant_scales
// CHECK-NOT: f8E8M0FNU
// CHECK: %[[S:.*]] = arith.constant dense<{{\[}}[127], [126]]> : tensor<2x1xi8>
// CHECK-NOT: arith.bitcast
// CHECK: "flow.dispatch"(%{{.*}}, %[[S]], %{{.*}}
func.func @constant_scales(%p: tensor<2x4xi32>, %ids: tensor<3xi64>) -> tensor<3x32xf32> {
  %s8 = arith.constant dense<[[1.0], [0.5]]> : tensor<2x1xf8E8M0FNU>
  %r = qembed.gather %p[%ids] scales(%s8) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<2x4xi32>, tensor<2x1xf8E8M0FNU>, tensor<3xi64> -> tensor<3x32xf32>
  return %r : tensor<3x32xf32>
}
