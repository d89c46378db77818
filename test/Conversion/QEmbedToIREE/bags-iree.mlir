// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cpu" | FileCheck %s

// qembed.gather_bags has no qembed CUDA kernel: --qembed-to-iree lowers it
// through --qembed-to-linalg for both targets (remark for cuda), and the
// table stays packed.

// CHECK-LABEL: func @bags
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %[[S:.*]]: tensor<10x1xf16>
// CHECK-NOT: qembed.
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: tensor.extract %[[P]]
func.func @bags(%p: tensor<10x2xi32>, %s: tensor<10x1xf16>, %i: tensor<?xi64>, %o: tensor<?xi64>) -> tensor<?x16xf16> {
  // expected-remark @+1 {{no qembed CUDA kernel for qembed.gather_bags: lowered through --qembed-to-linalg for IREE's codegen}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<10x2xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
}
