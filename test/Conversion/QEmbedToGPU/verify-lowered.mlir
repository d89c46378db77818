// RUN: qembed-opt %s --split-input-file --verify-diagnostics --qembed-verify-lowered | FileCheck %s

// LLVM dialect, gpu.binary and a gpu.launch_func on LLVM-typed operands are
// what a finished pipeline leaves: accepted unchanged.
// CHECK-LABEL: llvm.func @host
// CHECK: gpu.launch_func
module attributes {gpu.container_module} {
  gpu.binary @kernels [#gpu.object<#nvvm.target, "">]
  llvm.func @host(%n: i64) {
    %c1 = llvm.mlir.constant(1 : index) : i64
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%n : i64)
    llvm.return
  }
}

// -----

// A qembed op the pipeline did not lower is an error naming it.
func.func @left(%p: tensor<4x2xi32>, %s: tensor<4x1xf32>, %ids: tensor<3xi64>) -> tensor<3x16xf32> {
  // expected-error @+1 {{the pipeline could not lower 'qembed.gather': no lowering placed it on the host or the GPU}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<4x2xi32>, tensor<4x1xf32>, tensor<3xi64> -> tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}
