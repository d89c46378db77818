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
    Ids are clamped to `[0, V)`; a table whose row count is dynamic gets a
    `cf.assert` that it is not empty. `qembed.quantize` / `qembed.pack` on
    non-constant tables have no lowering and make the pass fail.

    A `qembed.gather` of integer codes that never straddle words (2, 4, 8
    bits...) whose row width and group size are multiples of 16 becomes a
    generic over (id, chunk, lane) of 16 values per chunk, collapsed back to
    (id, column): the chunk's words (2 for W4, 4 for W8) are extracted with
    indices that do not depend on the lane, each lane's word is chosen with
    `arith.select` on its word number and its shift read from a constant
    operand indexed by the lane, so IREE llvm-cpu's vectorizer emits
    broadcast loads, blends and vector shifts instead of one gathered load
    per value. Other gathers
    (3/5/6/7 bits, group 8, float formats) keep one generic over
    (id, column) as below.

    `qembed.gather_bags` / `qembed.lookup_bags` become a `linalg.generic`
    over (bag, column) whose body finds the bag's ids from the offsets and
    runs an `scf.for` over them only, dequantizing (or reading) the element
    of each clamped row and accumulating it in f32; the sum is rounded to
    the result type, and `mean` divides it by the bag's id count in f32.

    Before:

    ```mlir
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x16xi32>, tensor<100x2xf32>, tensor<?xi64>
        -> tensor<?x128xf32>
    ```

    After (16-value chunks: 2 words each, scale column = chunk / 4):

    ```mlir
    %shifts = arith.constant dense<[0, 4, ..., 28, 0, 4, ..., 28]> : tensor<16xi32>
    %words = arith.constant dense<[0, ..., 0, 1, ..., 1]> : tensor<16xi32>
    %g = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0)>,
                                          affine_map<(d0, d1, d2) -> (d2)>,
                                          affine_map<(d0, d1, d2) -> (d2)>,
                                          affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                         iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%ids, %shifts, %words : tensor<?xi64>, tensor<16xi32>, tensor<16xi32>)
        outs(%init : tensor<?x8x16xf32>) {
    ^bb0(%id: i64, %shift: i32, %word: i32, %out: f32):
      // clamp id; %chunk = linalg.index 1
      %w0 = tensor.extract %p[%row, %i0] : tensor<100x16xi32>  // word 2*chunk
      %w1 = tensor.extract %p[%row, %i1] : tensor<100x16xi32>  // word 2*chunk+1
      %w = arith.select %odd, %w1, %w0 : i32  // %odd: bit 0 of %word
      %c = arith.shrui %w, %shift : i32       // & 15, then as below
      %sc = tensor.extract %s[%row, %grp] : tensor<100x2xf32>
      %v = arith.mulf %qf, %sc : f32
      linalg.yield %v : f32
    } -> tensor<?x8x16xf32>
    %r = tensor.collapse_shape %g [[0], [1, 2]]
        : tensor<?x8x16xf32> into tensor<?x128xf32>
    ```

    The element-by-element form (e.g. group_size = 8):

    ```mlir
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%ids : tensor<?xi64>) outs(%init : tensor<?x128xf32>) {
    ^bb0(%id: i64, %out: f32):
      // clamp id, word = %p[row, col / 8], code = (word >> 4*(col % 8)) & 15
      %w = tensor.extract %p[%row, %wi] : tensor<100x16xi32>
      ...
      %sc = tensor.extract %s[%row, %g] : tensor<100x16xf32>
      %v = arith.mulf %qf, %sc : f32
      linalg.yield %v : f32
    } -> tensor<?x128xf32>
    ```
  }];
  let options = [
    Option<"chunkedGathers", "chunked-gathers", "bool", /*default=*/"true",
           "Lower 2/4/8-bit gathers whose row width and group size are "
           "multiples of 16 in 16-value chunks (false: the element-by-element "
           "form for every gather, as before)">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::scf::SCFDialect"];
}

