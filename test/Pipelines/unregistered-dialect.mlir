// torch-mlir's linalg-on-tensors output of most transformers models holds a
// tm_tensor.scan (the mask's cumsum). qembed does not load tm_tensor: in
// generic form, with --allow-unregistered-dialect, the op is kept as it is
// while the lookup next to it is quantized and lowered.
// RUN: qembed-opt %s --allow-unregistered-dialect --quantize-embeddings="bits=4 group-size=4" --qembed-to-linalg | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --quantize-embeddings="bits=4 group-size=4" --qembed-to-linalg | FileCheck %s --check-prefix=GONE
// GONE-NOT: tensor<3x4xf32>
// GONE-NOT: qembed.
// In custom form the op cannot be parsed at all.
// RUN: sed -e 's/"tm_tensor.scan"(%ids, %init, %acc) <{dimension = 1 : i64, inclusive = true, operandSegmentSizes = array<i32: 1, 2>}> ({/tm_tensor.scan dimension(1) inclusive(true) ins(%ids : tensor<1x4xi64>) outs(%init, %acc : tensor<1x4xi64>, tensor<1xi64>) {/' %s | not qembed-opt --allow-unregistered-dialect 2>&1 | FileCheck %s --check-prefix=CUSTOM

// CUSTOM: error: Dialect `tm_tensor' not found for custom op 'tm_tensor.scan'

// CHECK-LABEL: func @forward
// CHECK: arith.constant dense<{{.*}}> : tensor<3x1xi32>
// CHECK: %{{.*}}:2 = "tm_tensor.scan"(%{{.*}}) <{dimension = 1 : i64, inclusive = true, operandSegmentSizes = array<i32: 1, 2>}> ({
// CHECK: ^bb0(%[[A:.*]]: i64, %[[B:.*]]: i64):
// CHECK:   %[[S:.*]] = arith.addi %[[A]], %[[B]] : i64
// CHECK:   "tm_tensor.yield"(%[[S]]) : (i64) -> ()
// CHECK: }) : (tensor<1x4xi64>, tensor<1x4xi64>, tensor<1xi64>) -> (tensor<1x4xi64>, tensor<1xi64>)
// CHECK: return
func.func @forward(%ids: tensor<1x4xi64>) -> (tensor<1x4xi64>, tensor<1x4x4xf32>) {
  %table = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %c0_i64 = arith.constant 0 : i64
  %e = tensor.empty() : tensor<1x4xi64>
  %init = linalg.fill ins(%c0_i64 : i64) outs(%e : tensor<1x4xi64>) -> tensor<1x4xi64>
  %e1 = tensor.empty() : tensor<1xi64>
  %acc = linalg.fill ins(%c0_i64 : i64) outs(%e1 : tensor<1xi64>) -> tensor<1xi64>
  %scan:2 = "tm_tensor.scan"(%ids, %init, %acc) <{dimension = 1 : i64, inclusive = true, operandSegmentSizes = array<i32: 1, 2>}> ({
  ^bb0(%a: i64, %b: i64):
    %s = arith.addi %a, %b : i64
    "tm_tensor.yield"(%s) : (i64) -> ()
  }) : (tensor<1x4xi64>, tensor<1x4xi64>, tensor<1xi64>) -> (tensor<1x4xi64>, tensor<1xi64>)
  %out = tensor.empty() : tensor<1x4x4xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<1x4xi64>) outs(%out : tensor<1x4x4xf32>) {
  ^bb0(%in: i64, %o: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x4xf32>
    linalg.yield %v : f32
  } -> tensor<1x4x4xf32>
  return %scan#0, %rows : tensor<1x4xi64>, tensor<1x4x4xf32>
}
