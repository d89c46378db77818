// The PTX that --qembed-to-iree embeds in IREE executables assembles with the
// CUDA toolkit's ptxas for the chip it was emitted for, uses the read-only
// load path for the non-aliasing inputs and 16-byte stores for the output.
// REQUIRES: ptxas
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_90" -o %t90.mlir
// RUN: %extract_ptx %t90.mlir %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: FileCheck %s --input-file=%t90.ptx
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_80" -o %t80.mlir
// RUN: %extract_ptx %t80.mlir %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: grep -c "\.entry qembed_gather" %t80.ptx | FileCheck %s --check-prefix=COUNT
// COUNT: 4

// Kernel parameters: the bindings as pointers, then the two i32 constants.
// CHECK: .target sm_90
// CHECK-LABEL: .entry qembed_gather_w4_g64_sym_f16_f16_i64_d4096_b256_u2(
// CHECK-NEXT: .param .u64 {{.*}}_param_0,
// CHECK-NEXT: .param .u64 {{.*}}_param_1,
// CHECK-NEXT: .param .u64 {{.*}}_param_2,
// CHECK-NEXT: .param .u64 {{.*}}_param_3,
// CHECK-NEXT: .param .u32 {{.*}}_param_4,
// CHECK-NEXT: .param .u32 {{.*}}_param_5
// CHECK: ld.global.nc.b32
// CHECK: st.global.v4.b32
// CHECK-NOT: st.global.b16
// CHECK-LABEL: .entry qembed_gather_w5_g64_asym_f16_f16_i64_d128_b256_u2(
// CHECK: .param .u64 {{.*}}_param_4,
// CHECK-NEXT: .param .u32 {{.*}}_param_5,
// CHECK-NEXT: .param .u32 {{.*}}_param_6
// CHECK: ld.global.nc.s8
"util.func"() <{function_type = (tensor<?xi64>, tensor<?xi32>, tensor<?xi64>, tensor<?xi64>) -> (tensor<?x4096xf16>, tensor<?x256xbf16>, tensor<?x128xf32>, tensor<?x128xf16>), sym_name = "four"}> ({
^bb0(%i0: tensor<?xi64>, %i1: tensor<?xi32>, %i2: tensor<?xi64>, %i3: tensor<?xi64>):
  %p0 = "test.table"() : () -> tensor<10x512xi32>
  %s0 = "test.table"() : () -> tensor<10x64xf16>
  %r0 = qembed.gather %p0[%i0] scales(%s0) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<10x512xi32>, tensor<10x64xf16>, tensor<?xi64> -> tensor<?x4096xf16>
  %p1 = "test.table"() : () -> tensor<10x64xi32>
  %s1 = "test.table"() : () -> tensor<10x1xbf16>
  %r1 = qembed.gather %p1[%i1] scales(%s1) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<10x64xi32>, tensor<10x1xbf16>, tensor<?xi32> -> tensor<?x256xbf16>
  %p2 = "test.table"() : () -> tensor<10x8xi32>
  %s2 = "test.table"() : () -> tensor<10x4xf32>
  %z2 = "test.table"() : () -> tensor<10x4xi8>
  %r2 = qembed.gather %p2[%i2] scales(%s2) zero_points(%z2) scheme <bits = 2, group_size = 32, asymmetric, scale_type = f32> : tensor<10x8xi32>, tensor<10x4xf32>, tensor<?xi64>, tensor<10x4xi8> -> tensor<?x128xf32>
  %p3 = "test.table"() : () -> tensor<10x20xi32>
  %s3 = "test.table"() : () -> tensor<10x2xf16>
  %z3 = "test.table"() : () -> tensor<10x2xi8>
  %r3 = qembed.gather %p3[%i3] scales(%s3) zero_points(%z3) scheme <bits = 5, group_size = 64, asymmetric, scale_type = f16> : tensor<10x20xi32>, tensor<10x2xf16>, tensor<?xi64>, tensor<10x2xi8> -> tensor<?x128xf16>
  "util.return"(%r0, %r1, %r2, %r3) : (tensor<?x4096xf16>, tensor<?x256xbf16>, tensor<?x128xf32>, tensor<?x128xf16>) -> ()
}) : () -> ()
