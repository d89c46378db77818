// --qembed-quantize with format=fp8|nvfp4|mxfp4 on hand-checked rows.
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=mxfp4" | FileCheck %s --check-prefix=MX
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=nvfp4" | FileCheck %s --check-prefix=NV
// RUN: qembed-opt %s --split-input-file --quantize-embeddings="format=nvfp4" | FileCheck %s --check-prefix=NV
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=fp8" | FileCheck %s --check-prefix=FP8
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=fp8 per-tensor=true" | FileCheck %s --check-prefix=FP8T
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=nvfp4 bits=4 group-size=16" | FileCheck %s --check-prefix=NV

// Row 0 has amax 6. MXFP4: round_to_power_2(6) = 4, E8M0 code
// 127 + log2(4) - 2 = 127 (scale 1), codes (E2M1, first in the low nibble)
// 0.5 1 1.5 2 3 4 6 -6 -> 0xF7654321; ties to even 0.25 0.75 1.25 1.75 2.5
// 3.5 5 and -0.1 (negative: the sign bit alone) -> 0 2 2 4 4 6 6 8 =
// 0x86644220. NVFP4: global scale 448*6/6 = 448, group scale 448 * 6/6 = 448
// (E4M3), so x / (448/448) gives the same codes. Row 1 is all zero:
// MXFP4 code 0 (2^-127, f32-representable), NVFP4 scale 0 -> 0.125.
// With fp8, row 0 has scale 6/448 and row 1 eps(f32) = 2^-23.

// MX-LABEL: func.func @table
// MX: arith.constant dense<{{\[}}[-144358623, -2040249824, 0, 0], [0, 0, 0, 0]]> : tensor<2x4xi32>
// MX: arith.constant dense<{{\[}}[1.000000e+00], [5.877470e-39]]> : tensor<2x1xf8E8M0FNU>
// MX: qembed.gather {{.*}} scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4>

// NV-LABEL: func.func @table
// NV: arith.constant dense<{{\[}}[-144358623, -2040249824, 0, 0], [0, 0, 0, 0]]> : tensor<2x4xi32>
// NV: arith.constant dense<{{\[}}[4.480000e+02, 1.250000e-01], [1.250000e-01, 1.250000e-01]]> : tensor<2x2xf8E4M3FN>
// NV: qembed.gather {{.*}} scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 4.48E+2>

// FP8-LABEL: func.func @table
// FP8: arith.constant dense<{{\[}}[0.0133928573], [1.1920929E-7]]> : tensor<2x1xf32>
// FP8: qembed.gather {{.*}} scheme <bits = 8, group_size = 0, symmetric, scale_type = f32, format = fp8>

// One scale for the table: both rows get 6/448.
// FP8T-LABEL: func.func @table
// FP8T: arith.constant dense<0.0133928573> : tensor<2x1xf32>
func.func @table(%ids: tensor<3xi64>) -> tensor<3x32xf32> {
  %t = arith.constant dense<[[0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -0.1,
                              0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                              0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<2x32xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x32xf32>, tensor<3xi64> -> tensor<3x32xf32>
  return %r : tensor<3x32xf32>
}

// -----

// The fp8 codes of a row with amax 448 (scale 1): 448 -> 0x7E, 1 -> 0x38,
// -2 -> 0xC0, 2^-4 -> 0x18: word 0x18C0387E.
// FP8-LABEL: func.func @fp8_codes
// FP8: arith.constant dense<415250558> : tensor<1x1xi32>
// FP8: arith.constant dense<1.000000e+00> : tensor<1x1xf32>
func.func @fp8_codes(%ids: tensor<3xi64>) -> tensor<3x4xf32> {
  %t = arith.constant dense<[[448.0, 1.0, -2.0, 0.0625]]> : tensor<1x4xf32>
  %r = qembed.lookup %t[%ids] : tensor<1x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
