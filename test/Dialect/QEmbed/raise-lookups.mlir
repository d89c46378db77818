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
  // expected-remark @+1 {{not raised to qembed.lookup: the table is not a constant defined outside the lookup}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %i = tensor.expand_shape %ids [[0, 1]] output_shape [4, 1] : tensor<4xi64> into tensor<4x1xi64>
  // CHECK: tensor.gather
  // expected-remark @+1 {{not raised to qembed.lookup: the table is not a constant defined outside the lookup}}
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

// -----

// Torch-MLIR-shaped, but reading 8 of the table's 16 columns: raising it
// would return whole rows (it used to be raised and then fail verification
// with "result row length 8 does not match the table's 16").
// CHECK-LABEL: func @column_slice
// CHECK-NOT: qembed.lookup
// CHECK: linalg.generic
func.func @column_slice(%ids: tensor<4xi64>) -> tensor<4x8xf32> {
  %table = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<2x16xf32>
  %init = tensor.empty() : tensor<4x8xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the output row length 8 differs from the table's 16 columns (a slice of the columns)}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x16xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A dynamic column count: the row length is only known at run time.
// CHECK-LABEL: func @dynamic_columns
// CHECK-NOT: qembed.lookup
// CHECK: linalg.generic
func.func @dynamic_columns(%ids: tensor<4xi64>, %n: index) -> tensor<4x?xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty(%n) : tensor<4x?xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the output row length is dynamic; the table has 2 columns}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x?xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// A table of one column (D=1): the column index folds to a constant and a
// packed table would be larger than the dense one; left alone, with a
// remark saying so (it used to be left dense without one).
// CHECK-LABEL: func @single_column
// CHECK-NOT: qembed.lookup
// CHECK: linalg.generic
// CHECK: tensor.gather
func.func @single_column(%ids: tensor<4xi64>, %i: tensor<4x1xindex>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %table = arith.constant dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>
  %init = tensor.empty() : tensor<4x1xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the table has a single column: packed words and a scale per row would take more memory than the dense table}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x1xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x1xf32>
    linalg.yield %v : f32
  } -> tensor<4x1xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the table has a single column}}
  %1 = tensor.gather %table[%i] gather_dims([0]) : (tensor<3x1xf32>, tensor<4x1xindex>) -> tensor<4x1xf32>
  return %0, %1 : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// Tables that are not 2-D float tensors.
func.func @not_a_float_matrix(%i: tensor<4x1xindex>) -> (tensor<4x2x2xf32>, tensor<4x2xi32>) {
  %cube = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the table is not a 2-D tensor}}
  %0 = tensor.gather %cube[%i] gather_dims([0]) : (tensor<2x2x2xf32>, tensor<4x1xindex>) -> tensor<4x2x2xf32>
  %ints = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  // expected-remark @+1 {{not raised to qembed.lookup: the table element type is not f32, f16 or bf16}}
  %1 = tensor.gather %ints[%i] gather_dims([0]) : (tensor<2x2xi32>, tensor<4x1xindex>) -> tensor<4x2xi32>
  return %0, %1 : tensor<4x2x2xf32>, tensor<4x2xi32>
}

// -----

// Indices of rank 1 gather one row of all columns: not shaped [..., 1].
func.func @gather_one_point(%i: tensor<1xindex>) -> tensor<2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the indices are not shaped [..., 1]}}
  %0 = tensor.gather %table[%i] gather_dims([0]) unique : (tensor<2x2xf32>, tensor<1xindex>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Two inputs (ids and a bias).
func.func @two_inputs(%ids: tensor<4xi64>, %bias: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: expected one input (the ids) and one output}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids, %bias : tensor<4xi64>, tensor<4x2xf32>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: i64, %b: f32, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Buffer semantics: no tensor result to replace.
func.func @on_buffers(%ids: memref<4xi64>, %out: memref<4x2xf32>) {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the output is not a tensor (buffer semantics)}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : memref<4xi64>) outs(%out : memref<4x2xf32>) {
  ^bb0(%in: i64, %o: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  }
  return
}

// -----

// No loops (0-d ids and output).
func.func @no_loops(%ids: tensor<i64>) -> tensor<f32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<f32>
  // expected-remark @+1 {{not raised to qembed.lookup: the generic has no loops}}
  %0 = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%ids : tensor<i64>) outs(%init : tensor<f32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %v = tensor.extract %table[%row, %row] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A reduction loop.
func.func @reduction(%ids: tensor<4x2xi64>) -> tensor<4xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: not all loops are parallel}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%ids : tensor<4x2xi64>) outs(%init : tensor<4xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A transposed output map.
func.func @transposed_output(%ids: tensor<4xi64>) -> tensor<2x4xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the output indexing map is not the identity}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Float "ids".
func.func @float_ids(%ids: tensor<4xf32>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %init = tensor.empty() : tensor<4x2xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the ids are not integers}}
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xf32>) outs(%init : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = arith.fptosi %in : f32 to i64
    %row = arith.index_cast %i : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
