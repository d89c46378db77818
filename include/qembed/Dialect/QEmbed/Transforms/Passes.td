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

    EmbeddingBag: Torch-MLIR's lowering of `torch.nn.EmbeddingBag(mode="sum")`
    (the fx importer's `linalg-on-tensors` output, and IREE's
    `--compile-to=input`; 2-D input of fixed bags included, whose offsets are
    computed and whose ids are collapsed before it) becomes
    `qembed.lookup_bags ... mode(sum)`: a `linalg.generic` with inputs ids
    `(d0, d1, d2) -> (d1)` and offsets `-> (d0)`, output `-> (d0, d2)`
    initialised by `linalg.fill` of +0.0, loops (bag parallel, id reduction,
    column parallel) and body `select(offsets[b] <= i < end_b,
    addf(tensor.extract %table[%id, %col], %out), %out)`, `end_b` being
    `offsets[b + 1]` and the id count for the last bag. For f16/bf16 tables
    this changes the accumulation from the generic's (in the table type) to
    f32 (what PyTorch's CPU `embedding_bag` does). With `remarks=true` other
    bag-shaped generics (a max reduction, weighted values, a table that is
    not a constant, another bag condition) get `not raised to
    qembed.lookup_bags: <why>`. `torch.aten.embedding_bag*` ops still in the
    torch dialect always get a remark naming the options Torch-MLIR cannot
    lower (`mode="mean"`, `"max"`, `include_last_offset`, `padding_idx`:
    its conversion fails on them) and warning that it drops
    `per_sample_weights` (it lowers them as a plain sum).

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
    with a `qembed.gather` that reads packed words and scales (a
    `qembed.lookup_bags` becomes a `qembed.gather_bags`). Quantization
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

    With `format=fp8|nvfp4|mxfp4` the codes are floats (see
    `#qembed.scheme`), bit-exact with compressed-tensors 0.20: after
    `format=nvfp4`,

    ```mlir
    %p = arith.constant dense<...> : tensor<100x16xi32>
    %s = arith.constant dense<...> : tensor<100x8xf8E4M3FN>
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN,
                format = nvfp4, global_scale = 1.2e+03>
        : tensor<100x16xi32>, tensor<100x8xf8E4M3FN>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```

    Tables it refuses, with an error on the constant (the pass fails):

    * a table holding NaN or +-Inf: the error names the row and column of
      the first one (row-major), e.g. `element at row 1, column 2 is NaN`.
      compressed-tensors 0.20 quantizes such a table without a word and
      the group holding the value dequantizes to NaN (see the README).
    * a table whose scale overflows the scale type, e.g. an f32 table with
      values beyond 65504 * qmax quantized with `scale-type=f16`: the error
      names the row; the row would otherwise dequantize to NaN.
    * a table larger than `max-table-bytes` (default 2^34 bytes = 16 GiB).

    `format=vq` quantizes with codebook vector quantization instead
    (`#qembed.codebook`, `qembed.codebook_gather`): per-row f16 RMS scales
    (refit by least squares after encoding), vectors of `vq-dim` columns,
    `vq-stages` residual codebooks of `vq-entries` entries per column group
    (`vq-groups`), trained by k-means++ and `vq-iterations` Lloyd
    iterations on a sample of rows drawn with `seed` (the output depends
    only on the table and the options). A table whose row length `vq-dim`
    (or whose vector count `vq-groups`) does not divide stays dense with a
    remark; tables with NaN/Inf or a row RMS beyond f16 are errors; a
    splat table is expanded (within `max-table-bytes`) and quantized like
    any other. `format=vq` (`vq-dim=4 vq-entries=256`):

    ```mlir
    %c = arith.constant dense<...> : tensor<100x16xi32>
    %s = arith.constant dense<...> : tensor<100x1xf16>
    %b = arith.constant dense<...> : tensor<1x1x256x4xf16>
    %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b)
        codebook <dim = 4, entries = 256, stages = 1, groups = 1>
        : tensor<100x16xi32>, tensor<100x1xf16>, tensor<1x1x256x4xf16>,
          tensor<?xi64> -> tensor<?x128xf32>
    ```

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
    Option<"format", "format", "std::string", /*default=*/"\"int\"",
           "Code format: int; the float formats fp8, nvfp4, mxfp4 "
           "(compressed-tensors 0.20 FP8 / NVFP4A16 / MXFP4A16), which fix "
           "bits (8 / 4 / 4), group-size (0 / 16 / 32), symmetric and the "
           "scale type (other explicit values are errors); or vq (codebook "
           "vector quantization, options vq-*)">,
    Option<"perTensor", "per-tensor", "bool", /*default=*/"false",
           "format=fp8 only: one scale for the whole table (the FP8 preset; "
           "stored once per row) instead of one per row">,
    Option<"vqDim", "vq-dim", "unsigned", /*default=*/"4",
           "format=vq: columns per vector (1..64)">,
    Option<"vqEntries", "vq-entries", "int64_t", /*default=*/"256",
           "format=vq: entries per codebook, a power of two in [2, 65536]">,
    Option<"vqStages", "vq-stages", "unsigned", /*default=*/"1",
           "format=vq: residual codebook stages (1..8)">,
    Option<"vqGroups", "vq-groups", "int64_t", /*default=*/"1",
           "format=vq: column groups with their own codebooks">,
    Option<"vqIterations", "vq-iterations", "unsigned", /*default=*/"16",
           "format=vq: Lloyd iterations per codebook (0..1000)">,
    Option<"vqCodebookType", "vq-codebook-type", "std::string",
           /*default=*/"\"f16\"", "format=vq: codebook element type (f16, "
           "bf16, f32)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "format=vq: seed of the row sample and k-means++">,
  ];
  let dependentDialects = ["::mlir::qembed::QEmbedDialect",
                           "::mlir::arith::ArithDialect"];
}

