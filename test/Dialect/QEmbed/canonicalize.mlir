// RUN: qembed-opt %s --split-input-file --canonicalize | FileCheck %s

// quantize + pack of a constant fold to packed words and scales, with the
// same numerics as --qembed-quantize (hand-checked bf16 group 0xBA886A0F).
// CHECK-LABEL: func @fold_quantize_pack
// CHECK-DAG: %[[P:.*]] = arith.constant dense<-1165465073> : tensor<1x1xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<1x1xbf16>
// CHECK-NOT: qembed.quantize
// CHECK-NOT: qembed.pack
// CHECK: return %[[P]], %[[S]]
func.func @fold_quantize_pack() -> (tensor<1x1xi32>, tensor<1x1xbf16>) {
  %t = arith.constant dense<[[7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25]]> : tensor<1x8xbf16>
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<1x8xbf16> -> tensor<1x8xi8>, tensor<1x1xbf16>
  %p = qembed.pack %c scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<1x8xi8> -> tensor<1x1xi32>
  return %p, %s : tensor<1x1xi32>, tensor<1x1xbf16>
}

// -----

// The codes themselves fold too (and asymmetric zero points).
// CHECK-LABEL: func @fold_codes_asym
// CHECK-DAG: arith.constant dense<{{\[}}[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<1x16xi8>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<1x1xf32>
// CHECK-DAG: arith.constant dense<-8> : tensor<1x1xi8>
func.func @fold_codes_asym() -> (tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>) {
  %t = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<1x16xf32>
  %c, %s, %z = qembed.quantize %t scheme <bits = 4, group_size = 0, asymmetric, scale_type = f32> : tensor<1x16xf32> -> tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>
  return %c, %s, %z : tensor<1x16xi8>, tensor<1x1xf32>, tensor<1x1xi8>
}

// -----

// dequantize of constants folds to the reference table: 0x76543210 with
// scale 0.5 is q = [-8..-1] * 0.5.
// CHECK-LABEL: func @fold_dequantize
// CHECK: %[[T:.*]] = arith.constant dense<{{\[}}[-4.000000e+00, -3.500000e+00, -3.000000e+00, -2.500000e+00, -2.000000e+00, -1.500000e+00, -1.000000e+00, -5.000000e-01]]> : tensor<1x8xf16>
// CHECK-NOT: qembed.dequantize
// CHECK: return %[[T]]
func.func @fold_dequantize() -> tensor<1x8xf16> {
  %p = arith.constant dense<1985229328> : tensor<1x1xi32>
  %s = arith.constant dense<0.5> : tensor<1x1xf16>
  %t = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<1x1xi32>, tensor<1x1xf16> -> tensor<1x8xf16>
  return %t : tensor<1x8xf16>
}

// -----

// Non-constant operands do not fold.
// CHECK-LABEL: func @no_fold
// CHECK: qembed.quantize
// CHECK: qembed.dequantize
func.func @no_fold(%t: tensor<2x8xf32>, %p: tensor<2x1xi32>, %s: tensor<2x1xf32>) -> (tensor<2x8xi8>, tensor<2x1xf32>, tensor<2x8xf32>) {
  %c, %sc = qembed.quantize %t scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2x1xf32>
  %d = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2x1xi32>, tensor<2x1xf32> -> tensor<2x8xf32>
  return %c, %sc, %d : tensor<2x8xi8>, tensor<2x1xf32>, tensor<2x8xf32>
}

// -----

// Bounded folding: a dequantize whose result has more than 2^24 elements is
// not folded, so a splat packed table of 2^40 rows is never expanded (this
// used to abort with "LLVM ERROR: out of memory").
// CHECK-LABEL: func @no_fold_huge_splat
// CHECK: %[[T:.*]] = qembed.dequantize
// CHECK: return %[[T]]
func.func @no_fold_huge_splat() -> tensor<1099511627776x8xf32> {
  %p = arith.constant dense<-1> : tensor<1099511627776x1xi32>
  %s = arith.constant dense<0.5> : tensor<1099511627776x1xf32>
  %t = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<1099511627776x1xi32>, tensor<1099511627776x1xf32> -> tensor<1099511627776x8xf32>
  return %t : tensor<1099511627776x8xf32>
}

// -----

// The limit itself: 2^24 elements fold (a splat result), 2^24 + 8 do not.
// CHECK-LABEL: func @fold_limit
// CHECK-DAG: %[[A:.*]] = arith.constant dense<3.500000e+00> : tensor<2097152x8xf32>
// CHECK-DAG: %[[B:.*]] = qembed.dequantize
// CHECK: return %[[A]], %[[B]]
func.func @fold_limit() -> (tensor<2097152x8xf32>, tensor<2097153x8xf32>) {
  %p = arith.constant dense<-1> : tensor<2097152x1xi32>
  %s = arith.constant dense<0.5> : tensor<2097152x1xf32>
  %a = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2097152x1xi32>, tensor<2097152x1xf32> -> tensor<2097152x8xf32>
  %q = arith.constant dense<-1> : tensor<2097153x1xi32>
  %r = arith.constant dense<0.5> : tensor<2097153x1xf32>
  %b = qembed.dequantize %q scales(%r) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2097153x1xi32>, tensor<2097153x1xf32> -> tensor<2097153x8xf32>
  return %a, %b : tensor<2097152x8xf32>, tensor<2097153x8xf32>
}

// -----

// quantize of a splat table above the limit and of a table holding NaN are
// not folded (the folder cannot say why; --qembed-quantize does).
// CHECK-LABEL: func @no_fold_quantize
// CHECK-COUNT-2: qembed.quantize
func.func @no_fold_quantize() -> (tensor<4194304x8xi8>, tensor<1x8xi8>) {
  %t = arith.constant dense<1.0> : tensor<4194304x8xf32>
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<4194304x8xf32> -> tensor<4194304x8xi8>, tensor<4194304x1xf32>
  %n = arith.constant dense<[[1.0, 0x7FC00000, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %d, %e = qembed.quantize %n scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<1x8xf32> -> tensor<1x8xi8>, tensor<1x1xf32>
  return %c, %d : tensor<4194304x8xi8>, tensor<1x8xi8>
}
