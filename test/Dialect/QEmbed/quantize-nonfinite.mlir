// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8 scale-type=f16" --verify-diagnostics | FileCheck %s
// RUN: not qembed-opt %s --split-input-file --quantize-embeddings="bits=4 group-size=8 scale-type=f16" 2>&1 | FileCheck %s --check-prefix=PIPE

// Tables holding NaN or +-Inf are not quantized: the error names the first
// one (row-major). Scales that overflow the scale type are errors too.

// PIPE: error: cannot quantize this table: element at row 1, column 2 is NaN; tables with NaN or Inf are not quantized
func.func @nan_f32(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot quantize this table: element at row 1, column 2 is NaN; tables with NaN or Inf are not quantized}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 0x7FC00000, 4.0, 5.0, 6.0, 7.0, 0x7F800000]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// PIPE: error: cannot quantize this table: element at row 0, column 7 is +Inf
func.func @inf_bf16(%ids: tensor<2xi64>) -> tensor<2x8xbf16> {
  // expected-error @+1 {{element at row 0, column 7 is +Inf}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0x7F80]]> : tensor<1x8xbf16>
  %r = qembed.lookup %t[%ids] : tensor<1x8xbf16>, tensor<2xi64> -> tensor<2x8xbf16>
  return %r : tensor<2x8xbf16>
}

// -----

// PIPE: error: cannot quantize this table: element at row 2, column 0 is -Inf
func.func @minus_inf_f16(%ids: tensor<2xi64>) -> tensor<2x8xf16> {
  // expected-error @+1 {{element at row 2, column 0 is -Inf}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0xFC00, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<3x8xf16>
  %r = qembed.lookup %t[%ids] : tensor<3x8xf16>, tensor<2xi64> -> tensor<2x8xf16>
  return %r : tensor<2x8xf16>
}

// -----

// A NaN splat is found without expanding the table.
// PIPE: error: cannot quantize this table: element at row 0, column 0 is NaN
func.func @nan_splat(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{element at row 0, column 0 is NaN}}
  %t = arith.constant dense<0x7FC00000> : tensor<100000000000x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<100000000000x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// Row 1's 4-bit scale 1e6 / 7.5 = 133333 overflows f16 (max 65504): the
// row would dequantize to NaN.
// PIPE: error: cannot quantize this table: the scale of row 1 (group starting at column 0) is 133333, which overflows the scale type f16
func.func @scale_overflow(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot quantize this table: the scale of row 1 (group starting at column 0) is 133333, which overflows the scale type f16}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0e6, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// The largest scale that still fits f16: amax 4.9e5 gives 65333 -> 65344.
// CHECK-LABEL: func @largest_f16_scale
// CHECK: arith.constant dense<6.534400e+04> : tensor<1x1xf16>
// CHECK: qembed.gather
// CHECK-NOT: tensor<1x8xf32>
func.func @largest_f16_scale(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense<[[4.9e5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<1x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
