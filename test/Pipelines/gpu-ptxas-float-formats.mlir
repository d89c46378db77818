// The GPU kernels of the float formats (FP8, NVFP4, MXFP4) lower to PTX that
// the CUDA toolkit's ptxas assembles for sm_90 and sm_80; the codes are
// decoded with integer bit tricks (no f8 arithmetic in the PTX).
// REQUIRES: ptxas
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=isa" -o %t90.mlir
// RUN: %extract_ptx %t90.mlir %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_80 format=isa" -o %t80.mlir
// RUN: %extract_ptx %t80.mlir %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: grep -c "\.entry gather" %t90.ptx | FileCheck %s --check-prefix=COUNT
// RUN: FileCheck %s --input-file=%t90.ptx
// COUNT: 3
// RUN: not grep div.rn %t90.ptx
// The nvfp4 kernel's E4M3 scale over its global scale (448) has the bits of
// the numerics library's correctly rounded division, without a division: a
// product by the reciprocal (0f3B124925) and one fma correction
// (-448 = 0fC3E00000), checked exact for every E4M3 magnitude when built.
// CHECK: mul.rn.f32 [[Q:%r[0-9]+]], [[X:%r[0-9]+]], 0f3B124925;
// CHECK-NEXT: fma.rn.f32 [[E:%r[0-9]+]], [[Q]], 0fC3E00000, [[X]];
// CHECK-NEXT: fma.rn.f32 {{%r[0-9]+}}, [[E]], 0f3B124925, [[Q]];

func.func @fp8_bf16(%p: memref<?x64xi32>, %s: memref<?x1xbf16>, %ids: memref<?xi64>, %out: memref<?x256xbf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16, format = fp8> : memref<?x64xi32>, memref<?x1xbf16>, memref<?xi64>, memref<?x256xbf16>
  return
}
func.func @nvfp4_f16(%p: memref<?x32xi32>, %s: memref<?x16xf8E4M3FN>, %ids: memref<?xi32>, %out: memref<?x256xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0> : memref<?x32xi32>, memref<?x16xf8E4M3FN>, memref<?xi32>, memref<?x256xf16>
  return
}
func.func @mxfp4_f32(%p: memref<?x32xi32>, %s: memref<?x8xf8E8M0FNU>, %ids: memref<?xi64>, %out: memref<?x256xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> : memref<?x32xi32>, memref<?x8xf8E8M0FNU>, memref<?xi64>, memref<?x256xf32>
  return
}
