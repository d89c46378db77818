// RUN: qembed-opt %s --split-input-file --qembed-gather-to-gpu="unroll=1" --canonicalize | FileCheck %s

// FP8 with f16 scales: two E4M3 codes at a time become f16x2 values / 2^8
// by integer bit moves (sign to each half's bit 15, the 7 other bits to
// bits 7..13), then two f16x2 multiplies: by 2^8 (exact) and by the row's
// scale (one f16 rounding of the exact product, the bits of the f32 product
// rounded to f16). Four pairs per 16-byte f16 slice; no per-code f32 math.
// CHECK-LABEL: func.func @fp8_f16
// CHECK: gpu.func @gather
// CHECK-DAG: %[[TWO8:.*]] = arith.constant dense<2.560000e+02> : vector<2xf16>
// CHECK-DAG: %[[SIGNS:.*]] = arith.constant -2147450880 : i32
// CHECK-DAG: %[[MAGS:.*]] = arith.constant 1065369472 : i32
// CHECK: %[[SCALE:.*]] = memref.load %{{.*}} : memref<?x1xf16>
// CHECK: %[[SIGN:.*]] = arith.andi %[[X:.*]], %[[SIGNS]] : i32
// CHECK-NEXT: %[[SH:.*]] = arith.shrui %[[X]], %{{.*}} : i32
// CHECK-NEXT: %[[MAG:.*]] = arith.andi %[[SH]], %[[MAGS]] : i32
// CHECK-NEXT: %[[BITS:.*]] = arith.ori %[[SIGN]], %[[MAG]] : i32
// CHECK-NEXT: %[[W:.*]] = vector.broadcast %[[BITS]] : i32 to vector<1xi32>
// CHECK-NEXT: %[[H:.*]] = vector.bitcast %[[W]] : vector<1xi32> to vector<2xf16>
// CHECK-NEXT: %[[V:.*]] = arith.mulf %[[H]], %[[TWO8]] : vector<2xf16>
// CHECK-NEXT: %[[S2:.*]] = vector.broadcast %[[SCALE]] : f16 to vector<2xf16>
// CHECK-NEXT: arith.mulf %[[V]], %[[S2]] : vector<2xf16>
// CHECK-COUNT-3: arith.mulf %{{.*}}, %[[TWO8]] : vector<2xf16>
// CHECK-NOT: f32
// CHECK: vector.store %{{.*}} : memref<?x256xf16>, vector<8xf16>
func.func @fp8_f16(%p: memref<?x64xi32>, %s: memref<?x1xf16>, %ids: memref<?xi64>, %out: memref<?x256xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = f16, format = fp8> : memref<?x64xi32>, memref<?x1xf16>, memref<?xi64>, memref<?x256xf16>
  return
}

// -----

// f32 output: the f16 values are widened (exact), two pairs per slice.
// CHECK-LABEL: func.func @fp8_f16_f32
// CHECK: gpu.func @gather
// CHECK-COUNT-2: arith.mulf %{{.*}} : vector<2xf16>
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: vector.store %{{.*}} : memref<?x256xf32>, vector<4xf32>
func.func @fp8_f16_f32(%p: memref<?x64xi32>, %s: memref<?x1xf16>, %ids: memref<?xi64>, %out: memref<?x256xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = f16, format = fp8> : memref<?x64xi32>, memref<?x1xf16>, memref<?xi64>, memref<?x256xf32>
  return
}

// -----

// bf16 scales keep the per-code f32 decoding (f16x2 cannot hold them).
// CHECK-LABEL: func.func @fp8_bf16
// CHECK: gpu.func @gather
// CHECK-NOT: vector<2xf16>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: vector.store
func.func @fp8_bf16(%p: memref<?x64xi32>, %s: memref<?x1xbf16>, %ids: memref<?xi64>, %out: memref<?x256xbf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16, format = fp8> : memref<?x64xi32>, memref<?x1xbf16>, memref<?xi64>, memref<?x256xbf16>
  return
}
