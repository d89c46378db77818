// RUN: qembed-opt %s --split-input-file --verify-diagnostics

func.func @bits(%p: tensor<4x2xi32>, %s: tensor<4x1xf32>, %i: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{bits must be in [2, 8], got 9}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 9, group_size = 0, symmetric, scale_type = f32> : tensor<4x2xi32>, tensor<4x1xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// expected-error @+1 {{group_size must be >= 0 (0 = one scale per row), got -2}}
func.func @negative_group() attributes {s = #qembed.scheme<bits = 4, group_size = -2, symmetric, scale_type = f32>} {
  return
}

// -----

// expected-error @+1 {{scale_type must be f16, bf16 or f32, got 'f64'}}
func.func @scale_type() attributes {s = #qembed.scheme<bits = 4, group_size = 8, symmetric, scale_type = f64>} {
  return
}

// -----

// expected-error @+1 {{expected 'symmetric' or 'asymmetric'}}
func.func @kind() attributes {s = #qembed.scheme<bits = 4, group_size = 8, both, scale_type = f32>} {
  return
}

// -----

func.func @lookup_type(%t: tensor<10x8xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{result element type must match the table's}}
  %r = qembed.lookup %t[%i] : tensor<10x8xf32>, tensor<2xi64> -> tensor<2x8xf16>
  return
}

// -----

func.func @lookup_rank(%t: tensor<10x8xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{result rank must be ids rank + 1, got 3 and 1}}
  %r = qembed.lookup %t[%i] : tensor<10x8xf32>, tensor<2xi64> -> tensor<2x1x8xf32>
  return
}

// -----

func.func @lookup_dim(%t: tensor<10x8xf32>, %i: tensor<2x3xi64>) {
  // expected-error @+1 {{result dimension 1 (4) does not match ids dimension (3)}}
  %r = qembed.lookup %t[%i] : tensor<10x8xf32>, tensor<2x3xi64> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @lookup_row(%t: tensor<10x8xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{result row length 16 does not match the table's 8}}
  %r = qembed.lookup %t[%i] : tensor<10x8xf32>, tensor<2xi64> -> tensor<2x16xf32>
  return
}

// -----

func.func @float_ids(%t: tensor<10x8xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of signless integer or index values}}
  %r = qembed.lookup %t[%i] : tensor<10x8xf32>, tensor<2xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @int_table(%t: tensor<10x8xi32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{operand #0 must be 2D tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %r = qembed.lookup %t[%i] : tensor<10x8xi32>, tensor<2xi64> -> tensor<2x8xi32>
  return
}

// -----

func.func @dynamic_cols(%t: tensor<10x?xf32>) {
  // expected-error @+1 {{row length (number of columns) must be static}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<10x?xf32> -> tensor<10x?xi8>, tensor<10x1xf32>
  return
}

// -----

func.func @group_divides(%t: tensor<10x96xf32>) {
  // expected-error @+1 {{group_size 64 does not divide the row length 96}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> : tensor<10x96xf32> -> tensor<10x96xi8>, tensor<10x1xf32>
  return
}

// -----

func.func @codes_shape(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{codes must have the shape of the table}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x32xi8>, tensor<10x2xf32>
  return
}

// -----

func.func @scale_elt(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{scales element type 'f16' does not match scheme scale_type 'f32'}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x64xi8>, tensor<10x2xf16>
  return
}

// -----

func.func @scale_shape(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{scales must have shape [10, 2] for this scheme, got 'tensor<10x4xf32>'}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x64xi8>, tensor<10x4xf32>
  return
}

// -----

func.func @sym_zp(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{symmetric scheme takes no zero points}}
  %c, %s, %z = qembed.quantize %t scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x64xi8>, tensor<10x2xf32>, tensor<10x2xi8>
  return
}

// -----

func.func @asym_no_zp(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{asymmetric scheme requires zero points}}
  %c, %s = qembed.quantize %t scheme <bits = 4, group_size = 32, asymmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x64xi8>, tensor<10x2xf32>
  return
}

// -----

func.func @zp_shape(%t: tensor<10x64xf32>) {
  // expected-error @+1 {{zero points must have the shape of the scales}}
  %c, %s, %z = qembed.quantize %t scheme <bits = 4, group_size = 32, asymmetric, scale_type = f32> : tensor<10x64xf32> -> tensor<10x64xi8>, tensor<10x2xf32>, tensor<10x1xi8>
  return
}

// -----

func.func @pack_shape(%c: tensor<10x64xi8>) {
  // expected-error @+1 {{result must have shape [10, 8], got 'tensor<10x16xi32>'}}
  %p = qembed.pack %c scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x64xi8> -> tensor<10x16xi32>
  return
}

// -----

func.func @words(%p: tensor<10x8xi32>, %s: tensor<10x2xf32>, %i: tensor<3xi64>) {
  // 64 codes of 3 bits need 6 words.
  // expected-error @+1 {{packed rows must have 6 i32 words for 64 columns of 3 bits, got 8}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 3, group_size = 32, symmetric, scale_type = f32> : tensor<10x8xi32>, tensor<10x2xf32>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @scale_rows(%p: tensor<10x8xi32>, %s: tensor<12x2xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{scales must have shape [10, 2] for this scheme, got 'tensor<12x2xf32>'}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x8xi32>, tensor<12x2xf32>, tensor<3xi64> -> tensor<3x64xf32>
  return
}

// -----

func.func @gather_rank0(%p: tensor<10x8xi32>, %s: tensor<10x2xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{result must have at least rank 1}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x8xi32>, tensor<10x2xf32>, tensor<i64> -> tensor<f32>
  return
}

// -----

func.func @gather_dynamic_row(%p: tensor<10x8xi32>, %s: tensor<10x2xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{row length (number of columns) must be static}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x8xi32>, tensor<10x2xf32>, tensor<3xi64> -> tensor<3x?xf32>
  return
}

// -----

func.func @dequant_rows(%p: tensor<10x8xi32>, %s: tensor<10x2xf32>) {
  // expected-error @+1 {{result must have one row per packed row}}
  %r = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : tensor<10x8xi32>, tensor<10x2xf32> -> tensor<11x64xf32>
  return
}

// -----

func.func @buffer_gather_rank0(%p: memref<10x8xi32>, %s: memref<10x2xf32>, %i: memref<i64>, %out: memref<f32>) {
  // expected-error @+1 {{output must have at least rank 1}}
  qembed.buffer_gather %p[%i] scales(%s) into %out scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : memref<10x8xi32>, memref<10x2xf32>, memref<i64>, memref<f32>
  return
}

// -----

func.func @buffer_gather_rows(%p: memref<10x8xi32>, %s: memref<10x2xf32>, %i: memref<3xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{result dimension 0 (4) does not match ids dimension (3)}}
  qembed.buffer_gather %p[%i] scales(%s) into %out scheme <bits = 4, group_size = 32, symmetric, scale_type = f32> : memref<10x8xi32>, memref<10x2xf32>, memref<3xi64>, memref<4x64xf32>
  return
}

