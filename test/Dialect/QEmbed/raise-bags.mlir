// RUN: qembed-opt %s --split-input-file --qembed-raise-lookups="remarks=true" --verify-diagnostics | FileCheck %s

// torch.nn.EmbeddingBag(mode="sum") as torch-mlir's fx importer (and IREE's
// --compile-to=input) lower it: a generic over (bag, id, column) with a
// reduction over the ids, raised to qembed.lookup_bags; and the variants
// that are not raised, each with a remark saying why.

// CHECK-LABEL: func @bag_sum
// CHECK-SAME: (%[[IDS:.*]]: tensor<8xi64>, %[[OFF:.*]]: tensor<4xi64>)
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<10x4xf32>
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: %[[R:.*]] = qembed.lookup_bags %[[T]][%[[IDS]]] offsets(%[[OFF]]) mode(sum) : tensor<10x4xf32>, tensor<8xi64>, tensor<4xi64> -> tensor<4x4xf32>
// CHECK: return %[[R]]
func.func @bag_sum(%ids: tensor<8xi64>, %offsets: tensor<4xi64>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{embedding bag lookup (sum): 'tensor<10x4xf32>' table, ids 'tensor<8xi64>', offsets 'tensor<4xi64>'}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @bag_max
// CHECK-NOT: qembed.lookup_bags
// CHECK: linalg.generic
func.func @bag_max(%ids: tensor<8xi64>, %offsets: tensor<4xi64>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup_bags: the reduction is not an addf into the output (mode=sum); other reductions (max) are not raised}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.maximumf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @bag_weighted
// CHECK-NOT: qembed.lookup_bags
// CHECK: linalg.generic
func.func @bag_weighted(%ids: tensor<8xi64>, %offsets: tensor<4xi64>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup_bags: the summed value is not a tensor.extract from the table (per_sample_weights or another computation)}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v0 = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %v = arith.mulf %v0, %v0 : f32
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @bag_arg_table
// CHECK-NOT: qembed.lookup_bags
// CHECK: linalg.generic
func.func @bag_arg_table(%ids: tensor<8xi64>, %offsets: tensor<4xi64>, %table: tensor<10x4xf32>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup_bags: the table is not a constant defined outside the lookup}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @bag_wrong_end
// CHECK-NOT: qembed.lookup_bags
// CHECK: linalg.generic
func.func @bag_wrong_end(%ids: tensor<8xi64>, %offsets: tensor<4xi64>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup_bags: the condition is not 'offsets[b] <= i < end of bag b' (end: offsets[b + 1], the id count for the last bag)}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%c0] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @bag_init_one
// CHECK-NOT: qembed.lookup_bags
// CHECK: linalg.generic
func.func @bag_init_one(%ids: tensor<8xi64>, %offsets: tensor<4xi64>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %one = arith.constant 1.000000e+00 : f32
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %fill = linalg.fill ins(%one : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{not raised to qembed.lookup_bags: the output is not initialised with linalg.fill of +0.0}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<8xi64>, tensor<4xi64>) outs(%fill : tensor<4x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %c4_i64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<4xi64>
    %end = arith.select %last, %c8_i64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %res : tensor<4x4xf32>
}

// -----

// Fixed-size bags (2-D input [2, 4]): ids collapsed, offsets = bag * 4.
// CHECK-LABEL: func @bag_fixed
// CHECK-SAME: (%[[IDS:.*]]: tensor<2x4xi64>)
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<10x4xf32>
// CHECK: %[[OFF:.*]] = linalg.generic
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[IDS]]
// CHECK: %[[R:.*]] = qembed.lookup_bags %[[T]][%[[FLAT]]] offsets(%[[OFF]]) mode(sum) : tensor<10x4xf32>, tensor<8xi64>, tensor<2xi64> -> tensor<2x4xf32>
// CHECK: return %[[R]]
func.func @bag_fixed(%arg0: tensor<2x4xi64>) -> tensor<2x4xf32> {
  %c8_i64 = arith.constant 8 : i64
  %c4_i64 = arith.constant 4 : i64
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %c2_i64 = arith.constant 2 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %0 = tensor.empty() : tensor<2xi64>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%0 : tensor<2xi64>) {
  ^bb0(%out: i64):
    %5 = linalg.index 0 : index
    %6 = arith.index_cast %5 : index to i64
    %7 = arith.muli %6, %c4_i64 : i64
    linalg.yield %7 : i64
  } -> tensor<2xi64>
  %collapsed = tensor.collapse_shape %arg0 [[0, 1]] : tensor<2x4xi64> into tensor<8xi64>
  %2 = tensor.empty() : tensor<2x4xf32>
  %3 = linalg.fill ins(%cst : f32) outs(%2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  // expected-remark @+1 {{embedding bag lookup (sum): 'tensor<10x4xf32>' table, ids 'tensor<8xi64>', offsets 'tensor<2xi64>'}}
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%collapsed, %1 : tensor<8xi64>, tensor<2xi64>) outs(%3 : tensor<2x4xf32>) {
  ^bb0(%in: i64, %in_1: i64, %out: f32):
    %5 = linalg.index 0 : index
    %6 = arith.index_cast %5 : index to i64
    %7 = arith.addi %6, %c1_i64 : i64
    %8 = arith.index_cast %7 : i64 to index
    %9 = arith.cmpi eq, %7, %c2_i64 : i64
    %10 = arith.select %9, %c0, %8 : index
    %extracted = tensor.extract %1[%10] : tensor<2xi64>
    %11 = arith.select %9, %c8_i64, %extracted : i64
    %12 = linalg.index 1 : index
    %13 = arith.index_cast %12 : index to i64
    %14 = arith.cmpi slt, %in_1, %13 : i64
    %15 = arith.cmpi eq, %in_1, %13 : i64
    %16 = arith.ori %14, %15 : i1
    %17 = arith.cmpi slt, %13, %11 : i64
    %18 = arith.andi %16, %17 : i1
    %19 = arith.index_cast %in : i64 to index
    %20 = linalg.index 2 : index
    %extracted_2 = tensor.extract %table[%19, %20] : tensor<10x4xf32>
    %21 = arith.addf %extracted_2, %out : f32
    %22 = arith.select %18, %21, %out : f32
    linalg.yield %22 : f32
  } -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Dynamic ids and offsets: the id and bag counts come from tensor.dim.
