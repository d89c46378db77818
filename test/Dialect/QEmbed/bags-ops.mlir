// RUN: qembed-opt %s --split-input-file | FileCheck %s
// RUN: qembed-opt %s --split-input-file --mlir-print-op-generic | qembed-opt --split-input-file | FileCheck %s

// Round trip of the EmbeddingBag ops: qembed.lookup_bags (dense) and
// qembed.gather_bags (packed, symmetric and asymmetric).

// CHECK-LABEL: func @lookup_bags
// CHECK-SAME: (%[[T:.*]]: tensor<10x4xf32>, %[[I:.*]]: tensor<?xi64>, %[[O:.*]]: tensor<?xi64>)
func.func @lookup_bags(%t: tensor<10x4xf32>, %i: tensor<?xi64>, %o: tensor<?xi64>) -> tensor<?x4xf32> {
  // CHECK: %[[R:.*]] = qembed.lookup_bags %[[T]][%[[I]]] offsets(%[[O]]) mode(sum) : tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4xf32>
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4xf32>
  // CHECK: return %[[R]]
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func @gather_bags_mean
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %[[S:.*]]: tensor<10x2xbf16>, %[[I:.*]]: tensor<8xi32>, %[[O:.*]]: tensor<3xindex>)
func.func @gather_bags_mean(%p: tensor<10x2xi32>, %s: tensor<10x2xbf16>, %i: tensor<8xi32>, %o: tensor<3xindex>) -> tensor<3x16xbf16> {
  // CHECK: %[[R:.*]] = qembed.gather_bags %[[P]][%[[I]]] offsets(%[[O]]) scales(%[[S]]) mode(mean) scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<10x2xi32>, tensor<10x2xbf16>, tensor<8xi32>, tensor<3xindex> -> tensor<3x16xbf16>
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(mean) scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<10x2xi32>, tensor<10x2xbf16>, tensor<8xi32>, tensor<3xindex> -> tensor<3x16xbf16>
  // CHECK: return %[[R]]
  return %r : tensor<3x16xbf16>
}

// -----

// CHECK-LABEL: func @gather_bags_asym
// CHECK-SAME: (%[[P:.*]]: tensor<10x3xi32>, %[[S:.*]]: tensor<10x1xf16>, %[[Z:.*]]: tensor<10x1xi8>, %[[I:.*]]: tensor<?xi64>, %[[O:.*]]: tensor<?xi64>)
func.func @gather_bags_asym(%p: tensor<10x3xi32>, %s: tensor<10x1xf16>, %z: tensor<10x1xi8>, %i: tensor<?xi64>, %o: tensor<?xi64>) -> tensor<?x16xf32> {
  // CHECK: %[[R:.*]] = qembed.gather_bags %[[P]][%[[I]]] offsets(%[[O]]) scales(%[[S]]) zero_points(%[[Z]]) mode(sum) scheme <bits = 6, group_size = 0, asymmetric, scale_type = f16> : tensor<10x3xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64>, tensor<10x1xi8> -> tensor<?x16xf32>
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) zero_points(%z) mode(sum) scheme <bits = 6, group_size = 0, asymmetric, scale_type = f16> : tensor<10x3xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64>, tensor<10x1xi8> -> tensor<?x16xf32>
  // CHECK: return %[[R]]
  return %r : tensor<?x16xf32>
}
