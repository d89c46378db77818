// Codebook VQ (format=vq) in --qembed-quantize: the rewritten IR, the
// report, tables left dense, and determinism (same seed: identical bytes;
// another seed: other codebooks).
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=vq vq-dim=4 vq-entries=4" | FileCheck %s
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=vq vq-dim=4 vq-entries=4 report=true" --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=vq vq-dim=8 vq-entries=4 vq-groups=3" --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=DENSE
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=vq vq-dim=8 vq-entries=4 vq-groups=3" 2>/dev/null | FileCheck %s --check-prefix=DENSEIR
// RUN: qembed-opt %s --split-input-file --quantize-embeddings="format=vq vq-dim=2 vq-entries=8 vq-stages=2 seed=5" --mlir-print-elementsattrs-with-hex-if-larger=0 -o %t.a
// RUN: qembed-opt %s --split-input-file --quantize-embeddings="format=vq vq-dim=2 vq-entries=8 vq-stages=2 seed=5" --mlir-print-elementsattrs-with-hex-if-larger=0 -o %t.b
// RUN: qembed-opt %s --split-input-file --quantize-embeddings="format=vq vq-dim=2 vq-entries=8 vq-stages=2 seed=6" --mlir-print-elementsattrs-with-hex-if-larger=0 -o %t.c
// RUN: cmp %t.a %t.b
// RUN: not cmp -s %t.a %t.c

// A 6x8 table, vectors of 4 columns, 4 entries (2-bit codes): 2 vectors of
// one code each = 4 bits per row, one i32 word; per-row f16 scales; one
// 1x1x4x4 codebook. The dense table is gone.
// CHECK-LABEL: func @table
// CHECK-SAME: (%[[IDS:.*]]: tensor<?xi64>)
// CHECK-NOT: tensor<6x8xf32>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<6x1xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<6x1xf16>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x4x4xf16>
// CHECK: %[[R:.*]] = qembed.codebook_gather %[[C]][%[[IDS]]] scales(%[[S]]) codebooks(%[[B]]) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<6x1xi32>, tensor<6x1xf16>, tensor<1x1x4x4xf16>, tensor<?xi64> -> tensor<?x8xf32>
// CHECK-NEXT: return %[[R]]
// REPORT: remark: quantized 6x8xf32 table with codebook VQ (dim 4, 4 entries, 1 stage(s), 1 group(s)), used by 1 lookup(s): 11.333 bits/param (codes, scales and codebooks), SQNR
// DENSE: remark: table left dense: format=vq: codebook groups 3 do not divide the 1 vectors of a row
// DENSEIR-LABEL: func @table
// DENSEIR: qembed.lookup
func.func @table(%ids: tensor<?xi64>) -> tensor<?x8xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, -1.0, -2.0, -3.0, -4.0], [0.5, 0.25, -0.5, 1.0, 2.0, 0.0, 1.0, -1.0], [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], [-2.0, 7.0, 1.0, -8.0, 2.0, 8.0, -1.0, 8.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.5, -1.5, 2.5, -2.5, 0.125, 4.0, -4.0, 0.75]]> : tensor<6x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<6x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// One table, two lookups: quantized once, both gathers read the same
// constants.
// CHECK-LABEL: func @shared
// CHECK-COUNT-3: arith.constant
// CHECK-NOT: arith.constant
// CHECK: qembed.codebook_gather %[[C:.*]][%{{.*}}] scales(%[[S:.*]]) codebooks(%[[B:.*]])
// CHECK: qembed.codebook_gather %[[C]][%{{.*}}] scales(%[[S]]) codebooks(%[[B]])
// REPORT: remark: quantized 2x8xf32 table with codebook VQ {{.*}} used by 2 lookup(s)
func.func @shared(%a: tensor<3xi32>, %b: tensor<2x2xi64>) -> (tensor<3x8xf32>, tensor<2x2x8xf32>) {
  %t = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, -2.0]]> : tensor<2x8xf32>
  %r1 = qembed.lookup %t[%a] : tensor<2x8xf32>, tensor<3xi32> -> tensor<3x8xf32>
  %r2 = qembed.lookup %t[%b] : tensor<2x8xf32>, tensor<2x2xi64> -> tensor<2x2x8xf32>
  return %r1, %r2 : tensor<3x8xf32>, tensor<2x2x8xf32>
}

// -----

// A table whose row length vq-dim does not divide stays dense (remark).
// DENSE: remark: table left dense: format=vq: vector dimension 8 does not divide the row length 12
// DENSEIR-LABEL: func @odd_row
// DENSEIR: qembed.lookup
// CHECK-LABEL: func @odd_row
// CHECK: qembed.codebook_gather {{.*}} codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<2x1xi32>
func.func @odd_row(%ids: tensor<2xi64>) -> tensor<2x12xf32> {
  %t = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, -2.0, 1.0, 2.0, 3.0, 4.0]]> : tensor<2x12xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x12xf32>, tensor<2xi64> -> tensor<2x12xf32>
  return %r : tensor<2x12xf32>
}

// -----

// A splat table is expanded (it is within max-table-bytes) and quantized.
// CHECK-LABEL: func @splat
// CHECK: qembed.codebook_gather {{.*}} : tensor<40x1xi32>, tensor<40x1xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
// REPORT: remark: quantized 40x8xf32 table with codebook VQ (dim 4, 4 entries, 1 stage(s), 1 group(s)), used by 1 lookup(s): 6.800 bits/param (codes, scales and codebooks), SQNR INF dB
func.func @splat(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense<1.5> : tensor<40x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<40x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