def QEmbedQuantizeGlobals : Pass<"qembed-quantize-globals",
                                  "::mlir::ModuleOp"> {
  let summary = "Quantize embedding tables held in IREE globals and "
                "parameter archives";
  let description = [{
    Quantizes the embedding tables that iree-turbine (`aot.export`) and
    `iree-compile --compile-to=input` keep in IREE globals rather than in
    `arith.constant`s. IREE's dialects are not loaded by qembed: the module
    is parsed in generic form with unregistered dialects allowed
    (`--allow-unregistered-dialect`), and the pass recognises the ops by
    name: `"util.global"` (attributes `sym_name`, `type`, `initial_value`;
    `is_mutable` absent) and `"util.global.load"` (attribute `global`).

    A global is a table when one of its loads is read by an embedding
    lookup (the patterns of `--qembed-raise-lookups`); other globals (the
    weights of linear layers) are not touched. For each table:

    * an inline initial value (`dense` or `dense_resource`) is quantized as
      `--qembed-quantize` quantizes a constant (same options, same numerics)
      and new immutable globals `@<name>.qembed_packed`,
      `@<name>.qembed_scales` (and `@<name>.qembed_zero_points`) hold the
      result;
    * a parameter (`#flow.parameter.named<"scope"::"key">` or
      `#stream.parameter.named<...>`) is read from the archive given for its
      scope in `parameters` (IRPA, safetensors or GGUF); the packed tensors are
      written to `output-parameters` (IRPA for `.irpa`, safetensors for
      `.safetensors`) under the keys `<key>.qembed_packed`,
      `<key>.qembed_scales`, `<key>.qembed_zero_points`, and the new globals
      name them in scope `output-scope` (default: the table's scope).

    With `format=fp8|nvfp4|mxfp4` (and `per-tensor`; the options and their
    checks are those of `--qembed-quantize`), the codes and scales are those
    of `--qembed-quantize` for that format. The f8 scales of nvfp4 (E4M3)
    and mxfp4 (E8M0) are stored as their bytes, in `i8` globals and `I8`
    archive entries (IREE 3.13 handles no f8 globals or constants), loaded
    and `arith.bitcast` back to their f8 type for the gather, a cast the
    lowerings (`--qembed-to-linalg`, `--qembed-to-iree`) remove again. The
    NVFP4 per-tensor global scale is part of the gather's scheme
    (`global_scale`), a constant of the program rather than a global.

    With `format=vq` (and the `vq-*` options and `seed` of
    `--qembed-quantize`), a table is quantized with codebook VQ as
    `--qembed-quantize format=vq` quantizes a constant: new globals (or
    archive entries) `<name>.qembed_codes` (i32 words),
    `<name>.qembed_scales` (f16, one per row) and `<name>.qembed_codebooks`
    (groups x stages x entries x dim), read by `qembed.codebook_gather`s.

    The lookups become `qembed.gather`s of `util.global.load`s of the new
    globals. A table that also has other uses (an lm_head tied to the
    embedding) keeps its global and a load of it for those uses; a table
    global left without loads is erased.

    Tables left dense, each with a remark `table left dense: <why>` (the
    pass succeeds): a mutable global, a global without an initial value, a
    name not matching `tables` (a regular expression searched in the
    global's name and, for parameters, in the parameter key), the reasons
    of `--qembed-quantize` (`min-rows`, `min-table-bytes`, a group size not
    dividing the row length). Errors (the pass fails): bad options, a
    parameter whose scope has no archive in `parameters`, an archive that is
    missing or unreadable, a key missing from it, an entry whose dtype,
    shape (safetensors, GGUF) or byte size (IRPA) does not match the
    global's type, one packed key from parameters of two scopes, an output archive
    that cannot be written, and the errors of `--qembed-quantize` (NaN/Inf,
    overflowing scales, size limits).

    Before (`--compile-to=input` output of an iree-turbine export with
    externalized parameters, generic form):

    ```mlir
    "util.global"() <{initial_value = #flow.parameter.named<"model"::"embed.weight">
        : tensor<512x64xf32>, sym_name = "embed", sym_visibility = "private",
        type = tensor<512x64xf32>}> : () -> ()
    ...
    %t = "util.global.load"() <{global = @embed}> : () -> tensor<512x64xf32>
    %r = linalg.generic ... { tensor.extract %t[%row, %col] ... }
    ```

    After (`parameters=model=model.irpa output-parameters=q.irpa`; q.irpa
    holds `embed.weight.qembed_packed` and `embed.weight.qembed_scales`):

    ```mlir
    "util.global"() <{initial_value = #flow.parameter.named<"model"::"embed.weight.qembed_packed">
        : tensor<512x8xi32>, sym_name = "embed.qembed_packed", ...}> : () -> ()
    "util.global"() <{initial_value = #flow.parameter.named<"model"::"embed.weight.qembed_scales">
        : tensor<512x1xf32>, sym_name = "embed.qembed_scales", ...}> : () -> ()
    ...
    %p = "util.global.load"() <{global = @embed.qembed_packed}> : () -> tensor<512x8xi32>
    %s = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<512x1xf32>
    %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, ...>
    ```

    Run the result through `--qembed-to-linalg` (or `--qembed-to-iree`)
    before `iree-compile --compile-from=input`, and give `iree-run-module`
    both archives: `--parameters=model=model.irpa --parameters=model=q.irpa`.
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
           "Tables with fewer rows stay dense, with a remark">,
    Option<"tables", "tables", "std::string", /*default=*/"\"\"",
           "Quantize only tables whose global name or parameter key "
           "contains a match of this regular expression (empty: all)">,
    ListOption<"parameters", "parameters", "std::string",
               "Parameter archives to read, as scope=path (IRPA, "
               "safetensors or GGUF), comma-separated">,
    Option<"outputParameters", "output-parameters", "std::string",
           /*default=*/"\"\"",
           "Archive (.irpa or .safetensors) receiving the packed tensors "
           "of parameter tables">,
    Option<"outputScope", "output-scope", "std::string", /*default=*/"\"\"",
           "Scope of the new parameters (empty: the table's scope)">,
    Option<"format", "format", "std::string", /*default=*/"\"int\"",
           "Code format, as for --qembed-quantize: int, or the float formats "
           "fp8, nvfp4, mxfp4, which fix bits (8 / 4 / 4), group-size "
           "(0 / 16 / 32), symmetric and the scale type (other explicit "
           "values are errors)">,
    Option<"perTensor", "per-tensor", "bool", /*default=*/"false",
           "format=fp8 only: one scale for the whole table (stored once per "
           "row) instead of one per row">,
    Option<"vqDim", "vq-dim", "unsigned", /*default=*/"4",
           "format=vq: columns per vector (1..64)">,
    Option<"vqEntries", "vq-entries", "int64_t", /*default=*/"256",
           "format=vq: entries per codebook, a power of two in [2, 65536]">,
    Option<"vqStages", "vq-stages", "unsigned", /*default=*/"1",
           "format=vq: residual codebook stages (1..8)">,
    Option<"vqGroups", "vq-groups", "int64_t", /*default=*/"1",
           "format=vq: column groups with their own codebooks">,
    Option<"vqIterations", "vq-iterations", "unsigned", /*default=*/"16",
           "format=vq: Lloyd iterations per codebook (0..1000)">,
    Option<"vqCodebookType", "vq-codebook-type", "std::string",
           /*default=*/"\"f16\"", "format=vq: codebook element type (f16, "
           "bf16, f32)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "format=vq: seed of the row sample and k-means++">,
  ];
  let dependentDialects = ["::mlir::qembed::QEmbedDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QEmbedExpandGathers : Pass<"qembed-expand-gathers"> {
  let summary = "Unfuse qembed.gather into dequantize + dense lookup";
  let description = [{
    Rewrites each fused `qembed.gather` into a `qembed.dequantize` of the
    whole table followed by a dense `qembed.lookup` (each
    `qembed.gather_bags` into one followed by `qembed.lookup_bags`). This is
    the reference form the fused gather is tested against: with constant
    operands,
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
