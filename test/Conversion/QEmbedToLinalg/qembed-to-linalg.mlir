// RUN: qembed-opt %s --split-input-file --qembed-to-linalg --verify-diagnostics | FileCheck %s

// W4 group 32, f16 scales, f32 result: one word per 8 codes, shift + mask,
// dequantize in f32, round to the scale type, widen to the result type.
// CHECK-LABEL: func @gather_w4
// CHECK-SAME: (%[[P:.*]]: tensor<10x8xi32>, %[[S:.*]]: tensor<10x2xf16>, %[[I:.*]]: tensor<?xi64>)
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IDMAP:.*]], #[[OUTMAP:.*]]], iterator_types = ["parallel", "parallel"]} ins(%[[I]] : tensor<?xi64>) outs(%[[INIT]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[ROW0:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK: %[[ROW1:.*]] = arith.maxsi %[[ROW0]]
// CHECK: %[[ROW:.*]] = arith.minsi %[[ROW1]]
// CHECK-NOT: cf.assert
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[W:.*]] = arith.divui %[[COL]], %c8
// CHECK: %[[SLOT:.*]] = arith.remui %[[COL]], %c8
// CHECK: %[[SLOT32:.*]] = arith.index_castui %[[SLOT]] : index to i32
// CHECK: %[[SHIFT:.*]] = arith.muli %[[SLOT32]], %c4_i32
// CHECK: %[[WORD:.*]] = tensor.extract %[[P]][%[[ROW]], %[[W]]] : tensor<10x8xi32>
// CHECK: %[[SH:.*]] = arith.shrui %[[WORD]], %[[SHIFT]] : i32
// CHECK: %[[U:.*]] = arith.andi %[[SH]], %c15_i32 : i32
// CHECK: %[[G:.*]] = arith.divui %[[COL]], %c32
// CHECK: %[[SC:.*]] = tensor.extract %[[S]][%[[ROW]], %[[G]]] : tensor<10x2xf16>
// u | bits(2^23) is the float 2^23 + u; minus 2^23 + 8 leaves q exactly.
// CHECK: %[[M:.*]] = arith.ori %[[U]], %c1258291200_i32 : i32
// CHECK: %[[MF:.*]] = arith.bitcast %[[M]] : i32 to f32
// CHECK: %[[QF:.*]] = arith.subf %[[MF]], %{{.*}} : f32
// CHECK: %[[SC32:.*]] = arith.extf %[[SC]] : f16 to f32
// CHECK: %[[PROD:.*]] = arith.mulf %[[QF]], %[[SC32]] : f32
// CHECK: %[[H:.*]] = arith.truncf %[[PROD]] : f32 to f16
// CHECK: %[[OUT:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK-NOT: qembed.
func.func @gather_w4(%p: tensor<10x8xi32>, %s: tensor<10x2xf16>, %ids: tensor<?xi64>) -> tensor<?x64xf32> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f16> : tensor<10x8xi32>, tensor<10x2xf16>, tensor<?xi64> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// W3: a code may straddle two words, read as one i64; asymmetric zero point.
// CHECK-LABEL: func @gather_w3_asym
// CHECK-SAME: (%[[P:.*]]: tensor<10x6xi32>, %[[S:.*]]: tensor<10x1xbf16>, %[[Z:.*]]: tensor<10x1xi8>, %[[I:.*]]: tensor<2x3xindex>)
// CHECK: linalg.generic
// CHECK-NOT: arith.index_cast
// CHECK: %[[BIT:.*]] = arith.muli %{{.*}}, %c3 : index
// CHECK: %[[W:.*]] = arith.divui %[[BIT]], %c32
// CHECK: %[[W1:.*]] = arith.addi %[[W]], %c1
// CHECK: %[[WN:.*]] = arith.minui %[[W1]], %c5
// CHECK: tensor.extract %[[P]][%{{.*}}, %[[W]]]
// CHECK: tensor.extract %[[P]][%{{.*}}, %[[WN]]]
// CHECK: arith.shli %{{.*}}, %c32_i64 : i64
// CHECK: arith.shrui %{{.*}} : i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.andi %{{.*}}, %c7_i32
// CHECK: %[[ZP:.*]] = tensor.extract %[[Z]]
// CHECK: %[[MF:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[BIAS:.*]] = arith.constant 0x4B000004 : f32
// CHECK: %[[ZPF:.*]] = arith.sitofp %[[ZP]] : i8 to f32
// CHECK: %[[B:.*]] = arith.addf %[[BIAS]], %[[ZPF]] : f32
// CHECK: arith.subf %[[MF]], %[[B]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: -> tensor<2x3x64xbf16>
func.func @gather_w3_asym(%p: tensor<10x6xi32>, %s: tensor<10x1xbf16>, %z: tensor<10x1xi8>, %ids: tensor<2x3xindex>) -> tensor<2x3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 3, group_size = 0, asymmetric, scale_type = bf16> : tensor<10x6xi32>, tensor<10x1xbf16>, tensor<2x3xindex>, tensor<10x1xi8> -> tensor<2x3x64xbf16>
  return %r : tensor<2x3x64xbf16>
}

// -----

// A dense lookup: clamped row, direct extract.
// A table with a dynamic row count is asserted non-empty at run time (ids
// are clamped into it; an empty one has no row to read). Static tables have
// at least one row by the verifier: no assert (gather_w4 above).
// CHECK-LABEL: func @lookup
// CHECK-SAME: (%[[T:.*]]: tensor<?x16xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK: %[[V:.*]] = tensor.dim %[[T]], %c0
// CHECK: %[[NZ:.*]] = arith.cmpi ne, %[[V]], %c0
// CHECK: cf.assert %[[NZ]], "qembed: lookup in an embedding table with no rows"
// CHECK: linalg.generic
// CHECK: arith.minsi
// CHECK: %[[E:.*]] = tensor.extract %[[T]]
// CHECK: linalg.yield %[[E]] : f32
func.func @lookup(%t: tensor<?x16xf32>, %ids: tensor<4xi32>) -> tensor<4x16xf32> {
  %r = qembed.lookup %t[%ids] : tensor<?x16xf32>, tensor<4xi32> -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// Whole-table dequantization: a generic over [V, D] with no inputs.
// CHECK-LABEL: func @dequantize
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<10x16xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel"]} outs(%[[INIT]] : tensor<10x16xf32>)
// CHECK: %[[R:.*]] = linalg.index 0 : index
// CHECK: %[[C:.*]] = linalg.index 1 : index
// CHECK: arith.divui %[[C]], %c4
// CHECK: arith.mulf
// CHECK-NOT: arith.truncf
// CHECK: linalg.yield
func.func @dequantize(%p: tensor<10x4xi32>, %s: tensor<10x1xf32>) -> tensor<10x16xf32> {
  %t = qembed.dequantize %p scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f32> : tensor<10x4xi32>, tensor<10x1xf32> -> tensor<10x16xf32>
  return %t : tensor<10x16xf32>
}

// -----

// quantize of a non-constant table has no lowering.
func.func @runtime_quantize(%t: tensor<2x8xf32>) -> tensor<2x8xi8> {
  // expected-error @+1 {{failed to legalize operation 'qembed.quantize'}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2x1xf32>
  return %c : tensor<2x8xi8>
}
