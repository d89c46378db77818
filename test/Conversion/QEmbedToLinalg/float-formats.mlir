// --qembed-to-linalg on the float formats: the code is decoded with integer
// bit tricks (exponent and mantissa placed into an f32, scaled by a power of
// two, sign bit moved to bit 31) and the f8 scales read as bytes, so the
// output needs only upstream arith (no f8 arithmetic). Bit-exactness is
// checked end to end in test/Integration/embedding-*-{fp8,nvfp4,mxfp4}.test.
// RUN: qembed-opt %s --split-input-file --qembed-to-linalg | FileCheck %s

// E4M3: bits 6..0 << 20, times 2^120; sign (bit 7) << 24; times the scale
// in f32, rounded to the scale type (bf16), then to the result type.
// CHECK-LABEL: func.func @fp8
// CHECK: linalg.generic
// CHECK: %[[W:.*]] = tensor.extract %{{.*}} : tensor<10x16xi32>
// CHECK: %[[SH:.*]] = arith.shrui %[[W]]
// CHECK: %[[U:.*]] = arith.andi %[[SH]], %{{.*}} : i32
// CHECK: %[[S:.*]] = tensor.extract %{{.*}} : tensor<10x1xbf16>
// CHECK: %[[M:.*]] = arith.andi %[[U]], %c127_i32
// CHECK: %[[MS:.*]] = arith.shli %[[M]], %c20_i32
// CHECK: %[[MF:.*]] = arith.bitcast %[[MS]] : i32 to f32
// CHECK: %[[MAG:.*]] = arith.mulf %[[MF]], %cst{{.*}} : f32
// CHECK: %[[SG:.*]] = arith.andi %[[U]], %c128_i32
// CHECK: %[[SGS:.*]] = arith.shli %[[SG]], %c24_i32
// CHECK: %[[CODE:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[SF:.*]] = arith.extf %[[S]] : bf16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[CODE]], %[[SF]] : f32
// CHECK: %[[R:.*]] = arith.truncf %[[P]] : f32 to bf16
// CHECK: linalg.yield %[[R]] : bf16
func.func @fp8(%p: tensor<10x16xi32>, %s: tensor<10x1xbf16>, %ids: tensor<3xi64>) -> tensor<3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xbf16>, tensor<3xi64> -> tensor<3x64xbf16>
  return %r : tensor<3x64xbf16>
}

// -----

// NVFP4: the E4M3 scale byte decoded like a code, divided by the global
// scale in f32; E2M1 code: bits 2..0 << 22, times 2^126, sign bit 3 << 28.
// The f8 scales are read as their i8 bytes.
// CHECK-LABEL: func.func @nvfp4
// CHECK: %[[SB8:.*]] = arith.bitcast %{{.*}} : tensor<10x4xf8E4M3FN> to tensor<10x4xi8>
// CHECK: linalg.generic
// CHECK: %[[S:.*]] = tensor.extract %[[SB8]]{{.*}} : tensor<10x4xi8>
// CHECK: %[[BI:.*]] = arith.extui %[[S]] : i8 to i32
// CHECK: arith.andi %[[BI]], %c127_i32
// CHECK: %[[G:.*]] = arith.constant 4.480000e+02 : f32
// CHECK: %[[SC:.*]] = arith.divf %{{.*}}, %[[G]] : f32
// CHECK: arith.shli %{{.*}}, %c22_i32
// CHECK: arith.shli %{{.*}}, %c28_i32
// CHECK: %[[C:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[C]], %[[SC]] : f32
// CHECK: linalg.yield %[[P]] : f32
func.func @nvfp4(%p: tensor<10x8xi32>, %s: tensor<10x4xf8E4M3FN>, %ids: tensor<3xi64>) -> tensor<3x64xf32> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0>
      : tensor<10x8xi32>, tensor<10x4xf8E4M3FN>, tensor<3xi64> -> tensor<3x64xf32>
  return %r : tensor<3x64xf32>
}

// -----

// MXFP4: 2^(c-127) as c << 23, or the f32 subnormal 2^-127 for c = 0.
// CHECK-LABEL: func.func @mxfp4
// CHECK: %[[SB8:.*]] = arith.bitcast %{{.*}} : tensor<10x2xf8E8M0FNU> to tensor<10x2xi8>
// CHECK: linalg.generic
// CHECK: %[[S:.*]] = tensor.extract %[[SB8]]{{.*}} : tensor<10x2xi8>
// CHECK: %[[BI:.*]] = arith.extui %[[S]] : i8 to i32
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[BI]], %c0_i32
// CHECK: %[[SH:.*]] = arith.shli %[[BI]], %c23_i32
// CHECK: %[[SB:.*]] = arith.select %[[Z]], %c4194304_i32, %[[SH]]
// CHECK: %[[SC:.*]] = arith.bitcast %[[SB]] : i32 to f32
// CHECK: %[[P:.*]] = arith.mulf %{{.*}}, %[[SC]] : f32
// CHECK: %[[R:.*]] = arith.truncf %[[P]] : f32 to bf16
// CHECK: linalg.yield %[[R]] : bf16
func.func @mxfp4(%p: tensor<10x8xi32>, %s: tensor<10x2xf8E8M0FNU>, %ids: tensor<3xi64>) -> tensor<3x64xbf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>
      : tensor<10x8xi32>, tensor<10x2xf8E8M0FNU>, tensor<3xi64> -> tensor<3x64xbf16>
  return %r : tensor<3x64xbf16>
}
