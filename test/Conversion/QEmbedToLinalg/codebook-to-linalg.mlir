// --qembed-to-linalg lowers qembed.codebook_gather to one linalg.generic
// over the output that reads codes and codebook entries with tensor.extract
// (the table stays packed): per stage, the code's word and shift, the mask
// of log2(entries) bits, the entry of (group, stage, code, lane); the
// stages summed in f32, times the row's scale, rounded to the result type.
// RUN: qembed-opt %s --split-input-file --qembed-to-linalg | FileCheck %s

// CHECK-LABEL: func @two_stages
// CHECK-SAME: (%[[C:.*]]: tensor<100x6xi32>, %[[S:.*]]: tensor<100x1xf16>, %[[B:.*]]: tensor<2x2x256x8xf16>, %[[I:.*]]: tensor<?xi64>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[I]] : tensor<?xi64>) outs(%{{.*}} : tensor<?x96xf16>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f16):
// CHECK: %[[ROW:.*]] = arith.minsi
// CHECK: %[[COL:.*]] = linalg.index 1
// CHECK: %[[V:.*]] = arith.divui %[[COL]], %{{.*}} : index
// CHECK: %[[LANE:.*]] = arith.remui %[[COL]], %{{.*}} : index
// CHECK: %[[GRP:.*]] = arith.divui %[[V]], %{{.*}} : index
// CHECK: %[[W0:.*]] = tensor.extract %[[C]][%[[ROW]], %{{.*}}] : tensor<100x6xi32>
// CHECK: %[[SH0:.*]] = arith.shrui %[[W0]]
// CHECK: %[[M0:.*]] = arith.andi %[[SH0]], %{{.*}} : i32
// CHECK: %[[K0:.*]] = arith.index_castui %[[M0]] : i32 to index
// CHECK: %[[E0:.*]] = tensor.extract %[[B]][%[[GRP]], %{{.*}}, %[[K0]], %[[LANE]]] : tensor<2x2x256x8xf16>
// CHECK: %[[F0:.*]] = arith.extf %[[E0]] : f16 to f32
// CHECK: %[[E1:.*]] = tensor.extract %[[B]][%[[GRP]], %{{.*}}, %{{.*}}, %[[LANE]]] : tensor<2x2x256x8xf16>
// CHECK: %[[F1:.*]] = arith.extf %[[E1]] : f16 to f32
// CHECK: %[[ACC:.*]] = arith.addf %[[F0]], %[[F1]] : f32
// CHECK: %[[SC:.*]] = tensor.extract %[[S]][%[[ROW]], %{{.*}}] : tensor<100x1xf16>
// CHECK: %[[SC32:.*]] = arith.extf %[[SC]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[SC32]], %[[ACC]] : f32
// CHECK: %[[O:.*]] = arith.truncf %[[P]] : f32 to f16
// CHECK: linalg.yield %[[O]] : f16
// CHECK: return %[[G]]
func.func @two_stages(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<?xi64>) -> tensor<?x96xf16> {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64> -> tensor<?x96xf16>
  return %r : tensor<?x96xf16>
}

// -----

// 5-bit codes straddle words: both words are read as one i64 (the second
// index clamped to the row's last word).
// CHECK-LABEL: func @straddle
// CHECK: linalg.generic
// CHECK: %[[LO:.*]] = tensor.extract %{{.*}} : tensor<7x1xi32>
// CHECK: arith.extui %[[LO]] : i32 to i64
// CHECK: %[[HI:.*]] = tensor.extract %{{.*}} : tensor<7x1xi32>
// CHECK: arith.extui %[[HI]] : i32 to i64
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: arith.trunci {{.*}} : i64 to i32
// CHECK: tensor.extract %{{.*}} : tensor<1x1x32x4xf32>
// CHECK-NOT: arith.truncf
// CHECK: linalg.yield
func.func @straddle(%c: tensor<7x1xi32>, %s: tensor<7x1xf32>, %b: tensor<1x1x32x4xf32>, %ids: tensor<3xi32>) -> tensor<3x12xf32> {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 32, stages = 1, groups = 1> : tensor<7x1xi32>, tensor<7x1xf32>, tensor<1x1x32x4xf32>, tensor<3xi32> -> tensor<3x12xf32>
  return %r : tensor<3x12xf32>
}
