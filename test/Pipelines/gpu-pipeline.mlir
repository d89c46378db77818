// The whole GPU pipeline down to PTX in a gpu.binary, and host code that
// launches it through the mgpu* runtime calls.
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s
// RUN: qembed-opt %s --qembed-gpu-pipeline="chip=sm_90 format=isa" -o %t.mlir
// RUN: %extract_ptx %t.mlir %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx

// CHECK: llvm.func @qembed_gather
// CHECK: gpu.launch_func @qembed_kernels::@gather
// CHECK: gpu.binary @qembed_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK-SAME: assembly =

// PTX: .target sm_90
// PTX: .address_size 64
// PTX: .entry gather(
// The W4 path: coalesced word loads, 16-byte (v4.b32) stores of 8 f16s,
// packed f32->f16x2 conversions, 64-bit addressing.
// PTX: ld.global.b32
// PTX: cvt.rn.f16x2.f32
// PTX: st.global.v4.b32
// PTX: st.global.v4.b32
// PTX-NOT: st.global.b16
func.func @qembed_gather(%p: memref<?x512xi32>, %s: memref<?x64xf16>, %ids: memref<?xi64>, %out: memref<?x4096xf16>) attributes {llvm.emit_c_interface} {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x512xi32>, memref<?x64xf16>, memref<?xi64>, memref<?x4096xf16>
  return
}