// -----

func.func @empty_table(%t: tensor<0x8xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{table must have at least one row}}
  %r = qembed.lookup %t[%i] : tensor<0x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return
}

// -----

func.func @empty_packed(%p: tensor<0x1xi32>, %s: tensor<0x1xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{table must have at least one row}}
  %r = qembed.gather %p[%i] scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<0x1xi32>, tensor<0x1xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return
}

// -----

// Found by qembed-fuzz: words per row of a 2^63 - 1 column row, counted
// without overflowing int64_t (cols * bits was signed overflow, UBSan).
func.func @huge_row(%p: tensor<2x1xi32>, %s: tensor<2x1xf32>) -> tensor<2x9223372036854775807xf32> {
  // expected-error @+1 {{packed rows must have 1152921504606846976 i32 words for 9223372036854775807 columns of 4 bits, got 1}}
  %t = qembed.dequantize %p scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f32> : tensor<2x1xi32>, tensor<2x1xf32> -> tensor<2x9223372036854775807xf32>
  return %t : tensor<2x9223372036854775807xf32>
}

// -----

// The same for a pack of 2^63 - 1 codes of 7 bits: ceil(7 * (2^63 - 1) / 32).
func.func @huge_pack(%c: tensor<1x9223372036854775807xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{result must have shape [1, 2017612633061982208], got 'tensor<1x1xi32>'}}
  %p = qembed.pack %c scheme <bits = 7, group_size = 0, symmetric, scale_type = f32> : tensor<1x9223372036854775807xi8> -> tensor<1x1xi32>
  return %p : tensor<1x1xi32>
}
