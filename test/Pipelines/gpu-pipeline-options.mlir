// Options of --qembed-gpu-pipeline are checked before any work: each bad
// value is an error (before, an empty chip crashed, sm_100 aborted in LLVM,
// sm_20 / gfx90a / block-size=1025 gave code that cannot run, format=foo
// exited 0, a huge unroll ran out of memory).
// RUN: not qembed-opt %s --qembed-gpu-pipeline="chip=" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not qembed-opt %s --qembed-gpu-pipeline="chip=sm_20" 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not qembed-opt %s --qembed-gpu-pipeline="chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=AMD
// RUN: not qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=foo" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not qembed-opt %s --qembed-gpu-pipeline="block-size=1025" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not qembed-opt %s --qembed-gpu-pipeline="block-size=9223372036854775807" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not qembed-opt %s --qembed-gpu-pipeline="unroll=1099511627776" 2>&1 | FileCheck %s --check-prefix=UNROLL
// RUN: not qembed-opt %s --qembed-gather-to-gpu="unroll=1099511627776" 2>&1 | FileCheck %s --check-prefix=PASS-UNROLL
// sm_100 is supported (PTX 8.6) and must not abort.
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_100 format=isa" | FileCheck %s --check-prefix=SM100

// EMPTY: error: --qembed-gpu-pipeline: unknown or unsupported GPU chip ''
// OLD: error: --qembed-gpu-pipeline: unknown or unsupported GPU chip 'sm_20'
// AMD: error: --qembed-gpu-pipeline: unknown or unsupported GPU chip 'gfx90a'
// FORMAT: error: --qembed-gpu-pipeline: format must be isa, bin or fatbin, got 'foo'
// BLOCK: error: --qembed-gpu-pipeline: block-size must be a multiple of 32 in 32..1024
// UNROLL: error: --qembed-gpu-pipeline: unroll must be in 1..16, got 1099511627776
// PASS-UNROLL: error: --qembed-gather-to-gpu: block-size must be in 1..1024, max-blocks positive and unroll in 1..16
// SM100: gpu.binary @qembed_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_100", features = "+ptx86">

func.func @g(%p: memref<?x16xi32>, %s: memref<?x2xf16>, %ids: memref<?xi64>, %out: memref<?x128xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x16xi32>, memref<?x2xf16>, memref<?xi64>, memref<?x128xf16>
  return
}
