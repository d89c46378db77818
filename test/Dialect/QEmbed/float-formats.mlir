// Schemes of the float formats round-trip; format int is the default and is
// not printed; nvfp4's global scale reads back as the same f32.
// RUN: qembed-opt %s --split-input-file | FileCheck %s
// RUN: qembed-opt %s --split-input-file | qembed-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @fp8
// CHECK: qembed.gather %{{.*}}[%{{.*}}] scales(%{{.*}}) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16, format = fp8> :
func.func @fp8(%p: tensor<10x16xi32>, %s: tensor<10x1xbf16>, %ids: tensor<3xi64>) -> tensor<3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xbf16>, tensor<3xi64> -> tensor<3x64xbf16>
  return %r : tensor<3x64xbf16>
}

// -----

// CHECK-LABEL: func.func @nvfp4
// CHECK: qembed.gather {{.*}} scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 6.72000046E+1> :
// CHECK: qembed.dequantize {{.*}} format = nvfp4, global_scale = 4.48E+2>
func.func @nvfp4(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E4M3FN>, %ids: tensor<3xi64>) -> (tensor<3x64xf32>, tensor<10x64xf16>) {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 67.20000457763672>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  %t = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN> -> tensor<10x64xf16>
  return %r, %t : tensor<3x64xf32>, tensor<10x64xf16>
}

// -----

// CHECK-LABEL: func.func @mxfp4
// CHECK: scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> :
func.func @mxfp4(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E8M0FNU>, %ids: tensor<3xi64>) -> tensor<3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<10x8xi32>, tensor<10x2xf8E8M0FNU>, tensor<3xi64> -> tensor<3x64xbf16>
  return %r : tensor<3x64xbf16>
}

// -----

// CHECK-LABEL: func.func @int_default
// CHECK: scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> :
func.func @int_default(%p: tensor<10x8xi32>, %s: tensor<10x1xf16>, %ids: tensor<3xi64>) -> tensor<3x64xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16, format = int>
      : tensor<10x8xi32>, tensor<10x1xf16>, tensor<3xi64> -> tensor<3x64xf16>
  return %r : tensor<3x64xf16>
}
