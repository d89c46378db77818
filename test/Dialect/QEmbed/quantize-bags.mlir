// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=4" --verify-diagnostics | FileCheck %s

// --qembed-quantize rewrites qembed.lookup_bags on a constant table into
// qembed.gather_bags over the packed words and scales; a table shared with a
// qembed.lookup is quantized once; tables left dense keep their bags.

// CHECK-LABEL: func @bags
// CHECK-SAME: (%[[I:.*]]: tensor<?xi64>, %[[O:.*]]: tensor<?xi32>)
// CHECK-DAG: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<3x1xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<3x2xf32>
// CHECK-NOT: qembed.lookup_bags
// CHECK: %[[R:.*]] = qembed.gather_bags %[[P]][%[[I]]] offsets(%[[O]]) scales(%[[S]]) mode(mean) scheme <bits = 4, group_size = 4, symmetric, scale_type = f32> : tensor<3x1xi32>, tensor<3x2xf32>, tensor<?xi64>, tensor<?xi32> -> tensor<?x8xf32>
// CHECK: return %[[R]]
func.func @bags(%i: tensor<?xi64>, %o: tensor<?xi32>) -> tensor<?x8xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], [7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25]]> : tensor<3x8xf32>
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(mean) : tensor<3x8xf32>, tensor<?xi64>, tensor<?xi32> -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @shared
// CHECK-COUNT-1: arith.constant dense<{{.*}}> : tensor<3x1xi32>
// CHECK-NOT: tensor<3x8xf32>
// CHECK: qembed.gather %
// CHECK: qembed.gather_bags %
func.func @shared(%i: tensor<4xi64>, %o: tensor<2xi64>) -> (tensor<4x8xf32>, tensor<2x8xf32>) {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], [7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25]]> : tensor<3x8xf32>
  %a = qembed.lookup %t[%i] : tensor<3x8xf32>, tensor<4xi64> -> tensor<4x8xf32>
  %b = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<3x8xf32>, tensor<4xi64>, tensor<2xi64> -> tensor<2x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func @left_dense
// CHECK: qembed.lookup_bags
func.func @left_dense(%i: tensor<4xi64>, %o: tensor<2xi64>) -> tensor<2x6xf32> {
  // expected-remark @+1 {{table left dense: group-size 4 does not divide its row length 6}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, -1.0, 1.5, 2.0, 2.5, 3.0]]> : tensor<2x6xf32>
  %b = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<2x6xf32>, tensor<4xi64>, tensor<2xi64> -> tensor<2x6xf32>
  return %b : tensor<2x6xf32>
}