// CHECK-LABEL: func @bag_dynamic
// CHECK-SAME: (%[[IDS:.*]]: tensor<?xi64>, %[[OFF:.*]]: tensor<?xi64>)
// CHECK: %[[R:.*]] = qembed.lookup_bags %{{.*}}[%[[IDS]]] offsets(%[[OFF]]) mode(sum) : tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64> -> tensor<?x4xf32>
// CHECK: return %[[R]]
func.func @bag_dynamic(%ids: tensor<?xi64>, %offsets: tensor<?xi64>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %c1_i64 = arith.constant 1 : i64
  %table = arith.constant dense<[[0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0], [5.0, 6.0, 7.0, 8.0], [6.0, 7.0, 8.0, 9.0], [7.0, 8.0, 9.0, 10.0], [8.0, 9.0, 10.0, 11.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<10x4xf32>
  %n = tensor.dim %ids, %c0 : tensor<?xi64>
  %nb = tensor.dim %offsets, %c0 : tensor<?xi64>
  %n64 = arith.index_cast %n : index to i64
  %nb64 = arith.index_cast %nb : index to i64
  %e = tensor.empty(%nb) : tensor<?x4xf32>
  %fill = linalg.fill ins(%cst : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  // expected-remark @+1 {{embedding bag lookup (sum): 'tensor<10x4xf32>' table, ids 'tensor<?xi64>', offsets 'tensor<?xi64>'}}
  %res = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%ids, %offsets : tensor<?xi64>, tensor<?xi64>) outs(%fill : tensor<?x4xf32>) {
  ^bb0(%in: i64, %off: i64, %out: f32):
    %b = linalg.index 0 : index
    %b64 = arith.index_cast %b : index to i64
    %b1 = arith.addi %b64, %c1_i64 : i64
    %b1i = arith.index_cast %b1 : i64 to index
    %last = arith.cmpi eq, %b1, %nb64 : i64
    %nidx = arith.select %last, %c0, %b1i : index
    %next = tensor.extract %offsets[%nidx] : tensor<?xi64>
    %end = arith.select %last, %n64, %next : i64
    %i = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %lt = arith.cmpi slt, %off, %i64 : i64
    %eq = arith.cmpi eq, %off, %i64 : i64
    %ge = arith.ori %lt, %eq : i1
    %before = arith.cmpi slt, %i64, %end : i64
    %inbag = arith.andi %ge, %before : i1
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<10x4xf32>
    %sum = arith.addf %v, %out : f32
    %r = arith.select %inbag, %sum, %out : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %res : tensor<?x4xf32>
}
