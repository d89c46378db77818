// RUN: qembed-opt %s --split-input-file --qembed-raise-lookups="remarks=true" --verify-diagnostics | FileCheck %s

// Torch-MLIR aten.embedding: ids-only input, table from the enclosing scope,
// bounds asserts, dynamic dims, result wrapped in tensor.cast.
// CHECK-LABEL: func @torch_embedding
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi64>)
func.func @torch_embedding(%ids: tensor<?x?xi64>) -> tensor<?x?x?xf32> {
  // CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<3x4xf32>
  %table = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3_i64 = arith.constant 3 : i64
  %c0_i64 = arith.constant 0 : i64
  %d0 = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %d1 = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %init = tensor.empty(%d0, %d1) : tensor<?x?x4xf32>
  // CHECK-NOT: linalg.generic
  // CHECK: %[[R:.*]] = qembed.lookup %[[T]][%[[IDS]]] : tensor<3x4xf32>, tensor<?x?xi64> -> tensor<?x?x4xf32>
  // expected-remark @+1 {{embedding lookup: 'tensor<3x4xf32>' table, ids 'tensor<?x?xi64>'}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<?x?xi64>) outs(%init : tensor<?x?x4xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %lt = arith.cmpi slt, %in, %c3_i64 : i64
    cf.assert %lt, "index must be smaller than dim size"
    %ge = arith.cmpi sge, %in, %c0_i64 : i64
    cf.assert %ge, "index must be larger or equal to 0"
    %v = tensor.extract %table[%row, %col] : tensor<3x4xf32>
    linalg.yield %v : f32
  } -> tensor<?x?x4xf32>
  // CHECK: %[[C:.*]] = tensor.cast %[[R]]
  // CHECK: return %[[C]]
  %cast = tensor.cast %0 : tensor<?x?x4xf32> to tensor<?x?x?xf32>
  return %cast : tensor<?x?x?xf32>
}

// -----

// aten.index_select on dim 0: 1-D ids, no asserts.
// CHECK-LABEL: func @index_select
func.func @index_select(%ids: tensor<5xi32>) -> tensor<5x2xbf16> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xbf16>
  %init = tensor.empty() : tensor<5x2xbf16>
  // CHECK: qembed.lookup %{{.*}}[%{{.*}}] : tensor<2x2xbf16>, tensor<5xi32> -> tensor<5x2xbf16>
  // expected-remark @+1 {{embedding lookup}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<5xi32>) outs(%init : tensor<5x2xbf16>) {
  ^bb0(%in: i32, %out: bf16):
    %row = arith.index_cast %in : i32 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xbf16>
    linalg.yield %v : bf16
  } -> tensor<5x2xbf16>
  return %0 : tensor<5x2xbf16>
}

// -----

// tensor.gather, rank-reduced and with the unit dimension kept.
// CHECK-LABEL: func @tensor_gather
// CHECK-SAME: (%[[I:.*]]: tensor<?x1xindex>, %[[J:.*]]: tensor<2x3x1xi64>)
func.func @tensor_gather(%i: tensor<?x1xindex>, %j: tensor<2x3x1xi64>) -> (tensor<?x2xf16>, tensor<2x3x1x2xf16>) {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>
  // CHECK: %[[I1:.*]] = tensor.collapse_shape %[[I]] {{\[\[}}0, 1]] : tensor<?x1xindex> into tensor<?xindex>
  // CHECK: %[[A:.*]] = qembed.lookup %{{.*}}[%[[I1]]] : tensor<2x2xf16>, tensor<?xindex> -> tensor<?x2xf16>
  // expected-remark @+1 {{embedding lookup}}
  %a = tensor.gather %table[%i] gather_dims([0]) : (tensor<2x2xf16>, tensor<?x1xindex>) -> tensor<?x2xf16>
  // CHECK: %[[J1:.*]] = tensor.collapse_shape %[[J]] {{\[\[}}0], [1, 2]] : tensor<2x3x1xi64> into tensor<2x3xi64>
  // CHECK: %[[B:.*]] = qembed.lookup %{{.*}}[%[[J1]]] : tensor<2x2xf16>, tensor<2x3xi64> -> tensor<2x3x2xf16>
  // CHECK: %[[B1:.*]] = tensor.expand_shape %[[B]] {{\[\[}}0], [1], [2, 3]] output_shape [2, 3, 1, 2]
  // expected-remark @+1 {{embedding lookup}}
  %b = tensor.gather %table[%j] gather_dims([0]) : (tensor<2x2xf16>, tensor<2x3x1xi64>) -> tensor<2x3x1x2xf16>
  // CHECK: return %[[A]], %[[B1]]
  return %a, %b : tensor<?x2xf16>, tensor<2x3x1x2xf16>
}

// -----

// Transposed access: table[col, id].
// CHECK-LABEL: func @transposed
func.func @transposed(%ids: tensor<4xi64>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // CHECK: linalg.generic
  // expected-remark @+1 {{not raised to qembed.lookup: the row index is not the id read from the ids input}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%col, %row] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// The body does more than a lookup.
// CHECK-LABEL: func @other_work
func.func @other_work(%ids: tensor<4xi64>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // CHECK: linalg.generic
  // expected-remark @+1 {{not raised to qembed.lookup: the body does not yield a tensor.extract}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    %w = arith.mulf %v, %v : f32
    linalg.yield %w : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Side effects that are not yielded still disqualify the body.
func.func private @log(i64)
func.func @side_work(%ids: tensor<4xi64>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the body does other work ('func.call')}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    func.call @log(%in) : (i64) -> ()
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// A table that is not a constant (a function argument).
// CHECK-LABEL: func @argument_table
func.func @argument_table(%table: tensor<2x2xf32>, %ids: tensor<4xi64>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %init = tensor.empty() : tensor<4x2xf32>
  // CHECK: linalg.generic
  // expected-remark @+1 {{not raised to qembed.lookup: the table is not a constant}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %i = tensor.expand_shape %ids [[0, 1]] output_shape [4, 1] : tensor<4xi64> into tensor<4x1xi64>
  // CHECK: tensor.gather
  // expected-remark @+1 {{not raised to qembed.lookup: the table is not a constant}}
  %1 = tensor.gather %table[%i] gather_dims([0]) : (tensor<2x2xf32>, tensor<4x1xi64>) -> tensor<4x2xf32>
  return %0, %1 : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Gathering columns (gather_dims [1]) is not a row lookup.
func.func @gather_columns(%i: tensor<4x1xindex>) -> tensor<2x4xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: gather_dims is not [0]}}
  %0 = tensor.gather %table[%i] gather_dims([1]) : (tensor<2x2xf32>, tensor<4x1xindex>) -> tensor<4x2x1xf32>
  %1 = tensor.collapse_shape %0 [[0], [1, 2]] : tensor<4x2x1xf32> into tensor<4x2xf32>
  %2 = tensor.empty() : tensor<2x4xf32>
  %3 = linalg.transpose ins(%1 : tensor<4x2xf32>) outs(%2 : tensor<2x4xf32>) permutation = [1, 0]
  return %3 : tensor<2x4xf32>
}

// -----

// The ids map does not drop the last loop (a broadcast over a wrong dim).
func.func @wrong_ids_map(%ids: tensor<2xi64>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the ids indexing map does not drop exactly the last loop}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<2xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Column index that is not the last loop.
func.func @wrong_column(%ids: tensor<2xi64>) -> tensor<2x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the column index is not linalg.index of the last loop}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<2xi64>) outs(%init : tensor<2x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 0 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