def ConvertQEmbedGatherToGPU : Pass<"qembed-gather-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower qembed.buffer_gather to a GPU kernel and its launch";
  let description = [{
    Replaces every `qembed.buffer_gather` with a `gpu.launch_func` of a
    `gpu.func` kernel (in a `gpu.module @qembed_kernels`) that reads the packed
    rows of the gathered ids and writes dequantized rows.

    The kernel body is the one `--qembed-to-iree` and `qembed.torch` use
    (lib/Conversion/QEmbedToGPU/GatherKernel.cpp), here with memref
    arguments. Work is split in slices: the codes of 16 bytes of output (8
    f16/bf16 or 4 f32 values). Consecutive threads take consecutive slices of
    a row, so a warp's packed-word loads and its 16-byte `vector.store`s are
    contiguous; each thread handles `unroll` slices `gridDim * blockDim`
    apart per loop iteration and issues all their loads (id, words, scales,
    zero points) before any store. Codes become floats through the 2^23
    mantissa trick; one scale is loaded per group a slice touches (per code
    when group boundaries fall inside slices). Threads walk the
    `tokens x D/slice` slices over at most `max-blocks` blocks; address
    arithmetic is 64-bit (index), so tables larger than 2^31 bytes work.
    The arithmetic is that of `qembed.gather`: `(q - zp) * scale` in f32,
    rounded to the scale type, converted to the output type. D must be a
    multiple of the slice (8 for f16/bf16, 4 for f32); ids are clamped into
    `[0, V)`; nothing is launched for zero tokens.

    Before:

    ```mlir
    qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <...>
        : memref<?x512xi32>, memref<?x64xf16>, memref<?xi64>,
          memref<?x4096xf16>
    ```

    After:

    ```mlir
    gpu.launch_func @qembed_kernels::@gather_0 blocks in (%nb, %c1, %c1)
        threads in (%c256, %c1, %c1)
        args(%p : memref<?x512xi32>, %s : memref<?x64xf16>,
             %ids : memref<?xi64>, %out : memref<?x4096xf16>, %n : index)
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
    Option<"maxBlocks", "max-blocks", "int64_t", /*default=*/"2147483647",
           "Largest grid; threads loop over the rest (default: no cap, one "
           "pass, the fastest measured on H100)">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"2",
           "Slices per thread and loop iteration, loaded before any store">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def ConvertQEmbedToIREE : Pass<"qembed-to-iree", "::mlir::ModuleOp"> {
  let summary = "Hand quantized lookups to IREE: qembed's CUDA kernel as a "
                "custom dispatch, or upstream linalg for other targets";
  let description = [{
    Prepares a module at IREE's input level (what
    `iree-compile --compile-to=input --mlir-print-op-generic` prints, after
    `--quantize-embeddings`) for `iree-compile --compile-from=input`.

    With `target=cuda`, every `qembed.gather` becomes a `flow.dispatch` of
    qembed's own gather kernel instead of IREE's codegen of it: the kernel
    (the generator of `--qembed-gather-to-gpu`, in its bare-pointer ABI) is
    lowered in-process through NVVM to PTX for `chip` and embedded inline in
    a `hal.executable.source` (the module stays hermetic). IREE's CUDA ABI
    passes the bindings (packed words, scales, zero points, ids, output) as
    non-aliasing pointers and then the i32 push constants (tokens, rows); the
    workgroup count is `max(1, ceil(tokens * slices / (block-size *
    unroll)))` (CUDA rejects empty grids; with zero tokens the kernel does
    nothing). N-D ids are flattened around the dispatch. Other qembed
    ops (a tied table's `qembed.dequantize`, `qembed.lookup`) are lowered as
    `--qembed-to-linalg` lowers them; everything else is left untouched.

    Every `qembed.gather_bags` likewise becomes a `flow.dispatch` of
    qembed's bag kernel (lib/Conversion/QEmbedToGPU/GatherBagsKernel.cpp):
    bindings packed words, scales, [zero points], ids, offsets, output; push
    constants ids count, bags, rows; one thread per 16-byte output slice of
    a bag (8 f16/bf16 or 4 f32 columns; one column when D does not split
    into slices) walks the bag's ids, dequantizes with the gather kernel's
    arithmetic and accumulates in f32 (explicitly rounded PTX, no fused
    multiply-add: the numerics of lib/Numerics/Bags.h); workgroup count
    `max(1, ceil(bags * D / (slice * block-size)))`. Ids or offsets that are not i32 or
    i64 are an error.

    Every `qembed.codebook_gather` (codebook VQ) likewise becomes a
    `flow.dispatch` of qembed's codebook kernel
    (lib/Conversion/QEmbedToGPU/CodebookKernel.cpp, the reference
    arithmetic of `#qembed.codebook`): bindings codes, scales, codebooks
    (the codebook tensor as a whole, staged in shared memory when it fits in
    48 KiB), ids, output; push constants tokens, rows; N-D ids flattened as
    for `qembed.gather`; workgroup count
    `max(1, min(ceil(tokens * units / (block * per-thread)), cap))` where a
    unit is a chunk of vectors of the kernel's packed path (`unroll` chunks
    per thread) or one vector, `block` is `vq-block-size` or the
    generator's choice, and `cap` is `vq-max-workgroups` or one wave of
    resident workgroups.

    ```mlir
    %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b)
        codebook <dim = 4, entries = 256, stages = 1, groups = 1>
        : tensor<128256x256xi32>, tensor<128256x1xf16>,
          tensor<1x1x256x4xf16>, tensor<?xi64> -> tensor<?x4096xf16>
    // becomes
    %r = "flow.dispatch"(%n, %n32, %rows32, %c, %s, %b, %ids, %n, %n)
        {entry_points = [@qembed_vq_gather_d4_k256_...::@qembed_vq_gather_d4_k256_...], ...}
        : (index, i32, i32, tensor<128256x256xi32>, tensor<128256x1xf16>,
           tensor<1x1x256x4xf16>, tensor<?xi64>, index, index)
        -> tensor<?x4096xf16>
    ```

    With `target=cpu` the pass is `--qembed-to-linalg`.

    The IREE ops are not registered in qembed: run with
    `--allow-unregistered-dialect`. A gather the kernel cannot serve (a row
    length that is not a multiple of 16 output bytes, index-typed or rank-0
    ids, dynamic row lengths) is an error, not a silent fallback; so are a
    negative `vq-max-workgroups` and a `vq-block-size` the kernel rejects.

    Before (`target=cuda chip=sm_90`):

    ```mlir
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f16>
        : tensor<128256x2048xi32>, tensor<128256x64xf16>, tensor<?xi64>
        -> tensor<?x4096xf16>
    ```

    After:

    ```mlir
    "hal.executable.source"() ({
      "hal.executable.export"() ({
      ^bb0(%device: !hal.device, %tokens: index):
        %n = affine.max affine_map<()[s0] -> ((s0 * 512) ceildiv 512, 1)>()[%tokens]
        "hal.return"(%n, %c1, %c1) : (index, index, index) -> ()
      }, {}) {layout = #hal.pipeline.layout<constants = 2, bindings = [...]>,
              sym_name = "qembed_gather_w4_g64_...", workgroup_size = [256 : index, 1 : index, 1 : index], ...}
      "hal.executable.source_end"() : () -> ()
    }) {objects = #hal.executable.objects<{#hal.executable.target<"cuda", "cuda-nvptx-fb"> =
          [#hal.executable.object<{data = dense<"0x2F2F..."> : vector<...xi8>}>]}>, ...}
    %r = "flow.dispatch"(%n, %n32, %rows32, %p, %s, %ids, %n, %n)
        {entry_points = [@qembed_gather_w4_g64_...::@qembed_gather_w4_g64_...], ...}
        : (index, i32, i32, tensor<128256x2048xi32>, tensor<128256x64xf16>, tensor<?xi64>, index, index)
        -> tensor<?x4096xf16>
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "IREE target: cuda (qembed's kernel as a custom dispatch) or cpu "
           "(upstream linalg, IREE's codegen)">,
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "NVIDIA chip the PTX is emitted for (target=cuda)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the kernel (target=cuda)">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"2",
           "Slices per thread and loop iteration of the gather kernel "
           "(target=cuda)">,
    Option<"vqUnroll", "vq-unroll", "int64_t", /*default=*/"0",
           "Chunks per thread and loop iteration of the codebook kernel's "
           "packed path (target=cuda; 0: the generator's choice, 0..8)">,
    Option<"vqBlockSize", "vq-block-size", "int64_t", /*default=*/"0",
           "Threads per block of the codebook VQ kernel (target=cuda; 0: "
           "the generator's choice, larger blocks for larger codebooks)">,
    Option<"vqMaxWorkgroups", "vq-max-workgroups", "int64_t",
           /*default=*/"0",
           "Most workgroups of a codebook VQ dispatch (target=cuda; each "
           "stages the codebooks once, a grid-stride loop covers the rest; "
           "0: one wave of resident workgroups on a 132-SM H100 / H200, "
           "132 * 2048 / block size)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::cf::ControlFlowDialect"];
}

def QEmbedGPUStageBuffers : Pass<"qembed-gpu-stage-buffers", "::mlir::ModuleOp"> {
  let summary = "Move the host buffers of bufferized gathers to the GPU";
  let description = [{
    Bufferizing a tensor-level function leaves each lookup as a
    `qembed.buffer_gather` marked `qembed.host_buffers`: its table, ids and
    output are host memory. This pass gives such a gather device buffers so
    that `--qembed-gather-to-gpu` can launch it, keeping the function's
    interface (host tensors in, host tensors out):

    * a table read from a constant `memref.global` (what bufferization makes
      of `arith.constant`) goes through `qembedDeviceConstant_<type>`, a
      runtime function (runtime/cuda) that uploads it at the first call and
      returns the same device copy on every later call (`<type>`: i32, f32,
      f16, bf16, i8, f8E4M3FN or f8E8M0FNU, the last two NVFP4 / MXFP4
      scales uploaded as bytes; constants of other ranks or types are copied
      like other inputs);
    * any other input (the ids, a table passed in) is copied to a
      `gpu.alloc` buffer on each call;
    * the output is written to a `gpu.alloc` buffer and copied back into the
      host buffer after the gather.

    The copies run on one stream (async tokens from `gpu.wait async`),
    waited for before the launch and after the copy back. Buffers must have an
    identity layout (bufferization with identity function boundaries gives
    that); anything else is an error.

    Before:

    ```mlir
    %p = memref.get_global @packed : memref<100x16xi32>
    qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <...>
        {qembed.host_buffers} : ...
    ```

    After:

    ```mlir
    %pc = memref.cast %p : memref<100x16xi32> to memref<?x?xi32>
    %pd = call @qembedDeviceConstant_i32(%pc) : (memref<?x?xi32>) -> memref<?x?xi32>
    %dp = memref.cast %pd : memref<?x?xi32> to memref<100x16xi32>
    %t0 = gpu.wait async
    %di, %t1 = gpu.alloc async [%t0] (%n) : memref<?xi64>
    %t2 = gpu.memcpy async [%t1] %di, %ids : memref<?xi64>, memref<?xi64>
    %do, %t3 = gpu.alloc async [%t2] (%n) : memref<?x128xf32>
    gpu.wait [%t3]
    qembed.buffer_gather %dp[%di] scales(%ds) into %do scheme <...> : ...
    %t4 = gpu.wait async
    %t5 = gpu.memcpy async [%t4] %out, %do : memref<?x128xf32>, memref<?x128xf32>
    %t6 = gpu.dealloc async [%t5] %di : memref<?xi64>
    %t7 = gpu.dealloc async [%t6] %do : memref<?x128xf32>
    gpu.wait [%t7]
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def QEmbedVerifyLowered : Pass<"qembed-verify-lowered", "::mlir::ModuleOp"> {
  let summary = "Fail unless only LLVM dialect and GPU binaries remain";
  let description = [{
    The last step of `--qembed-gpu-pipeline` and `--qembed-cpu-pipeline`:
    an op that the pipeline could not place (a qembed op, a tensor, an op of
    a dialect no lowering handled) is an error naming it, so a pipeline
    never exits 0 with a half-lowered module. Allowed: `builtin.module`,
    the `llvm` dialect, `gpu.binary` and `gpu.launch_func` on LLVM-typed
    operands (the translation to LLVM IR lowers it to runtime calls), and
    `omp` dialect ops on LLVM-typed operands (`--qembed-cpu-pipeline
    parallel=true`; the translation outlines them into OpenMP runtime
    calls).
  }];
}

def QEmbedCheckGPUOptions : Pass<"qembed-check-gpu-options", "::mlir::ModuleOp"> {
  let summary = "Validate the options of --qembed-gpu-pipeline";
  let description = [{
    The first step of `--qembed-gpu-pipeline`: rejects, with an error and
    before any work, a chip qembed cannot emit PTX for (`sm_75` ...
    `sm_120a`; not `sm_20`, not an AMD `gfx` target, not empty), a format
    other than `isa`, `bin` or `fatbin`, a block size outside 32..1024 or
    not a multiple of 32, an unroll outside 1..16. Upstream's NVVM pipeline
    would otherwise crash, abort or emit code that cannot run on them.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"", "GPU chip">,
    Option<"format", "format", "std::string", /*default=*/"\"fatbin\"",
           "isa, bin or fatbin">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"2",
           "Slices per thread and iteration">,
  ];
}

def ConvertQEmbedGatherToVector : Pass<"qembed-gather-to-vector"> {
  let summary = "Lower qembed.gather to vector code per row chunk (CPU)";
  let description = [{
    The CPU lowering of `--qembed-cpu-pipeline`: each `qembed.gather`
    whose codes never straddle words (2, 4 or 8 bits) becomes a loop over
    the ids and, per row, over chunks of `vector-size` columns (each inside
    one scale group): one vector read of the chunk's packed words, a
    shuffle that gives each column its word, shifts and a mask by column
    (constant vectors), the 2^23 trick and one multiply by the group's
    scale, and one vector write of the dequantized chunk. The arithmetic is
    `--qembed-to-linalg`'s, so results are bit-identical to it and to the
    reference dequantization. Ids are clamped to `[0, V)`.

    A gather it leaves for `--qembed-to-linalg` (element by element) gets a
    remark `qembed.gather not vectorized: <why>`: 3, 5, 6 or 7-bit codes,
    a row length or group size that `vector-size` does not divide (after
    halving it down to the codes per word), a table with a dynamic row
    count, 0-d ids.

    Before:

    ```mlir
    %r = qembed.gather %p[%ids] scales(%s)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f16>
        : tensor<1000x512xi32>, tensor<1000x64xf16>, tensor<?xi64>
        -> tensor<?x4096xf16>
    ```

    After (`vector-size=64`):

    ```mlir
    %r = scf.for %t = %c0 to %n step %c1 iter_args(%acc = %init) {
      %row = ... clamp of %ids[%t] ...
      %rr = scf.for %c = %c0 to %c4096 step %c64 iter_args(%a = %acc) {
        %w = vector.transfer_read %p[%row, %wi], %c0_i32 {in_bounds = [true]}
            : tensor<1000x512xi32>, vector<8xi32>
        %x = vector.shuffle %w, %w [0, 0, 0, 0, 0, 0, 0, 0, 1, ...]
            : vector<8xi32>, vector<8xi32>
        %q = arith.andi (arith.shrui %x, dense<[0, 4, 8, ...]>), dense<15>
        ...
        %v = arith.truncf %prod : vector<64xf32> to vector<64xf16>
        %a2 = vector.transfer_write %v, %a[%t, %c] {in_bounds = [true]}
            : vector<64xf16>, tensor<?x4096xf16>
        scf.yield %a2 : tensor<?x4096xf16>
      }
      scf.yield %rr : tensor<?x4096xf16>
    }
    ```

    With `parallel=true` the last dimension of the ids is split into
    blocks of `rows-per-task` ids (0, the default: 256), and an `scf.forall`
    runs one block (and one index of the other id dimensions) per
    iteration, each writing its own rows of the result
    (`tensor.parallel_insert_slice`); the per-row code is the same. A
    gather of at most `rows-per-task` ids in all takes the serial loops
    instead (`scf.if` on the id count), so tiny gathers never start
    threads. `--qembed-cpu-pipeline parallel=true` turns the `scf.forall`
    into an OpenMP parallel loop. After (`parallel=true rows-per-task=64`):

    ```mlir
    %n = tensor.dim %ids, %c0 : tensor<?xi64>
    %init = tensor.empty(%n) : tensor<?x4096xf16>
    %small = arith.cmpi ule, %n, %c64 : index
    %r = scf.if %small -> (tensor<?x4096xf16>) {
      %s = scf.for %t = %c0 to %n step %c1 iter_args(%acc = %init) {
        ... the rows as above ...
      }
      scf.yield %s : tensor<?x4096xf16>
    } else {
      %blocks = arith.divui (%n + 63), %c64 : index
      %f = scf.forall (%k) in (%blocks) shared_outs(%out = %init) {
        %lo = arith.muli %k, %c64 : index
        %cnt = arith.minui %c64, (%n - %lo) : index
        %slice = tensor.extract_slice %out[%lo, 0] [%cnt, 4096] [1, 1]
        %rows = scf.for %t = %c0 to %cnt step %c1 iter_args(%acc = %slice) {
          ... %ids[%lo + %t], the rows as above, written at [%t, %c] ...
        }
        scf.forall.in_parallel {
          tensor.parallel_insert_slice %rows into %out[%lo, 0] [%cnt, 4096] [1, 1]
        }
      }
      scf.yield %f : tensor<?x4096xf16>
    }
    ```

    A gather left for `--qembed-to-linalg` stays serial; with
    `parallel=true` its remark ends with `, on one thread`.

    Ids of rank 2 (`[batch, seq]`) give `scf.forall (%i, %k) in (%batch,
    %blocks)` and rank-reduced slices `%out[%i, %lo, 0] [1, %cnt, 4096]`.
    Bad options are errors: `vector-size` not a power of 2 in [8, 256],
    `rows-per-task` negative or above 2^31, a non-zero `rows-per-task`
    without `parallel=true`.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"64",
           "Columns per vector (a power of 2 in [8, 256])">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Loop over blocks of ids with scf.forall (the default is a serial "
           "loop nest over the ids)">,
    Option<"rowsPerTask", "rows-per-task", "int64_t", /*default=*/"0",
           "parallel=true: ids per scf.forall iteration (0: 256); gathers of "
           "at most this many ids stay serial">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QEMBED_CONVERSION_PASSES_TD
