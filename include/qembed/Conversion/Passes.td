//===- Passes.td - qembed conversion passes ----------------*- tablegen -*-===//

#ifndef QEMBED_CONVERSION_PASSES_TD
#define QEMBED_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQEmbedToLinalg : Pass<"qembed-to-linalg"> {
  let summary = "Lower qembed lookups to linalg/tensor/arith, table kept packed";
  let description = [{
    Lowers `qembed.gather`, `qembed.lookup` and `qembed.dequantize` to
    upstream dialects only (`linalg`, `tensor`, `arith`), the IR that IREE and
    Torch-MLIR backends consume. The packed table is not densified: each
    output element extracts its i32 word, shifts and masks out the code and
    dequantizes it in f32 (`(q - zp) * scale`, rounded to the scale type).
    Ids are clamped to `[0, V)`. `qembed.quantize` / `qembed.pack` on
    non-constant tables have no lowering and make the pass fail.

    Before:

    ```mlir
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x16xi32>, tensor<100x2xf32>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```

    After:

    ```mlir
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%ids : tensor<?xi64>) outs(%init : tensor<?x128xf32>) {
    ^bb0(%id: i64, %out: f32):
      // clamp id, word = %p[row, col / 8], code = (word >> 4*(col % 8)) & 15
      %w = tensor.extract %p[%row, %wi] : tensor<100x16xi32>
      ...
      %sc = tensor.extract %s[%row, %g] : tensor<100x2xf32>
      %v = arith.mulf %qf, %sc : f32
      linalg.yield %v : f32
    } -> tensor<?x128xf32>
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QEMBED_CONVERSION_PASSES_TD
