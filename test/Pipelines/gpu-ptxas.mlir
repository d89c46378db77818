// The generated PTX assembles with the CUDA toolkit's ptxas for sm_80 and
// sm_90, for every width and output type.
// REQUIRES: ptxas
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=isa" -o %t90.mlir
// RUN: %extract_ptx %t90.mlir %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_80 format=isa" -o %t80.mlir
// RUN: %extract_ptx %t80.mlir %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: grep -c "\.entry gather" %t90.ptx | FileCheck %s --check-prefix=COUNT
// COUNT: 4

func.func @w4(%p: memref<?x512xi32>, %s: memref<?x64xf16>, %ids: memref<?xi64>, %out: memref<?x4096xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x512xi32>, memref<?x64xf16>, memref<?xi64>, memref<?x4096xf16>
  return
}
func.func @w8_bf16(%p: memref<?x64xi32>, %s: memref<?x1xbf16>, %ids: memref<?xi32>, %out: memref<?x256xbf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : memref<?x64xi32>, memref<?x1xbf16>, memref<?xi32>, memref<?x256xbf16>
  return
}
func.func @w2_f32(%p: memref<?x8xi32>, %s: memref<?x2xf32>, %ids: memref<?xi64>, %out: memref<?x128xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 2, group_size = 64, symmetric, scale_type = f32> : memref<?x8xi32>, memref<?x2xf32>, memref<?xi64>, memref<?x128xf32>
  return
}
func.func @w5_asym(%p: memref<?x20xi32>, %s: memref<?x2xf16>, %z: memref<?x2xi8>, %ids: memref<?xi64>, %out: memref<?x128xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) zero_points(%z) into %out scheme <bits = 5, group_size = 64, asymmetric, scale_type = f16> : memref<?x20xi32>, memref<?x2xf16>, memref<?xi64>, memref<?x128xf16>, memref<?x2xi8>
  return
}
