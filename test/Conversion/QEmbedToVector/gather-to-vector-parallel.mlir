// --qembed-gather-to-vector parallel=true: the loop over the ids becomes an
// scf.forall over blocks of rows-per-task ids (of the last id dimension),
// each block writing its own rows through tensor.parallel_insert_slice;
// gathers of at most rows-per-task ids take the serial loops (scf.if).
// RUN: qembed-opt %s --split-input-file --qembed-gather-to-vector="parallel=true" -verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --split-input-file --qembed-gather-to-vector="parallel=true rows-per-task=16" -verify-diagnostics | FileCheck %s --check-prefix=R16
// RUN: qembed-opt %s --split-input-file --qembed-gather-to-vector 2> %t.serial.err | FileCheck %s --check-prefix=SERIAL
// RUN: FileCheck %s --check-prefix=SERIALREMARK < %t.serial.err
// RUN: not qembed-opt %s --qembed-gather-to-vector="rows-per-task=-1 parallel=true" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not qembed-opt %s --qembed-gather-to-vector="rows-per-task=2147483649 parallel=true" 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not qembed-opt %s --qembed-gather-to-vector="rows-per-task=16" 2>&1 | FileCheck %s --check-prefix=NOPAR
// RUN: not qembed-opt %s --qembed-gather-to-vector="parallel=maybe" 2>&1 | FileCheck %s --check-prefix=BADBOOL

// NEG: invalid options: rows-per-task must be in [1, 2^31] (or 0 for the default), got -1
// BIG: invalid options: rows-per-task must be in [1, 2^31] (or 0 for the default), got 2147483649
// NOPAR: invalid options: rows-per-task=16 needs parallel=true
// The serial form's remark does not mention threads.
// SERIALREMARK: remark: qembed.gather not vectorized: 3-bit codes straddle words (only 2, 4 and 8 bits are vectorized); --qembed-to-linalg lowers it element by element{{$}}
// BADBOOL: for the --parallel option: 'maybe' is invalid value for boolean argument

// 1-d ids, the default 256 ids per block: ceil(n / 256) iterations.
// CHECK-LABEL: func @w4_g64
// CHECK-SAME: %[[P:[a-z0-9_]+]]: tensor<5x16xi32>, %[[S:[a-z0-9_]+]]: tensor<5x2xf16>, %[[IDS:[a-z0-9_]+]]: tensor<?xi64>
// CHECK-DAG: %[[C255:.*]] = arith.constant 255 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[N:.*]] = tensor.dim %[[IDS]], %c0 : tensor<?xi64>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf16>
// CHECK: %[[SMALL:.*]] = arith.cmpi ule, %[[N]], %[[C256]] : index
// CHECK: %[[R:.*]] = scf.if %[[SMALL]] -> (tensor<?x128xf16>) {
// CHECK: %[[SER:.*]] = scf.for %[[T:[a-z0-9_]+]] = %c0 to %[[N]] step %c1 iter_args(%{{.*}} = %[[INIT]])
// CHECK: tensor.extract %[[IDS]][%[[T]]] : tensor<?xi64>
// CHECK: vector.transfer_write {{.*}}[%[[T]], %{{.*}}] {in_bounds = [true]} : vector<64xf16>, tensor<?x128xf16>
// CHECK: scf.yield %[[SER]] : tensor<?x128xf16>
// CHECK: } else {
// CHECK: %[[NP:.*]] = arith.addi %[[N]], %[[C255]] : index
// CHECK: %[[NB:.*]] = arith.divui %[[NP]], %[[C256]] : index
// CHECK: %[[F:.*]] = scf.forall (%[[K:[a-z0-9_]+]]) in (%[[NB]]) shared_outs(%[[OUT:[a-z0-9_]+]] = %[[INIT]]) -> (tensor<?x128xf16>) {
// CHECK: %[[LO:.*]] = arith.muli %[[K]], %[[C256]] : index
// CHECK: %[[REST:.*]] = arith.subi %[[N]], %[[LO]] : index
// CHECK: %[[CNT:.*]] = arith.minui %[[REST]], %[[C256]] : index
// CHECK: %[[SL:.*]] = tensor.extract_slice %[[OUT]][%[[LO]], 0] [%[[CNT]], 128] [1, 1] : tensor<?x128xf16> to tensor<?x128xf16>
// CHECK: %[[ROWS:.*]] = scf.for %[[T2:[a-z0-9_]+]] = %c0 to %[[CNT]] step %c1 iter_args(%[[A:[a-z0-9_]+]] = %[[SL]])
// CHECK: %[[AT:.*]] = arith.addi %[[LO]], %[[T2]] : index
// CHECK: tensor.extract %[[IDS]][%[[AT]]] : tensor<?xi64>
// CHECK: scf.for %[[C:[a-z0-9_]+]] = %c0 to %c128 step %c64
// CHECK: vector.transfer_read %[[P]]
// CHECK: vector.transfer_write {{.*}}[%[[T2]], %[[C]]] {in_bounds = [true]} : vector<64xf16>, tensor<?x128xf16>
// CHECK: scf.forall.in_parallel {
// CHECK: tensor.parallel_insert_slice %[[ROWS]] into %[[OUT]][%[[LO]], 0] [%[[CNT]], 128] [1, 1] : tensor<?x128xf16> into tensor<?x128xf16>
// CHECK: scf.yield %[[F]] : tensor<?x128xf16>
// CHECK: return %[[R]]
// R16-LABEL: func @w4_g64
// R16: arith.cmpi ule, %{{.*}}, %c16 : index
// R16: arith.divui %{{.*}}, %c16 : index
// R16: scf.forall
// SERIAL-LABEL: func @w4_g64
// SERIAL-NOT: scf.forall
// SERIAL-NOT: scf.if
// SERIAL: return
func.func @w4_g64(%p: tensor<5x16xi32>, %s: tensor<5x2xf16>, %ids: tensor<?xi64>) -> tensor<?x128xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<5x16xi32>, tensor<5x2xf16>, tensor<?xi64> -> tensor<?x128xf16>
  return %r : tensor<?x128xf16>
}

