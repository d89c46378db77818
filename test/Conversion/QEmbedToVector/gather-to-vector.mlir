// RUN: qembed-opt %s --split-input-file --qembed-gather-to-vector -verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --split-input-file --qembed-gather-to-vector="vector-size=16" -verify-diagnostics | FileCheck %s --check-prefix=V16
// RUN: not qembed-opt %s --qembed-gather-to-vector="vector-size=48" 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not qembed-opt %s --qembed-gather-to-vector="vector-size=512" 2>&1 | FileCheck %s --check-prefix=BADOPT

// BADOPT: invalid options: vector-size must be a power of 2 in [8, 256]

// W4, groups of 64: per id, the clamped row, then chunks of 64 columns = 8
// words; each column takes its word (shuffle), shift 4 * (col % 8), mask
// 15; one scale per chunk.
// CHECK-LABEL: func @w4_g64
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant dense<1258291200> : vector<64xi32>
// CHECK-DAG: %[[MASK:.*]] = arith.constant dense<15> : vector<64xi32>
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant dense<[0, 4, 8, 12, 16, 20, 24, 28, 0, 4,{{.*}}]> : vector<64xi32>
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<0x4B000008> : vector<64xf32>
// CHECK-DAG: %[[N:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?xi64>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf16>
// CHECK: %[[R:.*]] = scf.for %[[T:[a-z0-9_]+]] = %c0 to %[[N]] step %c1 iter_args(%[[A:[a-z0-9_]+]] = %[[INIT]])
// CHECK: %[[ID:.*]] = tensor.extract %{{.*}}[%[[T]]] : tensor<?xi64>
// CHECK: scf.for %[[C:[a-z0-9_]+]] = %c0 to %c128 step %c64 iter_args(%[[A2:[a-z0-9_]+]] = %[[A]])
// CHECK: %[[W:.*]] = vector.transfer_read %{{.*}}[%[[ROW:.*]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<5x16xi32>, vector<8xi32>
// CHECK: %[[X:.*]] = vector.shuffle %[[W]], %[[W]] [0, 0, 0, 0, 0, 0, 0, 0, 1, {{.*}}, 7] : vector<8xi32>, vector<8xi32>
// CHECK: %[[SH:.*]] = arith.shrui %[[X]], %[[SHIFT]] : vector<64xi32>
// CHECK: %[[U:.*]] = arith.andi %[[SH]], %[[MASK]] : vector<64xi32>
// CHECK: %[[OR:.*]] = arith.ori %[[U]], %[[MAGIC]] : vector<64xi32>
// CHECK: %[[F:.*]] = arith.bitcast %[[OR]] : vector<64xi32> to vector<64xf32>
// CHECK: %[[Q:.*]] = arith.subf %[[F]], %[[BIAS]] : vector<64xf32>
// CHECK: %[[S:.*]] = tensor.extract %{{.*}}[%[[ROW]], %{{.*}}] : tensor<5x2xf16>
// CHECK: %[[SF:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK: %[[SV:.*]] = vector.broadcast %[[SF]] : f32 to vector<64xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[Q]], %[[SV]] : vector<64xf32>
// CHECK: %[[H:.*]] = arith.truncf %[[P]] : vector<64xf32> to vector<64xf16>
// CHECK: vector.transfer_write %[[H]], %[[A2]][%[[T]], %[[C]]] {in_bounds = [true]} : vector<64xf16>, tensor<?x128xf16>
// CHECK: return %[[R]]
// V16-LABEL: func @w4_g64
// V16: step %c16
// V16: vector.transfer_read {{.*}} : tensor<5x16xi32>, vector<2xi32>
func.func @w4_g64(%p: tensor<5x16xi32>, %s: tensor<5x2xf16>, %ids: tensor<?xi64>) -> tensor<?x128xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<5x16xi32>, tensor<5x2xf16>, tensor<?xi64> -> tensor<?x128xf16>
  return %r : tensor<?x128xf16>
}

// -----

