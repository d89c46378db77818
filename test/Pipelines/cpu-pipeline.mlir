// RUN: qembed-opt %s --qembed-cpu-pipeline | FileCheck %s
// RUN: qembed-opt %s --qembed-cpu-pipeline | FileCheck %s --check-prefix=LEFT

// A quantized module lowers to the LLVM dialect only; the table stays a
// global of packed i32 words (3 rows x 2 words) next to its scales.
// LEFT (NOT checks only, so they scan the whole output): no op of another
// dialect is left, in custom or generic form.
// LEFT-NOT: {{[ "](qembed|linalg|tensor|memref|bufferization|scf|cf|arith|affine|func)\.[a-z]}}
// CHECK-DAG: llvm.mlir.global private constant @{{.*}}(dense<{{.*}}> : tensor<3x1xbf16>)
// CHECK-DAG: llvm.mlir.global private constant @{{.*}}(dense<{{\[}}[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>) {{.*}} : !llvm.array<3 x array<2 x i32>>
// CHECK: llvm.func @forward
// CHECK: llvm.lshr
// CHECK: llvm.and
// CHECK: llvm.fmul
// CHECK-NOT: qembed.
func.func @forward(%ids: tensor<?xi64>) -> tensor<?x8xbf16> {
  %p = arith.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  %s = arith.constant dense<[[1.0], [0.5], [0.25]]> : tensor<3x1xbf16>
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<3x2xi32>, tensor<3x1xbf16>, tensor<?xi64> -> tensor<?x8xbf16>
  return %r : tensor<?x8xbf16>
}
