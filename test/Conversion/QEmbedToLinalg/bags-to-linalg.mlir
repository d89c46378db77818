// RUN: qembed-opt %s --split-input-file --qembed-to-linalg | FileCheck %s

// qembed.gather_bags / qembed.lookup_bags lower to a (bag, column) generic
// whose body loops over the bag's ids only (scf.for from the clamped
// offsets[b] to offsets[b + 1], the id count for the last bag), dequantizes
// the packed element of each clamped row and accumulates in f32.

// CHECK-LABEL: func @gather_bags_mean
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %[[S:.*]]: tensor<10x2xbf16>, %[[I:.*]]: tensor<?xi64>, %[[O:.*]]: tensor<?xi32>)
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[I]], %{{.*}} : tensor<?xi64>
// CHECK-DAG: tensor.dim %[[O]], %{{.*}} : tensor<?xi32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[O]] : tensor<?xi32>) outs(%{{.*}} : tensor<?x16xbf16>)
// CHECK: ^bb0(%[[OFF:.*]]: i32, %{{.*}}: bf16):
// CHECK: %[[BAG:.*]] = linalg.index 0 : index
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[START:.*]] = arith.index_cast %[[OFF]] : i32 to index
// CHECK: %[[NEXT:.*]] = arith.addi %[[BAG]], %{{.*}} : index
// CHECK: %[[LAST:.*]] = arith.cmpi eq, %[[NEXT]], %{{.*}} : index
// CHECK: tensor.extract %[[O]][
// CHECK: %[[END0:.*]] = arith.select %[[LAST]], %[[N]], %{{.*}} : index
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %[[BEGIN:.*]] to %[[END:.*]] step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK:   %[[ID:.*]] = tensor.extract %[[I]][%[[K]]] : tensor<?xi64>
// CHECK:   %[[ROW:.*]] = arith.minsi
// CHECK:   %[[W:.*]] = tensor.extract %[[P]][%[[ROW]], %{{.*}}] : tensor<10x2xi32>
// CHECK:   %[[SC:.*]] = tensor.extract %[[S]][%[[ROW]], %{{.*}}] : tensor<10x2xbf16>
// CHECK:   %[[PROD:.*]] = arith.mulf %{{.*}} : f32
// CHECK:   %[[DQ:.*]] = arith.truncf %[[PROD]] : f32 to bf16
// bf16 is widened with integer ops (no extf(truncf) a compiler may fold).
// CHECK:   %[[BITS:.*]] = arith.bitcast %[[DQ]] : bf16 to i16
// CHECK:   %[[WIDE:.*]] = arith.extui %[[BITS]] : i16 to i32
// CHECK:   %[[HIGH:.*]] = arith.shli %[[WIDE]], %{{.*}} : i32
// CHECK:   %[[V:.*]] = arith.bitcast %[[HIGH]] : i32 to f32
// CHECK:   %[[NEW:.*]] = arith.addf %[[ACC]], %[[V]] : f32
// CHECK:   scf.yield %[[NEW]] : f32
// CHECK: %[[ROUNDED:.*]] = arith.truncf %[[SUM]] : f32 to bf16
// CHECK: %[[COUNT:.*]] = arith.subi %[[END]], %[[BEGIN]] : index
// CHECK: arith.bitcast %[[ROUNDED]] : bf16 to i16
// CHECK: %[[MEAN:.*]] = arith.divf
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi ne, %[[COUNT]]
// CHECK: %[[MEANB:.*]] = arith.truncf %[[MEAN]] : f32 to bf16
// CHECK: %[[OUT:.*]] = arith.select %[[NONEMPTY]], %[[MEANB]], %[[ROUNDED]] : bf16
// CHECK: linalg.yield %[[OUT]] : bf16
// CHECK: return %[[R]]
func.func @gather_bags_mean(%p: tensor<10x2xi32>, %s: tensor<10x2xbf16>, %i: tensor<?xi64>, %o: tensor<?xi32>) -> tensor<?x16xbf16> {
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(mean) scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<10x2xi32>, tensor<10x2xbf16>, tensor<?xi64>, tensor<?xi32> -> tensor<?x16xbf16>
  return %r : tensor<?x16xbf16>
}

// -----

// CHECK-LABEL: func @lookup_bags_sum
// CHECK-SAME: (%[[T:.*]]: tensor<10x4xf32>, %[[I:.*]]: tensor<8xi64>, %[[O:.*]]: tensor<3xi64>)
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK:   %[[V:.*]] = tensor.extract %[[T]][%{{.*}}, %{{.*}}] : tensor<10x4xf32>
// CHECK:   arith.addf %{{.*}}, %[[V]] : f32
// CHECK-NOT: arith.divf
// CHECK: linalg.yield
func.func @lookup_bags_sum(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x4xf32> {
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
