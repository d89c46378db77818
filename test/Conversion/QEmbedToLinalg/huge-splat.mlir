// RUN: qembed-opt %s --qembed-to-linalg | FileCheck %s

// A splat packed table of 2^40 rows lowers without being folded or
// expanded (the dequantize folder used to expand it: "LLVM ERROR: out of
// memory").
// CHECK-LABEL: func @huge_splat
// CHECK-DAG: arith.constant dense<-1> : tensor<1099511627776x1xi32>
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<1099511627776x1xf32>
// CHECK: linalg.generic
// CHECK-NOT: qembed.
func.func @huge_splat() -> tensor<1099511627776x8xf32> {
  %p = arith.constant dense<-1> : tensor<1099511627776x1xi32>
  %s = arith.constant dense<0.5> : tensor<1099511627776x1xf32>
  %t = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<1099511627776x1xi32>, tensor<1099511627776x1xf32> -> tensor<1099511627776x8xf32>
  return %t : tensor<1099511627776x8xf32>
}
