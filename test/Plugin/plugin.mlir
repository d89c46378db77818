// Upstream mlir-opt loads the dialect and the passes from one plugin.
// RUN: %preload_sanitizer mlir-opt %s --load-dialect-plugin=%qembed_plugin --load-pass-plugin=%qembed_plugin --pass-pipeline="builtin.module(quantize-embeddings{bits=8 group-size=0})" | FileCheck %s
// RUN: %preload_sanitizer mlir-opt %s --load-dialect-plugin=%qembed_plugin --load-pass-plugin=%qembed_plugin --pass-pipeline="builtin.module(quantize-embeddings{bits=8 group-size=0}, qembed-to-linalg)" | FileCheck %s --check-prefix=LINALG

// CHECK-LABEL: func @forward
// CHECK: qembed.gather {{.*}} scheme <bits = 8, group_size = 0, symmetric, scale_type = f32> : tensor<3x2xi32>, tensor<3x1xf32>, tensor<4xi64> -> tensor<4x8xf32>
// LINALG-LABEL: func @forward
// LINALG-NOT: qembed.
// LINALG: linalg.generic
// LINALG: tensor.extract %{{.*}} : tensor<3x2xi32>
func.func @forward(%ids: tensor<4xi64>) -> tensor<4x8xf32> {
  %table = arith.constant dense<[[1.0, -2.0, 3.0, 4.0, 0.5, 0.25, -7.5, 2.0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25]]> : tensor<3x8xf32>
  %init = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
