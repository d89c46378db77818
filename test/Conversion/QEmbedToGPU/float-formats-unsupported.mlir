// The GPU kernel generator does not handle the float formats yet: a
// qembed.buffer_gather of one is an error, never an integer kernel.
// RUN: qembed-opt %s --split-input-file --qembed-gather-to-gpu --verify-diagnostics

func.func @nvfp4(%p: memref<10x8xi32>, %s: memref<10x4xf8E4M3FN>, %ids: memref<3xi64>, %out: memref<3x64xf16>) {
  // expected-error @+1 {{GPU lowering supports only format int, got format nvfp4 (lower it with --qembed-to-linalg)}}
  qembed.buffer_gather %p[%ids] scales(%s) into %out
      scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0>
      : memref<10x8xi32>, memref<10x4xf8E4M3FN>, memref<3xi64>, memref<3x64xf16>
  return
}