// W8 per row, asymmetric, bf16 scales, f32 output, 2-d ids: one loop per
// id dimension; the zero point joins the bias; the product is rounded to
// bf16, then widened to f32. 24 columns: chunks of 8 (2 words).
// CHECK-LABEL: func @w8_asym
// CHECK: scf.for %[[I:[a-z0-9_]+]] =
// CHECK: scf.for %[[J:[a-z0-9_]+]] =
// CHECK: tensor.extract %{{.*}}[%[[I]], %[[J]]] : tensor<2x?xi32>
// CHECK: scf.for %[[C:[a-z0-9_]+]] = %c0 to %c24 step %c8
// CHECK: vector.transfer_read {{.*}} : tensor<4x6xi32>, vector<2xi32>
// CHECK: %[[ZP:.*]] = tensor.extract %{{.*}}[%{{.*}}, %c0] : tensor<4x1xi8>
// CHECK: %[[ZPF:.*]] = arith.sitofp %[[ZP]] : i8 to f32
// CHECK: %[[B:.*]] = arith.addf %[[ZPF]], %{{.*}} : f32
// CHECK: vector.broadcast %[[B]] : f32 to vector<8xf32>
// CHECK: %[[P:.*]] = arith.mulf {{.*}} : vector<8xf32>
// CHECK: %[[T:.*]] = arith.truncf %[[P]] : vector<8xf32> to vector<8xbf16>
// CHECK: %[[E:.*]] = arith.extf %[[T]] : vector<8xbf16> to vector<8xf32>
// CHECK: vector.transfer_write %[[E]], %{{.*}}[%[[I]], %[[J]], %[[C]]]
func.func @w8_asym(%p: tensor<4x6xi32>, %s: tensor<4x1xbf16>, %z: tensor<4x1xi8>, %ids: tensor<2x?xi32>) -> tensor<2x?x24xf32> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 8, group_size = 0, asymmetric, scale_type = bf16> : tensor<4x6xi32>, tensor<4x1xbf16>, tensor<2x?xi32>, tensor<4x1xi8> -> tensor<2x?x24xf32>
  return %r : tensor<2x?x24xf32>
}

// -----

// Cases left for --qembed-to-linalg, each with a remark.
// CHECK-LABEL: func @w3
// CHECK: qembed.gather
func.func @w3(%p: tensor<5x12xi32>, %s: tensor<5x2xf32>, %ids: tensor<?xi64>) -> tensor<?x128xf32> {
  // expected-remark @below {{qembed.gather not vectorized: 3-bit codes straddle words (only 2, 4 and 8 bits are vectorized); --qembed-to-linalg lowers it element by element}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 3, group_size = 64, symmetric, scale_type = f32> : tensor<5x12xi32>, tensor<5x2xf32>, tensor<?xi64> -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// MXFP4 codes are E2M1, not integers: left for --qembed-to-linalg.
// CHECK-LABEL: func @mxfp4
// CHECK: qembed.gather
func.func @mxfp4(%p: tensor<5x32xi32>, %s: tensor<5x8xf8E8M0FNU>, %ids: tensor<?xi64>) -> tensor<?x256xf32> {
  // expected-remark @below {{qembed.gather not vectorized: float-format codes are lowered by --qembed-to-linalg}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> : tensor<5x32xi32>, tensor<5x8xf8E8M0FNU>, tensor<?xi64> -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func @small_groups
// CHECK: qembed.gather
func.func @small_groups(%p: tensor<5x16xi32>, %s: tensor<5x32xf32>, %ids: tensor<?xi64>) -> tensor<?x128xf32> {
  // expected-remark @below {{qembed.gather not vectorized: no chunk of whole words (8 codes) up to vector-size=}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 4, symmetric, scale_type = f32> : tensor<5x16xi32>, tensor<5x32xf32>, tensor<?xi64> -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// CHECK-LABEL: func @dynamic_rows
// CHECK: qembed.gather
func.func @dynamic_rows(%p: tensor<?x16xi32>, %s: tensor<?x2xf32>, %ids: tensor<?xi64>) -> tensor<?x128xf32> {
  // expected-remark @below {{qembed.gather not vectorized: the table's row count is dynamic}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> : tensor<?x16xi32>, tensor<?x2xf32>, tensor<?xi64> -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// CHECK-LABEL: func @scalar_id
// CHECK: qembed.gather
func.func @scalar_id(%p: tensor<5x16xi32>, %s: tensor<5x2xf32>, %id: tensor<i64>) -> tensor<128xf32> {
  // expected-remark @below {{qembed.gather not vectorized: the ids are 0-d}}
  %r = qembed.gather %p[%id] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> : tensor<5x16xi32>, tensor<5x2xf32>, tensor<i64> -> tensor<128xf32>
  return %r : tensor<128xf32>
}
