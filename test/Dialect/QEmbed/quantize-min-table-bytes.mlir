// min-table-bytes: a 96-byte table stays dense with a remark, the 256-byte
// one is quantized; a table of exactly min-table-bytes is quantized. The
// pipeline forwards the option.
// RUN: qembed-opt %s --qembed-quantize="group-size=0 min-table-bytes=97" --verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --quantize-embeddings="group-size=0 min-table-bytes=97" --verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --qembed-quantize="group-size=0 min-table-bytes=96" | FileCheck %s --check-prefix=ALL

// CHECK-LABEL: func @two_tables
// CHECK: qembed.lookup %{{.*}} : tensor<2x12xf32>
// CHECK: qembed.gather {{.*}} : tensor<4x2xi32>
// ALL-NOT: qembed.lookup
// ALL-COUNT-2: qembed.gather
func.func @two_tables(%ids: tensor<3xi64>) -> (tensor<3x12xf32>, tensor<3x16xf32>) {
  // expected-remark @+1 {{table left dense: it takes 96 bytes, fewer than min-table-bytes=97}}
  %a = arith.constant dense<2.0> : tensor<2x12xf32>
  %b = arith.constant dense<1.5> : tensor<4x16xf32>
  %ra = qembed.lookup %a[%ids] : tensor<2x12xf32>, tensor<3xi64> -> tensor<3x12xf32>
  %rb = qembed.lookup %b[%ids] : tensor<4x16xf32>, tensor<3xi64> -> tensor<3x16xf32>
  return %ra, %rb : tensor<3x12xf32>, tensor<3x16xf32>
}
