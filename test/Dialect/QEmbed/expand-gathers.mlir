// RUN: qembed-opt %s --split-input-file --qembed-expand-gathers | FileCheck %s

// CHECK-LABEL: func @symmetric
// CHECK-SAME: (%[[P:.*]]: tensor<10x8xi32>, %[[S:.*]]: tensor<10x2xf16>, %[[I:.*]]: tensor<?x3xi64>)
func.func @symmetric(%p: tensor<10x8xi32>, %s: tensor<10x2xf16>, %ids: tensor<?x3xi64>) -> tensor<?x3x64xf32> {
  // CHECK: %[[T:.*]] = qembed.dequantize %[[P]] scales(%[[S]]) scheme <bits = 4, group_size = 32, symmetric, scale_type = f16> : tensor<10x8xi32>, tensor<10x2xf16> -> tensor<10x64xf32>
  // CHECK: %[[R:.*]] = qembed.lookup %[[T]][%[[I]]] : tensor<10x64xf32>, tensor<?x3xi64> -> tensor<?x3x64xf32>
  // CHECK-NOT: qembed.gather
  // CHECK: return %[[R]]
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f16> : tensor<10x8xi32>, tensor<10x2xf16>, tensor<?x3xi64> -> tensor<?x3x64xf32>
  return %r : tensor<?x3x64xf32>
}

// -----

// CHECK-LABEL: func @asymmetric_dynamic_rows
// CHECK: %[[T:.*]] = qembed.dequantize %{{.*}} scales(%{{.*}}) zero_points(%{{.*}}) {{.*}} -> tensor<?x40xbf16>
// CHECK: qembed.lookup %[[T]]
func.func @asymmetric_dynamic_rows(%p: tensor<?x7xi32>, %s: tensor<?x1xbf16>, %z: tensor<?x1xi8>, %ids: tensor<5xi32>) -> tensor<5x40xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 5, group_size = 0, asymmetric, scale_type = bf16> : tensor<?x7xi32>, tensor<?x1xbf16>, tensor<5xi32>, tensor<?x1xi8> -> tensor<5x40xbf16>
  return %r : tensor<5x40xbf16>
}
