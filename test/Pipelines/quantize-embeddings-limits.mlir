// --quantize-embeddings takes --qembed-quantize's max-table-bytes: a splat
// row of 2^32 - 1 f32 columns (found by qembed-fuzz) would need a 16 GiB row
// under the default limit; with a smaller one it is an error, not an
// out-of-memory abort.
// RUN: qembed-opt %s --quantize-embeddings="group-size=0 max-table-bytes=67108864" --verify-diagnostics

func.func @splat_row_too_long(%ids: tensor<4xi64>) -> tensor<4x4294967295xf32> {
  // expected-error @+1 {{cannot quantize this table: a row takes more than 67108864 bytes (max-table-bytes)}}
  %b = arith.constant dense<1.5> : tensor<4x4294967295xf32>
  %r = qembed.lookup %b[%ids] : tensor<4x4294967295xf32>, tensor<4xi64> -> tensor<4x4294967295xf32>
  return %r : tensor<4x4294967295xf32>
}
