// The codebook VQ kernels that --qembed-to-iree embeds in IREE executables
// assemble with the CUDA toolkit's ptxas for the chip they were emitted for:
// bindings codes, scales, codebooks, ids, output as pointers, then the two
// i32 constants; codebooks of at most 48 KiB are staged in shared memory,
// larger ones are read from global memory.
// REQUIRES: ptxas
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_90" -o %t90.mlir
// RUN: %extract_ptx %t90.mlir %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: FileCheck %s --input-file=%t90.ptx
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_80" -o %t80.mlir
// RUN: %extract_ptx %t80.mlir %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: grep -c "\.entry qembed_vq_gather" %t80.ptx | FileCheck %s --check-prefix=COUNT
// COUNT: 3

// CHECK: .target sm_90
// d4 K256 f16 (2 KiB of codebooks): shared memory, read-only code loads,
// 16-byte stores.
// CHECK-LABEL: .entry qembed_vq_gather_d4_k256_s1_g1_f16_f16_f16_i64_c4096_b256(
// CHECK-NEXT: .param .u64 {{.*}}_param_0,
// CHECK-NEXT: .param .u64 {{.*}}_param_1,
// CHECK-NEXT: .param .u64 {{.*}}_param_2,
// CHECK-NEXT: .param .u64 {{.*}}_param_3,
// CHECK-NEXT: .param .u64 {{.*}}_param_4,
// CHECK-NEXT: .param .u32 {{.*}}_param_5,
// CHECK-NEXT: .param .u32 {{.*}}_param_6
// CHECK: .shared
// CHECK: ld.global.nc
// CHECK: st.global.v4.b32
// d12 K2048 f16 (exactly 48 KiB): still shared memory.
// CHECK-LABEL: .entry qembed_vq_gather_d12_k2048_s1_g1_f16_f16_bf16_i32_c768_b256(
// CHECK: .param .u32 {{.*}}_param_6
// CHECK: .shared .align 16 .b8 {{.*}}[49152]
// d8 K4096 f16 (64 KiB): read from global memory, no shared array.
// CHECK-LABEL: .entry qembed_vq_gather_d8_k4096_s1_g1_f16_f16_f32_i64_c512_b256(
// CHECK-NOT: .shared
// CHECK: ret;
"util.func"() <{function_type = (tensor<?xi64>, tensor<?xi32>, tensor<?xi64>) -> (tensor<?x4096xf16>, tensor<?x768xbf16>, tensor<?x512xf32>), sym_name = "three"}> ({
^bb0(%i0: tensor<?xi64>, %i1: tensor<?xi32>, %i2: tensor<?xi64>):
  %c0 = "test.table"() : () -> tensor<10x256xi32>
  %s0 = "test.table"() : () -> tensor<10x1xf16>
  %b0 = "test.table"() : () -> tensor<1x1x256x4xf16>
  %r0 = qembed.codebook_gather %c0[%i0] scales(%s0) codebooks(%b0) codebook <dim = 4, entries = 256, stages = 1, groups = 1> : tensor<10x256xi32>, tensor<10x1xf16>, tensor<1x1x256x4xf16>, tensor<?xi64> -> tensor<?x4096xf16>
  %c1 = "test.table"() : () -> tensor<10x22xi32>
  %s1 = "test.table"() : () -> tensor<10x1xf16>
  %b1 = "test.table"() : () -> tensor<1x1x2048x12xf16>
  %r1 = qembed.codebook_gather %c1[%i1] scales(%s1) codebooks(%b1) codebook <dim = 12, entries = 2048, stages = 1, groups = 1> : tensor<10x22xi32>, tensor<10x1xf16>, tensor<1x1x2048x12xf16>, tensor<?xi32> -> tensor<?x768xbf16>
  %c2 = "test.table"() : () -> tensor<10x24xi32>
  %s2 = "test.table"() : () -> tensor<10x1xf16>
  %b2 = "test.table"() : () -> tensor<1x1x4096x8xf16>
  %r2 = qembed.codebook_gather %c2[%i2] scales(%s2) codebooks(%b2) codebook <dim = 8, entries = 4096, stages = 1, groups = 1> : tensor<10x24xi32>, tensor<10x1xf16>, tensor<1x1x4096x8xf16>, tensor<?xi64> -> tensor<?x512xf32>
  "util.return"(%r0, %r1, %r2) : (tensor<?x4096xf16>, tensor<?x768xbf16>, tensor<?x512xf32>) -> ()
}) : () -> ()
