// Verifier errors of #qembed.codebook and qembed.codebook_gather.
// RUN: qembed-opt %s --split-input-file --verify-diagnostics

func.func @entries_not_power_of_two(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x1x3x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{codebook entries must be a power of two in [2, 65536], got 3}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 3, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x1x3x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @stages(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x9x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{codebook stages must be in [1, 8], got 9}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 9, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x9x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @dim_does_not_divide(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x1x4x3xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{codebook dim 3 does not divide the row length 8}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 3, entries = 4, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x1x4x3xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @groups_do_not_divide(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<3x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{codebook groups 3 do not divide the 2 vectors of a row}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 3> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<3x1x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @words(%c: tensor<4x2xi32>, %s: tensor<4x1xf16>, %b: tensor<1x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{code rows must have 1 i32 words for 8 columns, got 2}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<4x2xi32>, tensor<4x1xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @scales_shape(%c: tensor<4x1xi32>, %s: tensor<4x2xf16>, %b: tensor<1x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{scales must have shape [4, 1]}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x2xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @codebooks_shape(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x2x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{codebooks must have shape [1, 1, 4, 4] (groups x stages x entries x dim)}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x2x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @result_rank(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x1x8xf32> {
  // expected-error @+1 {{result rank must be ids rank + 1, got 3 and 1}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x1x8xf32>
  return %r : tensor<2x1x8xf32>
}

// -----

func.func @empty_table(%c: tensor<0x1xi32>, %s: tensor<0x1xf16>, %b: tensor<1x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{table must have at least one row}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<0x1xi32>, tensor<0x1xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @dynamic_row_length(%c: tensor<4x1xi32>, %s: tensor<4x1xf16>, %b: tensor<1x1x4x4xf16>, %ids: tensor<2xi64>) -> tensor<2x?xf32> {
  // expected-error @+1 {{row length (number of columns) must be static}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 4, entries = 4, stages = 1, groups = 1> : tensor<4x1xi32>, tensor<4x1xf16>, tensor<1x1x4x4xf16>, tensor<2xi64> -> tensor<2x?xf32>
  return %r : tensor<2x?xf32>
}
