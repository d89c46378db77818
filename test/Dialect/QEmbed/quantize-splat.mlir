// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=8 group-size=0 symmetric=false" | FileCheck %s --check-prefix=ASYM
// RUN: qembed-opt %s --split-input-file --quantize-embeddings="bits=4 group-size=0" | FileCheck %s --check-prefix=PIPE

// Splat tables are quantized from one row, never expanded: a 256 GB table
// gives splat words and scales in no time.

// CHECK-LABEL: func @huge_splat
// CHECK-DAG: %[[P:.*]] = arith.constant dense<-1> : tensor<1000000000x8xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<0.13333334> : tensor<1000000000x8xf32>
// CHECK-NOT: tensor<1000000000x64xf32>
// CHECK: qembed.gather %[[P]][%{{.*}}] scales(%[[S]])
// ASYM-LABEL: func @huge_splat
// ASYM-DAG: %[[P:.*]] = arith.constant dense<-1> : tensor<1000000000x16xi32>
// ASYM-DAG: %[[S:.*]] = arith.constant dense<0.00392156886> : tensor<1000000000x1xf32>
// ASYM-DAG: %[[Z:.*]] = arith.constant dense<-128> : tensor<1000000000x1xi8>
// ASYM: qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) zero_points(%[[Z]])
// PIPE-LABEL: func @huge_splat
// PIPE-DAG: arith.constant dense<-1> : tensor<1000000000x8xi32>
// PIPE-DAG: arith.constant dense<0.13333334> : tensor<1000000000x1xf32>
// PIPE-NOT: arith.constant dense<1.000000e+00>
// PIPE: qembed.gather
func.func @huge_splat(%ids: tensor<2xi64>) -> tensor<2x64xf32> {
  %t = arith.constant dense<1.0> : tensor<1000000000x64xf32>
  %r = qembed.lookup %t[%ids] : tensor<1000000000x64xf32>, tensor<2xi64> -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// A splat and the same table written out quantize to the same constants
// (quantize-limits.mlir has the 3-bit case, where the row is repeated).
// CHECK-LABEL: func @splat_matches_dense
// CHECK: %[[P:.*]] = arith.constant dense<[[PV:-1]]> : tensor<3x2xi32>
// CHECK: %[[S:.*]] = arith.constant dense<[[SV:.*]]> : tensor<3x2xf32>
// CHECK: %[[Q:.*]] = arith.constant dense<[[PV]]> : tensor<3x2xi32>
// CHECK: %[[T:.*]] = arith.constant dense<[[SV]]> : tensor<3x2xf32>
// ASYM-LABEL: func @splat_matches_dense
// ASYM: arith.constant dense<[[PV:.*]]> : tensor<3x4xi32>
// ASYM: arith.constant dense<[[SV:.*]]> : tensor<3x1xf32>
// ASYM: arith.constant dense<[[ZV:.*]]> : tensor<3x1xi8>
// ASYM: arith.constant dense<[[PV]]> : tensor<3x4xi32>
// ASYM: arith.constant dense<[[SV]]> : tensor<3x1xf32>
// ASYM: arith.constant dense<[[ZV]]> : tensor<3x1xi8>
func.func @splat_matches_dense(%ids: tensor<2xi64>) -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %a = arith.constant dense<0.3> : tensor<3x16xf32>
  %r = qembed.lookup %a[%ids] : tensor<3x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  %b = arith.constant dense<[[0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]]> : tensor<3x16xf32>
  %s = qembed.lookup %b[%ids] : tensor<3x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  return %r, %s : tensor<2x16xf32>, tensor<2x16xf32>
}
