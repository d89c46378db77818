// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=3 group-size=0 max-table-bytes=200" --verify-diagnostics | FileCheck %s
// RUN: not qembed-opt %s --qembed-quantize="max-table-bytes=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// Bounded work: sizes are checked before anything is allocated.
// ZERO: error: invalid options: max-table-bytes must be > 0, got 0

// A splat whose 3-bit packed row (12 codes = 36 bits: two different words)
// would have to be repeated over 10^9 rows: refused, not expanded.
func.func @splat_not_one_word(%ids: tensor<2xi64>) -> tensor<2x12xf32> {
  // expected-error @+1 {{cannot quantize this splat table: its packed row is not one repeated word and repeating it would take more than 16777216 words (qembed's limit)}}
  %t = arith.constant dense<1.0> : tensor<1000000000x12xf32>
  %r = qembed.lookup %t[%ids] : tensor<1000000000x12xf32>, tensor<2xi64> -> tensor<2x12xf32>
  return %r : tensor<2x12xf32>
}

// -----

// 2 x 32 f32 = 256 bytes, over max-table-bytes=200.
func.func @over_limit(%ids: tensor<2xi64>) -> tensor<2x32xf32> {
  // expected-error @+1 {{cannot quantize this table: it takes more than 200 bytes (max-table-bytes)}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<2x32xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x32xf32>, tensor<2xi64> -> tensor<2x32xf32>
  return %r : tensor<2x32xf32>
}

// -----

// A splat is only limited by its row: 64 f32 = 256 bytes.
func.func @splat_row_over_limit(%ids: tensor<2xi64>) -> tensor<2x64xf32> {
  // expected-error @+1 {{cannot quantize this table: a row takes more than 200 bytes (max-table-bytes)}}
  %t = arith.constant dense<1.0> : tensor<4x64xf32>
  %r = qembed.lookup %t[%ids] : tensor<4x64xf32>, tensor<2xi64> -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// A resource whose type's byte size does not fit in int64.
func.func @resource_size_overflows(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot read the table: dense_resource type has no representable byte size}}
  %t = arith.constant dense_resource<big> : tensor<4611686018427387904x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<4611686018427387904x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      big: "0x040000000000803F"
    }
  }
#-}

// -----

// Within the limits: a splat of 10^9 rows of 8 f32 (a 32-byte row) whose
// 3-bit row is 24 bits in one word is quantized to splats.
// CHECK-LABEL: func @splat_within_limits
// CHECK-DAG: arith.constant dense<{{-?[0-9]+}}> : tensor<1000000000x1xi32>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<1000000000x1xf32>
// CHECK: qembed.gather
func.func @splat_within_limits(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense<1.0> : tensor<1000000000x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<1000000000x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// A 3-bit row of 16 codes is 48 bits, two different words: the splat's row
// is repeated, giving the constants of the same table written out.
// CHECK-LABEL: func @splat_row_repeated
// CHECK: arith.constant dense<[[PV:\[\[-1, 65535\], \[-1, 65535\], \[-1, 65535\]\]]]> : tensor<3x2xi32>
// CHECK: arith.constant dense<[[SV:.*]]> : tensor<3x1xf32>
// CHECK: arith.constant dense<[[PV]]> : tensor<3x2xi32>
// CHECK: arith.constant dense<[[SV]]> : tensor<3x1xf32>
func.func @splat_row_repeated(%ids: tensor<2xi64>) -> (tensor<2x16xf32>, tensor<2x16xf32>) {
  %a = arith.constant dense<0.3> : tensor<3x16xf32>
  %r = qembed.lookup %a[%ids] : tensor<3x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  %b = arith.constant dense<[[0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]]> : tensor<3x16xf32>
  %s = qembed.lookup %b[%ids] : tensor<3x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  return %r, %s : tensor<2x16xf32>, tensor<2x16xf32>
}

// -----

func.func @splat_row_too_long(%ids: tensor<4xi64>) -> tensor<4x4294967295xf32> {
  // expected-error @+1 {{cannot quantize this table: a row takes more than 200 bytes (max-table-bytes)}}
  %b = arith.constant dense<1.5> : tensor<4x4294967295xf32>
  %r = qembed.lookup %b[%ids] : tensor<4x4294967295xf32>, tensor<4xi64> -> tensor<4x4294967295xf32>
  return %r : tensor<4x4294967295xf32>
}
