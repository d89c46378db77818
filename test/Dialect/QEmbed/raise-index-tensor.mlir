// Torch-MLIR's aten.index.Tensor lowering (`weight[ids]`), as torch-mlir
// 20261001's fx importer prints it for ids of shape [1, 3]: the ids map
// holds the constant 0 for the unit dimension and the body wraps negative
// ids (`id < 0 ? id + 16 : id`) before the extract. The wrap is kept as a
// linalg.generic on the ids feeding the lookup.
// RUN: qembed-opt %s --split-input-file --qembed-raise-lookups="remarks=true" --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @index_tensor
// CHECK-SAME: (%[[IDS:.*]]: tensor<1x3xi64>)
// CHECK-DAG: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<16x8xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[V:.*]] = arith.constant 16 : i64
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x3xi64>
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[IDS]] : tensor<1x3xi64>) outs(%[[E]] : tensor<1x3xi64>)
// CHECK: ^bb0(%[[IN:.*]]: i64, %{{.*}}: i64):
// CHECK:   %[[NEG:.*]] = arith.cmpi slt, %[[IN]], %[[Z]] : i64
// CHECK:   %[[ADD:.*]] = arith.addi %[[IN]], %[[V]] : i64
// CHECK:   %[[SEL:.*]] = arith.select %[[NEG]], %[[ADD]], %[[IN]] : i64
// CHECK:   linalg.yield %[[SEL]] : i64
// CHECK: qembed.lookup %[[T]][%[[W]]] : tensor<16x8xf32>, tensor<1x3xi64> -> tensor<1x3x8xf32>
func.func @index_tensor(%arg0: tensor<1x3xi64>) -> tensor<1x3x8xf32> {
  %cst = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0], [48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0], [56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0], [72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0], [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0], [88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0], [104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0], [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0], [120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]> : tensor<16x8xf32>
  %c0_i64 = arith.constant 0 : i64
  %c16_i64 = arith.constant 16 : i64
  %0 = tensor.empty() : tensor<1x3x8xf32>
  // expected-remark @+1 {{embedding lookup: 'tensor<16x8xf32>' table, ids 'tensor<1x3xi64>'}}
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x3xi64>) outs(%0 : tensor<1x3x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %2 = arith.cmpi slt, %in, %c0_i64 : i64
    %3 = arith.addi %in, %c16_i64 : i64
    %4 = arith.select %2, %3, %in : i64
    %5 = arith.index_cast %4 : i64 to index
    %6 = linalg.index 2 : index
    %extracted = tensor.extract %cst[%5, %6] : tensor<16x8xf32>
    linalg.yield %extracted : f32
  } -> tensor<1x3x8xf32>
  return %1 : tensor<1x3x8xf32>
}

// -----

// Dynamic ids, i32, the constant on the left of the addition.
// CHECK-LABEL: func @index_tensor_dynamic
// CHECK: %[[D0:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[D1:.*]] = tensor.dim %{{.*}}, %c1
// CHECK: tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xi32>
// CHECK: arith.addi %{{.*}}, %c4_i32 : i32
// CHECK: qembed.lookup {{.*}} : tensor<4x2xbf16>, tensor<?x?xi32> -> tensor<?x?x2xbf16>
func.func @index_tensor_dynamic(%ids: tensor<?x?xi32>, %init: tensor<?x?x2xbf16>) -> tensor<?x?x2xbf16> {
  %cst = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xbf16>
  %c0 = arith.constant 0 : i32
  %c4 = arith.constant 4 : i32
  // expected-remark @+1 {{embedding lookup}}
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<?x?xi32>) outs(%init : tensor<?x?x2xbf16>) {
  ^bb0(%in: i32, %out: bf16):
    %2 = arith.cmpi slt, %in, %c0 : i32
    %3 = arith.addi %c4, %in : i32
    %4 = arith.select %2, %3, %in : i32
    %5 = arith.index_cast %4 : i32 to index
    %6 = linalg.index 2 : index
    %extracted = tensor.extract %cst[%5, %6] : tensor<4x2xbf16>
    linalg.yield %extracted : bf16
  } -> tensor<?x?x2xbf16>
  return %1 : tensor<?x?x2xbf16>
}

// -----

// A wrap by another count than the table's rows is another computation.
// CHECK-LABEL: func @wrong_count
// CHECK: linalg.generic
// CHECK-NOT: qembed.lookup
func.func @wrong_count(%arg0: tensor<3xi64>) -> tensor<3x8xf32> {
  %cst = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0], [48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0], [56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0], [72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0], [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0], [88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0], [104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0], [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0], [120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]> : tensor<16x8xf32>
  %c0_i64 = arith.constant 0 : i64
  %c15_i64 = arith.constant 15 : i64
  %0 = tensor.empty() : tensor<3x8xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the negative-id wrap adds 15 to negative ids, not the table's 16 rows}}
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<3xi64>) outs(%0 : tensor<3x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %2 = arith.cmpi slt, %in, %c0_i64 : i64
    %3 = arith.addi %in, %c15_i64 : i64
    %4 = arith.select %2, %3, %in : i64
    %5 = arith.index_cast %4 : i64 to index
    %6 = linalg.index 1 : index
    %extracted = tensor.extract %cst[%5, %6] : tensor<16x8xf32>
    linalg.yield %extracted : f32
  } -> tensor<3x8xf32>
  return %1 : tensor<3x8xf32>
}

// -----

// A select on another condition (ids >= 0) is not the wrap.
// CHECK-LABEL: func @other_select
// CHECK-NOT: qembed.lookup
func.func @other_select(%arg0: tensor<3xi64>) -> tensor<3x8xf32> {
  %cst = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0], [48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0], [56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0], [72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0], [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0], [88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0], [104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0], [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0], [120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]> : tensor<16x8xf32>
  %c0_i64 = arith.constant 0 : i64
  %c16_i64 = arith.constant 16 : i64
  %0 = tensor.empty() : tensor<3x8xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the row index is a select that is not the negative-id wrap (its condition is not 'id < 0')}}
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<3xi64>) outs(%0 : tensor<3x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %2 = arith.cmpi sge, %in, %c0_i64 : i64
    %3 = arith.addi %in, %c16_i64 : i64
    %4 = arith.select %2, %3, %in : i64
    %5 = arith.index_cast %4 : i64 to index
    %6 = linalg.index 1 : index
    %extracted = tensor.extract %cst[%5, %6] : tensor<16x8xf32>
    linalg.yield %extracted : f32
  } -> tensor<3x8xf32>
  return %1 : tensor<3x8xf32>
}

// -----

// The constant 0 in the ids map broadcasts a unit dimension of the ids over
// an output dimension of 2: not a lookup of each id.
// CHECK-LABEL: func @broadcast_ids
// CHECK-NOT: qembed.lookup
func.func @broadcast_ids(%arg0: tensor<1x3xi64>) -> tensor<2x3x8xf32> {
  %cst = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0], [48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0], [56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0], [72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0], [80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0], [88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0], [104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0], [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0], [120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]> : tensor<16x8xf32>
  %0 = tensor.empty() : tensor<2x3x8xf32>
  // expected-remark @+1 {{not raised to qembed.lookup: the ids indexing map does not drop exactly the last loop}}
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x3xi64>) outs(%0 : tensor<2x3x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %5 = arith.index_cast %in : i64 to index
    %6 = linalg.index 2 : index
    %extracted = tensor.extract %cst[%5, %6] : tensor<16x8xf32>
    linalg.yield %extracted : f32
  } -> tensor<2x3x8xf32>
  return %1 : tensor<2x3x8xf32>
}
