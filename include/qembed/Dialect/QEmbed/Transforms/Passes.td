//===- Passes.td - qembed transformation passes ------------*- tablegen -*-===//
//
// Raising front-end lookups and quantizing their tables.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_TD
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QEmbedRaiseLookups : Pass<"qembed-raise-lookups"> {
  let summary = "Raise front-end embedding lookups to qembed.lookup";
  let description = [{
    Recognises the embedding lookups that front ends emit and replaces them
    with `qembed.lookup`:

    * Torch-MLIR's `aten.embedding` / `aten.index_select` lowering: a
      `linalg.generic` whose only input is the ids tensor (its map drops the
      last loop), with an identity output map, all loops parallel, and a body
      that casts the id to `index`, reads `linalg.index` of the last loop and
      yields `tensor.extract %table[%id, %col]` of a constant 2-D table from
      the enclosing scope. `arith.cmpi` + `cf.assert` bounds checks in the
      body are accepted and dropped (the lowerings clamp ids instead).
    * Torch-MLIR's `aten.index.Tensor` lowering (`weight[ids]`): the same
      generic, whose ids map may hold the constant 0 for a dimension of size
      1, and whose body first wraps negative ids,
      `%w = arith.select (arith.cmpi slt %id, 0), (arith.addi %id, R), %id`
      with R the table's row count. The wrap is kept: it becomes an
      elementwise `linalg.generic` on the ids feeding the `qembed.lookup`,
      so ids in `[-R, R)` read the rows torch reads (torch raises for ids
      outside that range; the lookup clamps them).

    Lookups still in the torch dialect (`torch.aten.embedding`,
    `torch.aten.index_select`, `torch.aten.index.Tensor[_hacked_twin]`,
    e.g. `output_type="torch"` printed in generic form) are not raised; each
    gets a remark (whatever `remarks` says) saying to export with
    `output_type="linalg-on-tensors"` or to run torch-mlir's
    `torch-backend-to-linalg-on-tensors-backend-pipeline` first.
    * `tensor.gather %table[%indices] gather_dims([0])` on a constant 2-D
      table.

    Before:

    ```mlir
    %table = arith.constant dense<...> : tensor<100x16xf32>
    %0 = tensor.empty() : tensor<4x16xf32>
    %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%ids : tensor<4xi64>) outs(%0 : tensor<4x16xf32>) {
    ^bb0(%id: i64, %out: f32):
      %row = arith.index_cast %id : i64 to index
      %col = linalg.index 1 : index
      %v = tensor.extract %table[%row, %col] : tensor<100x16xf32>
      linalg.yield %v : f32
    } -> tensor<4x16xf32>
    ```

    After:

    ```mlir
    %1 = qembed.lookup %table[%ids]
        : tensor<100x16xf32>, tensor<4xi64> -> tensor<4x16xf32>
    ```

    Anything else (transposed access, a body doing other work, a table that
    is not a constant, an output row that is a slice of the table's columns
    or has a dynamic length, a table of one column, where packing would
    only add memory) is left untouched; every check runs before anything is
    rewritten. With `remarks=true` each such candidate gets a remark saying
    why.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on every candidate lookup that is not raised">,
  ];
  let dependentDialects = ["::mlir::qembed::QEmbedDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QEmbedQuantize : Pass<"qembed-quantize", "::mlir::ModuleOp"> {
  let summary = "Quantize the constant tables of qembed.lookup ops";
  let description = [{
    Quantizes, data-free, the table of every `qembed.lookup` whose table is
    an `arith.constant` (`dense` or `dense_resource`) and replaces the lookup
    with a `qembed.gather` that reads packed words and scales. Quantization
    and packing happen at compile time through the numerics library, so the
    result holds only the packed words, scales (and zero points); a
    `dense_resource` table yields `dense_resource` outputs. A table shared by
    several lookups (even across functions) is quantized once.

    A table that also has other uses (e.g. an lm_head tied to the embedding)
    keeps its dense constant for those uses, which therefore stay exact; only
    the lookups read the packed copy. The module then carries both, so the
    table's memory is not saved; `report=true` says so.

    Tables it leaves dense, with a remark `table left dense: <why>` on the
    constant (always emitted, not only with `report=true`; the lookups stay
    `qembed.lookup`, which `--qembed-to-linalg` lowers to a dense gather,
    and the pass succeeds):

    * a table whose row length the group size does not divide (T5's relative
      attention bias, buckets x heads, e.g. 32x8, with the default group of 64);
    * a table with fewer rows than `min-rows` (default 0). Vocabulary
      tables have tens of thousands of rows, position tables hundreds to a
      few thousand and token-type tables 2: `min-rows=2048` quantizes only
      the vocabulary of GPT-2 (wte, not wpe) and BERT. (A filter by name is
      not offered: Torch-MLIR's fx importer names constants by shape and
      dtype, `torch_tensor_50257_768_torch.float32`, not by module.)
    * a table smaller than `min-table-bytes` (default 0).

    Tables it refuses, with an error on the constant (the pass fails):

    * a table holding NaN or +-Inf: the error names the row and column of
      the first one (row-major), e.g. `element at row 1, column 2 is NaN`.
      compressed-tensors 0.20 quantizes such a table without a word and
      the group holding the value dequantizes to NaN (see the README).
    * a table whose scale overflows the scale type, e.g. an f32 table with
      values beyond 65504 * qmax quantized with `scale-type=f16`: the error
      names the row; the row would otherwise dequantize to NaN.
    * a table larger than `max-table-bytes` (default 2^34 bytes = 16 GiB).

    Memory: a table is checked and quantized in one read, in parallel over
    rows, straight into the storage of the new constants (no intermediate
    copy). Once a `dense_resource` table is only referred to by the lookups
    rewritten here, its blob is freed; when the blob lies in a read-only
    file mapping (qembed-opt memory-maps its input, and the bytecode reader
    references it), its pages are also dropped from the process as soon as
    they are quantized, so peak memory is about the output's size.

    A splat table (`dense<1.0> : tensor<1000000000x64xf32>`) is quantized
    without being expanded: one row is quantized and the packed words,
    scales and zero points are splats. When the packed row is not one
    repeated word (codes straddling words, padding at the row end), the row
    is repeated only up to 2^24 words in all; beyond that it is an error.

    Before:

    ```mlir
    %t = arith.constant dense<...> : tensor<100x128xf32>
    %r = qembed.lookup %t[%ids] : tensor<100x128xf32>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```

    After (`bits=4 group-size=64`):

    ```mlir
    %p = arith.constant dense<...> : tensor<100x16xi32>
    %s = arith.constant dense<...> : tensor<100x2xf32>
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x16xi32>, tensor<100x2xf32>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Code width in bits (2..8)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"64",
           "Columns sharing one scale; 0 = one scale per row">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Symmetric (no zero point) or asymmetric quantization">,
    Option<"scaleType", "scale-type", "std::string", /*default=*/"\"\"",
           "Scale element type: f16, bf16, f32, or empty for the table's">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per table with sizes, bits/param and error">,
    Option<"maxTableBytes", "max-table-bytes", "int64_t",
           /*default=*/"17179869184",
           "Largest table (bytes) to quantize; default 2^34 = 16 GiB">,
    Option<"minTableBytes", "min-table-bytes", "int64_t", /*default=*/"0",
           "Tables smaller than this (bytes) stay dense, with a remark">,
    Option<"minRows", "min-rows", "int64_t", /*default=*/"0",
           "Tables with fewer rows stay dense, with a remark (e.g. 2048 "
           "keeps position and token-type tables dense and quantizes "
           "vocabularies)">,
  ];
  let dependentDialects = ["::mlir::qembed::QEmbedDialect",
                           "::mlir::arith::ArithDialect"];
}

def QEmbedExpandGathers : Pass<"qembed-expand-gathers"> {
  let summary = "Unfuse qembed.gather into dequantize + dense lookup";
  let description = [{
    Rewrites each fused `qembed.gather` into a `qembed.dequantize` of the
    whole table followed by a dense `qembed.lookup`. This is the reference
    form the fused gather is tested against: with constant operands,
    `--canonicalize` folds the dequantize through the numerics library into
    a dense table, so the lookup then reads reference values. It is also a
    fallback for backends that want a dense table (at the cost of memory).

    Before:

    ```mlir
    %r = qembed.gather %p[%ids] scales(%s) scheme <...>
        : tensor<100x16xi32>, tensor<100x2xf32>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```

    After:

    ```mlir
    %t = qembed.dequantize %p scales(%s) scheme <...>
        : tensor<100x16xi32>, tensor<100x2xf32> -> tensor<100x128xf32>
    %r = qembed.lookup %t[%ids]
        : tensor<100x128xf32>, tensor<?xi64> -> tensor<?x128xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qembed::QEmbedDialect"];
}

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_PASSES_TD
