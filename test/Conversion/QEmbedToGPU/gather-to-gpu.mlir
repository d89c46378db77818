// RUN: qembed-opt %s --split-input-file --qembed-gather-to-gpu --canonicalize --verify-diagnostics | FileCheck %s

// W4 group 64, f16: each thread handles slices of 8 codes (one i32 word, 16
// bytes of output), two per iteration (unroll=2), loads before stores.
// CHECK-LABEL: func.func @w4
// CHECK-SAME: (%[[P:.*]]: memref<?x512xi32>, %[[S:.*]]: memref<?x64xf16>, %[[I:.*]]: memref<?xi64>, %[[O:.*]]: memref<?x4096xf16>)
// CHECK: %[[N:.*]] = memref.dim %[[I]], %c0
// CHECK: %[[TOTAL:.*]] = arith.muli %[[N]], %c512
// CHECK: scf.if
// CHECK: %[[B:.*]] = arith.ceildivui %[[TOTAL]], %c512
// CHECK: gpu.launch_func @qembed_kernels::@gather blocks in (%{{.*}}, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[P]] : memref<?x512xi32>, %[[S]] : memref<?x64xf16>, %[[I]] : memref<?xi64>, %[[O]] : memref<?x4096xf16>, %[[N]] : index)
// CHECK: gpu.module @qembed_kernels
// CHECK: gpu.func @gather({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// An empty table (0 rows at run time) means no work (no out-of-bounds read).
// CHECK: %[[ROWS:.*]] = memref.dim %{{.*}}, %c0 : memref<?x512xi32>
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[ROWS]], %c0
// CHECK: arith.select %[[EMPTY]], %c0
// CHECK: scf.for
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 4 : i64} : memref<?x512xi32>, vector<1xi32>
// CHECK-NOT: vector.load
// CHECK: arith.ori %{{.*}}, %c1258291200_i32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x4096xf16>, vector<8xf16>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x4096xf16>, vector<8xf16>
// CHECK-NOT: vector.store
func.func @w4(%p: memref<?x512xi32>, %s: memref<?x64xf16>, %ids: memref<?xi64>, %out: memref<?x4096xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x512xi32>, memref<?x64xf16>, memref<?xi64>, memref<?x4096xf16>
  return
}

// -----

// W8 per row, 2-D ids (flattened to tokens), bf16: 8 codes = two words, one
// 8-byte vector load.
// CHECK-LABEL: func.func @w8_2d_ids
// CHECK: %[[IDS:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<4x?xi32> into memref<?xi32>
// CHECK: %[[OUT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : memref<4x?x256xbf16> into memref<?x256xbf16>
// CHECK: gpu.launch_func
// CHECK: gpu.func @gather
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<?x64xi32>, vector<2xi32>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x256xbf16>, vector<8xbf16>
func.func @w8_2d_ids(%p: memref<?x64xi32>, %s: memref<?x1xbf16>, %ids: memref<4x?xi32>, %out: memref<4x?x256xbf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : memref<?x64xi32>, memref<?x1xbf16>, memref<4x?xi32>, memref<4x?x256xbf16>
  return
}

// -----

// W3 asymmetric, f32 output (slices of 4 codes): codes straddle words, so the
// words a slice can touch are loaded one by one, clamped to the row.
// CHECK-LABEL: func.func @w3_asym
// CHECK: gpu.func @gather
// CHECK: memref.load %{{.*}} : memref<?x12xi32>
// CHECK: arith.minui
// CHECK: memref.load %{{.*}} : memref<?x12xi32>
// CHECK: memref.load %{{.*}} : memref<?x1xi8>
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: vector.store %{{.*}} : memref<?x128xf32>, vector<4xf32>
func.func @w3_asym(%p: memref<?x12xi32>, %s: memref<?x1xf32>, %z: memref<?x1xi8>, %ids: memref<?xi64>, %out: memref<?x128xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) zero_points(%z) into %out scheme <bits = 3, group_size = 0, asymmetric, scale_type = f32> : memref<?x12xi32>, memref<?x1xf32>, memref<?xi64>, memref<?x128xf32>, memref<?x1xi8>
  return
}

// -----

func.func @row_not_multiple(%p: memref<?x2xi32>, %s: memref<?x1xf16>, %ids: memref<?xi64>, %out: memref<?x12xf16>) {
  // expected-error @+1 {{GPU lowering needs a row length that is a multiple of 8 (16 bytes of output), got 12}}
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : memref<?x2xi32>, memref<?x1xf16>, memref<?xi64>, memref<?x12xf16>
  return
}

// -----

func.func @strided_out(%p: memref<?x2xi32>, %s: memref<?x1xf16>, %ids: memref<?xi64>, %out: memref<?x16xf16, strided<[32, 1]>>) {
  // expected-error @+1 {{GPU lowering needs identity-layout ids and output buffers}}
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : memref<?x2xi32>, memref<?x1xf16>, memref<?xi64>, memref<?x16xf16, strided<[32, 1]>>
  return
}

// -----

func.func @rank0_ids(%p: memref<?x2xi32>, %s: memref<?x1xf16>, %ids: memref<i64>, %out: memref<16xf16>) {
  // expected-error @+1 {{GPU lowering needs ids of rank >= 1}}
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : memref<?x2xi32>, memref<?x1xf16>, memref<i64>, memref<16xf16>
  return
}

// -----

// Group 6 neither divides nor is a multiple of the 8-code slice, so a group
// boundary can fall inside a slice: every code loads its own scale (a slice
// loading one scale would apply the wrong one past the boundary).
// CHECK-LABEL: func.func @w4_g6_unaligned
// CHECK: gpu.func @gather
// CHECK: scf.for
// CHECK-COUNT-16: memref.load %{{.*}} : memref<?x4xf16>
// CHECK-NOT: memref.load %{{.*}} : memref<?x4xf16>
// CHECK: vector.store
func.func @w4_g6_unaligned(%p: memref<?x3xi32>, %s: memref<?x4xf16>, %ids: memref<?xi64>, %out: memref<?x24xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 6, symmetric, scale_type = f16> : memref<?x3xi32>, memref<?x4xf16>, memref<?xi64>, memref<?x24xf16>
  return
}

// -----

// Found by qembed-fuzz: index ids (valid for buffer_gather) crashed the
// kernel generator, which asked index for its bit width to align the id
// load. index has none before lowering: the load claims no alignment.
// CHECK-LABEL: func.func @index_ids
// CHECK: gpu.func @gather
// CHECK: memref.load %{{.*}}[%{{.*}}] : memref<?xindex>
// CHECK: vector.load %{{.*}} {alignment = 4 : i64} : memref<?x512xi32>, vector<1xi32>
func.func @index_ids(%p: memref<?x512xi32>, %s: memref<?x64xf16>, %ids: memref<?xindex>, %out: memref<?x4096xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x512xi32>, memref<?x64xf16>, memref<?xindex>, memref<?x4096xf16>
  return
}
