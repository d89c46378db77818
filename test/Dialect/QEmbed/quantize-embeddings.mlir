// RUN: qembed-opt %s --quantize-embeddings | FileCheck %s --check-prefix=DEFAULT
// RUN: qembed-opt %s --quantize-embeddings="bits=8 group-size=0 scale-type=f16" | FileCheck %s --check-prefix=W8
// RUN: qembed-opt %s --quantize-embeddings="bits=2 group-size=32 symmetric=false" | FileCheck %s --check-prefix=W2

// Rows: 1..64, two random rows, an all-zero row (eps scale).
// The Torch-MLIR form goes straight to a gather over packed constants; the
// dense table, the generic and its bounds checks are gone.
// Defaults: 4 bits, group 64, symmetric, scales in the table type.
// DEFAULT-LABEL: func @forward
// DEFAULT-SAME: (%[[IDS:.*]]: tensor<?x?xi64>)
// DEFAULT-DAG: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<4x8xi32>
// DEFAULT-DAG: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<4x1xf32>
// DEFAULT: %[[R:.*]] = qembed.gather %[[P]][%[[IDS]]] scales(%[[S]]) scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> : tensor<4x8xi32>, tensor<4x1xf32>, tensor<?x?xi64> -> tensor<?x?x64xf32>
// DEFAULT-NOT: linalg.generic
// DEFAULT-NOT: cf.assert
// DEFAULT-NOT: tensor<4x64xf32>
// DEFAULT: return %[[R]]
// W8-DAG: arith.constant dense<{{.*}}> : tensor<4x16xi32>
// W8-DAG: arith.constant dense<{{.*}}> : tensor<4x1xf16>
// W8: qembed.gather {{.*}} scheme <bits = 8, group_size = 0, symmetric, scale_type = f16>
// W2-DAG: arith.constant dense<{{.*}}> : tensor<4x4xi32>
// W2-DAG: arith.constant dense<{{.*}}> : tensor<4x2xf32>
// W2-DAG: arith.constant dense<{{.*}}> : tensor<4x2xi8>
// W2: qembed.gather {{.*}} zero_points({{.*}}) scheme <bits = 2, group_size = 32, asymmetric, scale_type = f32>
func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x64xf32> {
  %table = arith.constant dense<"0x0000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C4200007042000074420000784200007C42000080420000804000000000000000410000803F00000041000000410000A04000004040000040C000000040000000BF0000A040000040C0000080BF000000C00000803F00000040000000BF0000C03F00004040000000C000008040000000BF000040C000000041000000BF0000C03F00000000000080BF0000C03F000080BF000000C0000080BF000080400000804000000040000080BF000080BF000040C0000040C0000000BF000000BF000080BF000080BF000000000000803F000000BF000040400000A0400000A040000000BF000080BF00000041000000BF0000C03F00000000000040C00000803F0000C03F000080BF000080BF00000000000000C00000803F000000000000804000008040000040C0000080400000A040000000410000803F000000C0000000000000803F0000000000000040000000410000803F000080BF000000400000004000000041000080BF000040C000000000000040C0000000410000803F0000C03F000040C0000040400000C03F0000803F0000C03F00008040000040C000000040000040C000000041000080BF00008040000000BF000000C0000000BF000000400000803F000040400000803F000040400000000000000040000000C000008040000000410000803F00000000000040C00000C03F000000C0000000BF0000803F00004040000080400000803F000080BF0000803F0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"> : tensor<4x64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4_i64 = arith.constant 4 : i64
  %c0_i64 = arith.constant 0 : i64
  %d0 = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %d1 = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %init = tensor.empty(%d0, %d1) : tensor<?x?x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<?x?xi64>) outs(%init : tensor<?x?x64xf32>) {
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %lt = arith.cmpi slt, %in, %c4_i64 : i64
    cf.assert %lt, "index must be smaller than dim size"
    %ge = arith.cmpi sge, %in, %c0_i64 : i64
    cf.assert %ge, "index must be larger or equal to 0"
    %v = tensor.extract %table[%row, %col] : tensor<4x64xf32>
    linalg.yield %v : f32
  } -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}
