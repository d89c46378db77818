// The bag kernel --qembed-to-iree embeds assembles with the CUDA toolkit's
// ptxas for sm_90 and sm_80; its inputs are read through the read-only path,
// the f32 arithmetic is explicitly rounded (mul.rn / add.rn: no fused
// multiply-add, so the sums are bit-exact with lib/Numerics/Bags.h) and
// mean divides with IEEE division.
// REQUIRES: ptxas
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_90" -o %t90.mlir
// RUN: %extract_ptx %t90.mlir %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: FileCheck %s --input-file=%t90.ptx
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-to-iree="target=cuda chip=sm_80" -o %t80.mlir
// RUN: %extract_ptx %t80.mlir %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: grep -c "\.entry qembed_gather_bags" %t80.ptx | FileCheck %s --check-prefix=COUNT
// COUNT: 2

// Parameters: packed, scales, zero points, ids, offsets, out; 3 x i32.
// CHECK: .target sm_90
// CHECK-LABEL: .entry qembed_gather_bags_mean_w3_g8_asym_f32_f32_i32_o64_d16_b256(
// CHECK-COUNT-6: .param .u64
// CHECK-COUNT-3: .param .u32
// CHECK-NOT: fma
// CHECK: div.rn.f32
// CHECK: ld.global.nc
// CHECK: mul.rn.f32
// CHECK: add.rn.f32
// CHECK-LABEL: .entry qembed_gather_bags_sum_w4_g64_sym_bf16_bf16_i64_o64_d128_b256(
// CHECK-NOT: fma
// CHECK: cvt.rn.bf16.f32
func.func @mean_f32(%p: tensor<10x2xi32>, %s: tensor<10x2xf32>, %z: tensor<10x2xi8>, %i: tensor<?xi32>, %o: tensor<?xi64>) -> tensor<?x16xf32> {
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) zero_points(%z) mode(mean) scheme <bits = 3, group_size = 8, asymmetric, scale_type = f32> : tensor<10x2xi32>, tensor<10x2xf32>, tensor<?xi32>, tensor<?xi64>, tensor<10x2xi8> -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

func.func @sum_bf16(%p: tensor<100x16xi32>, %s: tensor<100x2xbf16>, %i: tensor<64xi64>, %o: tensor<8xi64>) -> tensor<8x128xbf16> {
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 64, symmetric, scale_type = bf16> : tensor<100x16xi32>, tensor<100x2xbf16>, tensor<64xi64>, tensor<8xi64> -> tensor<8x128xbf16>
  return %r : tensor<8x128xbf16>
}
