// Schemes a float format does not allow, and ops that take integer codes
// only, are verifier errors.
// RUN: qembed-opt %s --split-input-file --verify-diagnostics

func.func @fp8_bits(%p: tensor<10x16xi32>, %s: tensor<10x1xf32>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format fp8 has 8-bit codes, got bits = 4}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xf32>, tensor<3xi64> -> tensor<3x128xf32>
  return
}

// -----

func.func @nvfp4_group(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E4M3FN>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format nvfp4 fixes group_size = 16, got 32}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 1.0>
      : tensor<10x8xi32>, tensor<10x2xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @mxfp4_asymmetric(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E8M0FNU>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format mxfp4 is symmetric only}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, asymmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<10x8xi32>, tensor<10x2xf8E8M0FNU>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @mxfp4_scale_type(%p: tensor<10x8xi32>, %s: tensor<10x2xf16>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format mxfp4 takes f8E8M0FNU scales, got 'f16'}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f16, format = mxfp4>
      : tensor<10x8xi32>, tensor<10x2xf16>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @nvfp4_scale_type(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E8M0FNU>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format nvfp4 takes f8E4M3FN scales, got 'f8E8M0FNU'}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E8M0FNU, format = nvfp4, global_scale = 2.0>
      : tensor<10x8xi32>, tensor<10x4xf8E8M0FNU>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @fp8_scale_type(%p: tensor<10x16xi32>, %s: tensor<10x1xf8E4M3FN>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format fp8 takes f16, bf16 or f32 scales, got 'f8E4M3FN'}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f8E4M3FN, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @nvfp4_no_global(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E4M3FN>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{format nvfp4 requires a global_scale}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @nvfp4_zero_global(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E4M3FN>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{global_scale must be a finite non-zero f32}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 0.0>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @global_on_mxfp4(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E8M0FNU>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{only format nvfp4 has a global_scale}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4, global_scale = 2.0>
      : tensor<10x8xi32>, tensor<10x2xf8E8M0FNU>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @global_on_int(%p: tensor<10x8xi32>, %s: tensor<10x1xf32>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{only format nvfp4 has a global_scale}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f32, format = int, global_scale = 2.0>
      : tensor<10x8xi32>, tensor<10x1xf32>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @unknown_format(%p: tensor<10x8xi32>, %s: tensor<10x1xf32>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{expected format int, fp8, nvfp4 or mxfp4}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f32, format = fp4>
      : tensor<10x8xi32>, tensor<10x1xf32>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @quantize_float(%t: tensor<4x16xf32>) {
  // expected-error @+1 {{supports only format int, got format fp8}}
  %c, %s = qembed.quantize %t scheme <bits = 8, group_size = 0, symmetric, scale_type = f32, format = fp8>
      : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4x1xf32>
  return
}

// -----

func.func @pack_float(%c: tensor<4x16xi8>) {
  // expected-error @+1 {{supports only format int, got format mxfp4}}
  %p = qembed.pack %c scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<4x16xi8> -> tensor<4x2xi32>
  return
}

// -----

func.func @nvfp4_scales_shape(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E4M3FN>, %ids: tensor<3xi64>) {
  // expected-error @+1 {{scales must have shape [10, 4] for this scheme}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 2.0>
      : tensor<10x8xi32>, tensor<10x2xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return
}
