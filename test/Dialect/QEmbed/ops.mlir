// RUN: qembed-opt %s | qembed-opt | FileCheck %s
// RUN: qembed-opt %s --mlir-print-op-generic | qembed-opt | FileCheck %s

// CHECK-LABEL: func @lookup
// CHECK-SAME: (%[[T:.*]]: tensor<100x16xf32>, %[[I:.*]]: tensor<?x?xi64>)
func.func @lookup(%t: tensor<100x16xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  // CHECK: qembed.lookup %[[T]][%[[I]]] : tensor<100x16xf32>, tensor<?x?xi64> -> tensor<?x?x16xf32>
  %0 = qembed.lookup %t[%ids] : tensor<100x16xf32>, tensor<?x?xi64> -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// CHECK-LABEL: func @quantize_pack_gather
func.func @quantize_pack_gather(%t: tensor<100x128xbf16>, %ids: tensor<7xindex>) -> tensor<7x128xbf16> {
  // CHECK: %[[C:.*]], %[[S:.*]] = qembed.quantize %{{.*}} scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x128xbf16> -> tensor<100x128xi8>, tensor<100x2xbf16>
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x128xbf16> -> tensor<100x128xi8>, tensor<100x2xbf16>
  // CHECK: %[[P:.*]] = qembed.pack %[[C]] scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x128xi8> -> tensor<100x16xi32>
  %p = qembed.pack %c scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x128xi8> -> tensor<100x16xi32>
  // CHECK: qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x16xi32>, tensor<100x2xbf16>, tensor<7xindex> -> tensor<7x128xbf16>
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x16xi32>, tensor<100x2xbf16>, tensor<7xindex> -> tensor<7x128xbf16>
  return %r : tensor<7x128xbf16>
}

// CHECK-LABEL: func @asymmetric
func.func @asymmetric(%t: tensor<?x40xf16>, %ids: tensor<3xi32>) -> (tensor<3x40xf32>, tensor<?x40xf16>) {
  // CHECK: %{{.*}}, %[[S:.*]], %[[Z:.*]] = qembed.quantize %{{.*}} scheme <bits = 5, group_size = 0, asymmetric, scale_type = f32> : tensor<?x40xf16> -> tensor<?x40xi8>, tensor<?x1xf32>, tensor<?x1xi8>
  %c, %s, %z = qembed.quantize %t scheme <bits = 5, group_size = 0, asymmetric, scale_type = f32> : tensor<?x40xf16> -> tensor<?x40xi8>, tensor<?x1xf32>, tensor<?x1xi8>
  // 40 codes of 5 bits: 200 bits -> 7 words.
  // CHECK: qembed.pack {{.*}} -> tensor<?x7xi32>
  %p = qembed.pack %c scheme <bits = 5, group_size = 0, asymmetric, scale_type = f32> : tensor<?x40xi8> -> tensor<?x7xi32>
  // CHECK: qembed.gather %{{.*}} scales(%[[S]]) zero_points(%[[Z]]) {{.*}} : tensor<?x7xi32>, tensor<?x1xf32>, tensor<3xi32>, tensor<?x1xi8> -> tensor<3x40xf32>
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 5, group_size = 0, asymmetric, scale_type = f32> : tensor<?x7xi32>, tensor<?x1xf32>, tensor<3xi32>, tensor<?x1xi8> -> tensor<3x40xf32>
  // CHECK: qembed.dequantize %{{.*}} scales(%[[S]]) zero_points(%[[Z]]) {{.*}} : tensor<?x7xi32>, tensor<?x1xf32>, tensor<?x1xi8> -> tensor<?x40xf16>
  %d = qembed.dequantize %p scales(%s) zero_points(%z) scheme <bits = 5, group_size = 0, asymmetric, scale_type = f32> : tensor<?x7xi32>, tensor<?x1xf32>, tensor<?x1xi8> -> tensor<?x40xf16>
  return %r, %d : tensor<3x40xf32>, tensor<?x40xf16>
}

// CHECK-LABEL: func @buffer_gather
// CHECK: qembed.buffer_gather %{{.*}}[%{{.*}}] scales(%{{.*}}) zero_points(%{{.*}}) into %{{.*}} scheme <bits = 4, group_size = 32, asymmetric, scale_type = f16> : memref<?x8xi32>, memref<?x2xf16>, memref<4x?xi64>, memref<4x?x64xf16>, memref<?x2xi8>
func.func @buffer_gather(%p: memref<?x8xi32>, %s: memref<?x2xf16>, %z: memref<?x2xi8>, %ids: memref<4x?xi64>, %out: memref<4x?x64xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) zero_points(%z) into %out scheme <bits = 4, group_size = 32, asymmetric, scale_type = f16> : memref<?x8xi32>, memref<?x2xf16>, memref<4x?xi64>, memref<4x?x64xf16>, memref<?x2xi8>
  return
}