// -----

// 2-d ids [2, ?]: the count is 2 * d1; one iteration per (row of ids,
// block of d1), rank-reducing slices of the 3-d result.
// CHECK-LABEL: func @w8_asym_2d
// CHECK-SAME: %{{.*}}: tensor<4x6xi32>, %{{.*}}: tensor<4x1xbf16>, %{{.*}}: tensor<4x1xi8>, %[[IDS:[a-z0-9_]+]]: tensor<2x?xi32>
// CHECK: %[[D1:.*]] = tensor.dim %[[IDS]], %c1 : tensor<2x?xi32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[D1]]) : tensor<2x?x24xf32>
// CHECK: %[[N:.*]] = arith.muli %[[D1]], %c2 : index
// CHECK: arith.cmpi ule, %[[N]], %c256 : index
// CHECK: scf.if
// CHECK: scf.for %[[I:[a-z0-9_]+]] =
// CHECK: scf.for %[[J:[a-z0-9_]+]] =
// CHECK: tensor.extract %[[IDS]][%[[I]], %[[J]]] : tensor<2x?xi32>
// CHECK: } else {
// CHECK: %[[NB:.*]] = arith.divui
// CHECK: scf.forall (%[[B:[a-z0-9_]+]], %[[K:[a-z0-9_]+]]) in (%c2, %[[NB]]) shared_outs(%[[OUT:[a-z0-9_]+]] = %[[INIT]]) -> (tensor<2x?x24xf32>)
// CHECK: %[[LO:.*]] = arith.muli %[[K]], %c256 : index
// CHECK: %[[CNT:.*]] = arith.minui
// CHECK: %[[SL:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[LO]], 0] [1, %[[CNT]], 24] [1, 1, 1] : tensor<2x?x24xf32> to tensor<?x24xf32>
// CHECK: %[[ROWS:.*]] = scf.for %[[T:[a-z0-9_]+]] = %c0 to %[[CNT]] step %c1 iter_args(%{{.*}} = %[[SL]])
// CHECK: %[[AT:.*]] = arith.addi %[[LO]], %[[T]] : index
// CHECK: tensor.extract %[[IDS]][%[[B]], %[[AT]]] : tensor<2x?xi32>
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %c0] : tensor<4x1xi8>
// CHECK: vector.transfer_write {{.*}}[%[[T]], %{{.*}}] {in_bounds = [true]} : vector<8xf32>, tensor<?x24xf32>
// CHECK: tensor.parallel_insert_slice %[[ROWS]] into %[[OUT]][%[[B]], %[[LO]], 0] [1, %[[CNT]], 24] [1, 1, 1] : tensor<?x24xf32> into tensor<2x?x24xf32>
func.func @w8_asym_2d(%p: tensor<4x6xi32>, %s: tensor<4x1xbf16>, %z: tensor<4x1xi8>, %ids: tensor<2x?xi32>) -> tensor<2x?x24xf32> {
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 8, group_size = 0, asymmetric, scale_type = bf16> : tensor<4x6xi32>, tensor<4x1xbf16>, tensor<2x?xi32>, tensor<4x1xi8> -> tensor<2x?x24xf32>
  return %r : tensor<2x?x24xf32>
}

// -----

// Static ids of at most rows-per-task: the condition folds, only the
// serial loop is left (rows-per-task=16 and 256 alike).
// CHECK-LABEL: func @tiny_static
// CHECK-NOT: scf.forall
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK: return
// R16-LABEL: func @tiny_static
// R16-NOT: scf.forall
// R16: return
func.func @tiny_static(%p: tensor<5x16xi32>, %s: tensor<5x2xf16>, %ids: tensor<8xi64>) -> tensor<8x128xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<5x16xi32>, tensor<5x2xf16>, tensor<8xi64> -> tensor<8x128xf16>
  return %r : tensor<8x128xf16>
}

// -----

// What is not vectorized stays for --qembed-to-linalg, serial: the remark
// says so.
// CHECK-LABEL: func @w3
// CHECK-NOT: scf.forall
// CHECK: qembed.gather
func.func @w3(%p: tensor<5x12xi32>, %s: tensor<5x2xf32>, %ids: tensor<?xi64>) -> tensor<?x128xf32> {
  // expected-remark @below {{qembed.gather not vectorized: 3-bit codes straddle words (only 2, 4 and 8 bits are vectorized); --qembed-to-linalg lowers it element by element, on one thread}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 3, group_size = 64, symmetric, scale_type = f32> : tensor<5x12xi32>, tensor<5x2xf32>, tensor<?xi64> -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
