// RUN: qembed-opt %s --split-input-file --qembed-to-linalg --verify-diagnostics | FileCheck %s

// W4 group 32, f16 scales, f32 result: codes that never straddle words and
// a row of whole 16-value chunks become a generic over (id, chunk, lane),
// collapsed back to (id, column). The chunk's 2 words are read with extracts
// that do not depend on the lane, the lane's word is selected by bit 0 of
// its word number (a constant operand indexed by the lane), the lane's shift
// is another such operand; shift + mask, dequantize in f32, round to the
// scale type, widen to the result type. Group 32 = 2 chunks per scale.
// CHECK-LABEL: func @gather_w4
// CHECK-SAME: (%[[P:.*]]: tensor<10x8xi32>, %[[S:.*]]: tensor<10x2xf16>, %[[I:.*]]: tensor<?xi64>)
// CHECK-DAG: %[[SHIFTS:.*]] = arith.constant dense<[0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28]> : tensor<16xi32>
// CHECK-DAG: %[[LANEW:.*]] = arith.constant dense<[0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<16xi32>
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x4x16xf32>
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[IDMAP:.*]], #[[LANEMAP:.*]], #[[LANEMAP]], #[[OUTMAP:.*]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[I]], %[[SHIFTS]], %[[LANEW]] : tensor<?xi64>, tensor<16xi32>, tensor<16xi32>) outs(%[[INIT]] : tensor<?x4x16xf32>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %[[SHIFT:.*]]: i32, %[[LW:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[ROW0:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK: %[[ROW1:.*]] = arith.maxsi %[[ROW0]]
// CHECK: %[[ROW:.*]] = arith.minsi %[[ROW1]]
// CHECK-NOT: cf.assert
// CHECK: %[[CHUNK:.*]] = linalg.index 1 : index
// CHECK: %[[W0:.*]] = arith.muli %[[CHUNK]], %c2
// CHECK: %[[WORD0:.*]] = tensor.extract %[[P]][%[[ROW]], %[[W0]]] : tensor<10x8xi32>
// CHECK: %[[W1:.*]] = arith.addi %[[W0]], %c1
// CHECK: %[[WORD1:.*]] = tensor.extract %[[P]][%[[ROW]], %[[W1]]] : tensor<10x8xi32>
// CHECK: %[[BIT:.*]] = arith.andi %[[LW]], %c1_i32 : i32
// CHECK: %[[ODD:.*]] = arith.cmpi ne, %[[BIT]], %c0_i32 : i32
// CHECK: %[[WORD:.*]] = arith.select %[[ODD]], %[[WORD1]], %[[WORD0]] : i32
// CHECK: %[[SH:.*]] = arith.shrui %[[WORD]], %[[SHIFT]] : i32
// CHECK: %[[U:.*]] = arith.andi %[[SH]], %c15_i32 : i32
// CHECK: %[[GRP:.*]] = arith.divui %[[CHUNK]], %c2
// CHECK: %[[SC:.*]] = tensor.extract %[[S]][%[[ROW]], %[[GRP]]] : tensor<10x2xf16>
// u | bits(2^23) is the float 2^23 + u; minus 2^23 + 8 leaves q exactly.
// CHECK: %[[M:.*]] = arith.ori %[[U]], %c1258291200_i32 : i32
// CHECK: %[[MF:.*]] = arith.bitcast %[[M]] : i32 to f32
// CHECK: %[[QF:.*]] = arith.subf %[[MF]], %{{.*}} : f32
// CHECK: %[[SC32:.*]] = arith.extf %[[SC]] : f16 to f32
// CHECK: %[[PROD:.*]] = arith.mulf %[[QF]], %[[SC32]] : f32
// CHECK: %[[H:.*]] = arith.truncf %[[PROD]] : f32 to f16
// CHECK: %[[OUT:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2]] : tensor<?x4x16xf32> into tensor<?x64xf32>
// CHECK: return %[[R]]
// CHECK-NOT: qembed.
func.func @gather_w4(%p: tensor<10x8xi32>, %s: tensor<10x2xf16>, %ids: tensor<?xi64>) -> tensor<?x64xf32> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f16> : tensor<10x8xi32>, tensor<10x2xf16>, tensor<?xi64> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// W8 per row, asymmetric, 2-D ids: 4 words per 16-value chunk, picked by two
// levels of selects (bit 0, then bit 1 of the lane's word number); the
// zero point and scale of the row do not depend on the chunk.
// CHECK-LABEL: func @gather_w8_asym
// CHECK-SAME: (%[[P:.*]]: tensor<10x8xi32>, %[[S:.*]]: tensor<10x1xbf16>, %[[Z:.*]]: tensor<10x1xi8>, %[[I:.*]]: tensor<2x3xi32>)
// CHECK-DAG: %[[SHIFTS:.*]] = arith.constant dense<[0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24]> : tensor<16xi32>
// CHECK-DAG: %[[LANEW:.*]] = arith.constant dense<[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]> : tensor<16xi32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[I]], %[[SHIFTS]], %[[LANEW]] : tensor<2x3xi32>, tensor<16xi32>, tensor<16xi32>) outs(%{{.*}} : tensor<2x3x2x16xbf16>)
// CHECK: ^bb0(%{{.*}}: i32, %[[SHIFT:.*]]: i32, %[[LW:.*]]: i32, %{{.*}}: bf16):
// CHECK: %[[ROW:.*]] = arith.minsi
// CHECK: %[[CHUNK:.*]] = linalg.index 2 : index
// CHECK: %[[W0:.*]] = arith.muli %[[CHUNK]], %c4
// CHECK: %[[X0:.*]] = tensor.extract %[[P]][%[[ROW]], %[[W0]]]
// CHECK: %[[X1:.*]] = tensor.extract %[[P]][%[[ROW]], %{{.*}}]
// CHECK: %[[X2:.*]] = tensor.extract %[[P]][%[[ROW]], %{{.*}}]
// CHECK: %[[X3:.*]] = tensor.extract %[[P]][%[[ROW]], %{{.*}}]
// CHECK: %[[B0:.*]] = arith.andi %[[LW]], %c1_i32
// CHECK: %[[ODD:.*]] = arith.cmpi ne, %[[B0]]
// CHECK: %[[LO:.*]] = arith.select %[[ODD]], %[[X1]], %[[X0]] : i32
// CHECK: %[[HI:.*]] = arith.select %[[ODD]], %[[X3]], %[[X2]] : i32
// CHECK: %[[B1:.*]] = arith.andi %[[LW]], %c2_i32
// CHECK: %[[UPPER:.*]] = arith.cmpi ne, %[[B1]]
// CHECK: %[[WORD:.*]] = arith.select %[[UPPER]], %[[HI]], %[[LO]] : i32
// CHECK: %[[SH:.*]] = arith.shrui %[[WORD]], %[[SHIFT]] : i32
// CHECK: arith.andi %[[SH]], %c255_i32
// CHECK: tensor.extract %[[Z]][%[[ROW]], %[[C0:.*]]] : tensor<10x1xi8>
// CHECK: tensor.extract %[[S]][%[[ROW]], %[[C0]]] : tensor<10x1xbf16>
// CHECK: arith.sitofp
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: tensor.collapse_shape %[[G]] {{\[}}[0], [1], [2, 3]] : tensor<2x3x2x16xbf16> into tensor<2x3x32xbf16>
func.func @gather_w8_asym(%p: tensor<10x8xi32>, %s: tensor<10x1xbf16>, %z: tensor<10x1xi8>, %ids: tensor<2x3xi32>) -> tensor<2x3x32xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 8, group_size = 0, asymmetric, scale_type = bf16> : tensor<10x8xi32>, tensor<10x1xbf16>, tensor<2x3xi32>, tensor<10x1xi8> -> tensor<2x3x32xbf16>
  return %r : tensor<2x3x32xbf16>
}

