// A table whose row length the group size does not divide stays dense with
// a remark on its constant; its lookup is kept, the other table is
// quantized and the pass succeeds.
// RUN: qembed-opt %s --qembed-quantize="bits=4 group-size=8" --verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --quantize-embeddings="bits=4 group-size=8" --verify-diagnostics | FileCheck %s
// RUN: not qembed-opt %s --qembed-quantize="min-rows=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not qembed-opt %s --qembed-quantize="min-table-bytes=-5" 2>&1 | FileCheck %s --check-prefix=NEG2

// NEG: error: invalid options: min-table-bytes and min-rows must be >= 0, got min-table-bytes=0 min-rows=-1
// NEG2: error: invalid options: min-table-bytes and min-rows must be >= 0, got min-table-bytes=-5 min-rows=0

// CHECK-LABEL: func @two_tables
// CHECK-DAG: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<2x12xf32>
// CHECK-DAG: qembed.lookup %[[T]]
// CHECK-DAG: qembed.gather {{.*}} scheme <bits = 4, group_size = 8
// CHECK-NOT: tensor<4x16xf32>
func.func @two_tables(%ids: tensor<3xi64>) -> (tensor<3x12xf32>, tensor<3x16xf32>) {
  // expected-remark @+1 {{table left dense: group-size 8 does not divide its row length 12 (choose a group size dividing it, or 0 for one scale per row)}}
  %a = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]]> : tensor<2x12xf32>
  %b = arith.constant dense<1.5> : tensor<4x16xf32>
  %ra = qembed.lookup %a[%ids] : tensor<2x12xf32>, tensor<3xi64> -> tensor<3x12xf32>
  %rb = qembed.lookup %b[%ids] : tensor<4x16xf32>, tensor<3xi64> -> tensor<3x16xf32>
  return %ra, %rb : tensor<3x12xf32>, tensor<3x16xf32>
}
