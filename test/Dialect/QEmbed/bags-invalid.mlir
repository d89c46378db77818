// RUN: qembed-opt %s --split-input-file --verify-diagnostics

// Verifier errors of qembed.lookup_bags and qembed.gather_bags.

func.func @bags_rows(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<4x4xf32> {
  // expected-error @+1 {{result must have one row per offset (bag), got 4 rows for 3 offsets}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

func.func @bags_cols(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x8xf32> {
  // expected-error @+1 {{result row length 8 does not match the table's 4}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// -----

func.func @bags_elem(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x4xf16> {
  // expected-error @+1 {{result element type must match the table's}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(mean) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x4xf16>
  return %r : tensor<3x4xf16>
}

// -----

func.func @bags_empty_table(%t: tensor<0x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{table must have at least one row}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<0x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @bags_ids_rank(%t: tensor<10x4xf32>, %i: tensor<2x4xi64>, %o: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x4xf32>, tensor<2x4xi64>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @bags_mode(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'mode' [sum, mean]}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(max) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @gather_bags_words(%p: tensor<10x3xi32>, %s: tensor<10x2xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x16xf32> {
  // expected-error @+1 {{packed rows must have 2 i32 words for 16 columns of 4 bits, got 3}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 8, symmetric, scale_type = f32> : tensor<10x3xi32>, tensor<10x2xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}

// -----

func.func @gather_bags_zp(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x16xf32> {
  // expected-error @+1 {{asymmetric scheme requires zero points}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 8, asymmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}

// -----

func.func @gather_bags_group(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x16xf32> {
  // expected-error @+1 {{group_size 5 does not divide the row length 16}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 5, symmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}

// -----

func.func @gather_bags_bags(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<2x16xf32> {
  // expected-error @+1 {{result must have one row per offset (bag), got 2 rows for 3 offsets}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 8, symmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<2x16xf32>
  return %r : tensor<2x16xf32>
}

// -----

func.func @bags_dynamic_cols(%t: tensor<10x?xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x?xf32> {
  // expected-error @+1 {{result row length must be static}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(sum) : tensor<10x?xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x?xf32>
  return %r : tensor<3x?xf32>
}

// -----

func.func @gather_bags_dynamic_cols(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x?xf32> {
  // expected-error @+1 {{row length (number of columns) must be static}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 8, symmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x?xf32>
  return %r : tensor<3x?xf32>
}