// -----

// W2 group 16: a chunk is exactly one word (no select) and one group (the
// chunk is the scale's column).
// CHECK-LABEL: func @gather_w2
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %[[S:.*]]: tensor<10x2xf32>, %{{.*}}: tensor<5xi64>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<5x2x16xf32>)
// CHECK: %[[ROW:.*]] = arith.minsi
// CHECK: %[[CHUNK:.*]] = linalg.index 1 : index
// CHECK-NOT: arith.muli
// CHECK: %[[WORD:.*]] = tensor.extract %[[P]][%[[ROW]], %[[CHUNK]]]
// CHECK-NOT: arith.select
// CHECK: arith.shrui %[[WORD]]
// CHECK: arith.andi %{{.*}}, %c3_i32
// CHECK-NOT: arith.divui
// CHECK: tensor.extract %[[S]][%[[ROW]], %[[CHUNK]]] : tensor<10x2xf32>
// CHECK: tensor.collapse_shape {{.*}} into tensor<5x32xf32>
func.func @gather_w2(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %ids: tensor<5xi64>) -> tensor<5x32xf32> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 2, group_size = 16, symmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<5xi64> -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}

// -----

// Group 8 is smaller than a chunk: the element-by-element form (one
// extract of the column's word per value, no collapse).
// CHECK-LABEL: func @gather_w4_g8
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %{{.*}}: tensor<10x2xf16>, %[[I:.*]]: tensor<?xi64>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[I]] : tensor<?xi64>) outs(%{{.*}} : tensor<?x16xf16>)
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[W:.*]] = arith.divui %[[COL]], %c8
// CHECK: %[[SLOT:.*]] = arith.remui %[[COL]], %c8
// CHECK: tensor.extract %[[P]][%{{.*}}, %[[W]]] : tensor<10x2xi32>
// CHECK: arith.divui %[[COL]], %c8
// CHECK-NOT: tensor.collapse_shape
// CHECK: return %[[G]]
func.func @gather_w4_g8(%p: tensor<10x2xi32>, %s: tensor<10x2xf16>, %ids: tensor<?xi64>) -> tensor<?x16xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 8, symmetric, scale_type = f16> : tensor<10x2xi32>, tensor<10x2xf16>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
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
