// qembed.codebook_gather and #qembed.codebook parse, verify and print back.
// RUN: qembed-opt %s --split-input-file | FileCheck %s
// RUN: qembed-opt %s --split-input-file | qembed-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func @gather
// CHECK-SAME: (%[[C:.*]]: tensor<100x6xi32>, %[[S:.*]]: tensor<100x1xf16>, %[[B:.*]]: tensor<2x2x256x8xf16>, %[[I:.*]]: tensor<?x?xi64>)
// CHECK: %[[R:.*]] = qembed.codebook_gather %[[C]][%[[I]]] scales(%[[S]]) codebooks(%[[B]]) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?x?xi64> -> tensor<?x?x96xbf16>
// CHECK: return %[[R]]
func.func @gather(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<?x?xi64>) -> tensor<?x?x96xbf16> {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?x?xi64> -> tensor<?x?x96xbf16>
  return %r : tensor<?x?x96xbf16>
}

// -----

// 5-bit codes (32 entries), 3 vectors of 4 columns: 15 bits, one word; a
// dynamic number of rows and index ids.
// CHECK-LABEL: func @dynamic_rows
// CHECK: qembed.codebook_gather {{.*}} codebook <dim = 4, entries = 32, stages = 1, groups = 3> : tensor<?x1xi32>, tensor<?x1xf32>, tensor<3x1x32x4xf32>, tensor<5xindex> -> tensor<5x12xf32>
func.func @dynamic_rows(%c: tensor<?x1xi32>, %s: tensor<?x1xf32>, %b: tensor<3x1x32x4xf32>, %ids: tensor<5xindex>) -> tensor<5x12xf32> {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 32, stages = 1, groups = 3> : tensor<?x1xi32>, tensor<?x1xf32>, tensor<3x1x32x4xf32>, tensor<5xindex> -> tensor<5x12xf32>
  return %r : tensor<5x12xf32>
}
