// RUN: qembed-opt %s --split-input-file --qembed-gather-to-gpu="unroll=1" --canonicalize | FileCheck %s

// The NVFP4 kernel computes a group's f32 scale, f32(e4m3) / global_scale,
// once per slice (not per code) and without a division when a cheaper
// sequence gives the division's bits for all 128 E4M3 magnitudes (checked
// exhaustively when the kernel is built); the scale byte's sign is applied
// to the quotient afterwards.

// global_scale 448: x * (1/448) differs from x / 448 for some magnitudes, one
// fma correction makes it exact: q = x * r, e = fma(-q, 448, x),
// q' = fma(e, r, q), with r = f32(1/448) = 0.00223214296.
// CHECK-LABEL: func.func @nvfp4_448
// CHECK: gpu.func @gather
// CHECK-DAG: %[[R:.*]] = arith.constant 0.00223214296 : f32
// CHECK-DAG: %[[G:.*]] = arith.constant 4.480000e+02 : f32
// CHECK-DAG: %[[TWO126:.*]] = arith.constant 8.50705917E+37 : f32
// CHECK: %[[BYTE:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: %[[Q:.*]] = arith.mulf %[[MAG:.*]], %[[R]] : f32
// CHECK-NEXT: %[[NQ:.*]] = arith.negf %[[Q]] : f32
// CHECK-NEXT: %[[E:.*]] = llvm.intr.fma(%[[NQ]], %[[G]], %[[MAG]])
// CHECK-NEXT: %[[S:.*]] = llvm.intr.fma(%[[E]], %[[R]], %[[Q]])
// CHECK-NEXT: %[[SIGN:.*]] = arith.andi %[[BYTE]], %{{.*}} : i32
// CHECK-NEXT: %[[SH:.*]] = arith.shli %[[SIGN]], %{{.*}} : i32
// CHECK-NEXT: %[[SB:.*]] = arith.bitcast %[[S]] : f32 to i32
// CHECK-NEXT: %[[X:.*]] = arith.xori %[[SB]], %[[SH]] : i32
// CHECK-NEXT: %[[SC:.*]] = arith.bitcast %[[X]] : i32 to f32
// |scale| <= 480 / 448, so scale * 2^126 is finite and exact: the codes'
// E2M1 bits placed in an f32 (e2m1 * 2^-126, no multiply) times it give
// the same real product as e2m1 * scale.
// CHECK-NEXT: %[[SC2:.*]] = arith.mulf %[[SC]], %[[TWO126]] : f32
// Eight codes per f16 slice share it: no further fma or division.
// CHECK-COUNT-8: arith.mulf %{{.*}}, %[[SC2]] : f32
// CHECK-NOT: llvm.intr.fma
// CHECK-NOT: arith.divf
// CHECK: vector.store
func.func @nvfp4_448(%p: memref<?x32xi32>, %s: memref<?x16xf8E4M3FN>, %ids: memref<?xi32>, %out: memref<?x256xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0> : memref<?x32xi32>, memref<?x16xf8E4M3FN>, memref<?xi32>, memref<?x256xf16>
  return
}

// -----

// global_scale 612.5: the product by the reciprocal already has the
// division's bits for every magnitude: one multiply, no fma.
// CHECK-LABEL: func.func @nvfp4_612
// CHECK: gpu.func @gather
// CHECK-DAG: %[[R:.*]] = arith.constant 0.00163265306 : f32
// CHECK-NOT: llvm.intr.fma
// CHECK-NOT: arith.divf
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %[[R]] : f32
// CHECK: %[[SB:.*]] = arith.bitcast %[[S]] : f32 to i32
// CHECK-NEXT: %[[X:.*]] = arith.xori %[[SB]], %{{.*}} : i32
// CHECK-NEXT: %[[SC:.*]] = arith.bitcast %[[X]] : i32 to f32
// CHECK-NEXT: %[[SC2:.*]] = arith.mulf %[[SC]], %{{.*}} : f32
// CHECK-COUNT-8: arith.mulf %{{.*}}, %[[SC2]] : f32
// CHECK-NOT: llvm.intr.fma
// CHECK-NOT: arith.divf
// CHECK: vector.store
func.func @nvfp4_612(%p: memref<?x32xi32>, %s: memref<?x16xf8E4M3FN>, %ids: memref<?xi32>, %out: memref<?x256xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 612.5> : memref<?x32xi32>, memref<?x16xf8E4M3FN>, memref<?xi32>, memref<?x256xf16>
  return
}

// -----

// global_scale 1.0e-39 (an f32 subnormal): its reciprocal overflows, so the
// kernel keeps the correctly rounded division, once per slice (f32 output:
// 4 codes per slice); scale * 2^126 could overflow, so each code is
// decoded to its f32 e2m1 value.
// CHECK-LABEL: func.func @nvfp4_tiny
// CHECK: gpu.func @gather
// CHECK-NOT: llvm.intr.fma
// CHECK: %[[S:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: %[[SB:.*]] = arith.bitcast %[[S]] : f32 to i32
// CHECK-NEXT: %[[X:.*]] = arith.xori %[[SB]], %{{.*}} : i32
// CHECK-NEXT: %[[SC:.*]] = arith.bitcast %[[X]] : i32 to f32
// CHECK-COUNT-4: arith.mulf %{{.*}}, %[[SC]] : f32
// CHECK-NOT: arith.divf
// CHECK: vector.store
func.func @nvfp4_tiny(%p: memref<?x32xi32>, %s: memref<?x16xf8E4M3FN>, %ids: memref<?xi32>, %out: memref<?x256xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 1.0e-39> : memref<?x32xi32>, memref<?x16xf8E4M3FN>, memref<?xi32>, memref<?x256xf32>
  return
}
