// --qembed-to-iree target=cuda: a codebook VQ gather becomes a flow.dispatch
// of qembed's codebook kernel (inline PTX in a hal.executable.source), with
// the codebooks as a third read-only binding; what the kernel cannot serve
// is an error. target=cpu still lowers it to linalg.
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90 vq-max-workgroups=5000 vq-block-size=128 vq-unroll=1 unroll=9" | FileCheck %s --check-prefix=EXPL
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cpu" | FileCheck %s --check-prefix=CPU
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cuda vq-max-workgroups=-1" 2>&1 | FileCheck %s --check-prefix=BADCAP
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cuda vq-block-size=100" 2>&1 | FileCheck %s --check-prefix=BADBLOCK
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cuda vq-unroll=9" 2>&1 | FileCheck %s --check-prefix=BADUNROLL

// BADCAP: error: --qembed-to-iree: vq-max-workgroups must be >= 0, got -1
// BADUNROLL: error: --qembed-to-iree: vq-unroll must be in 0..8 (0: the generator's choice), got 9
// BADBLOCK: error: --qembed-to-iree: vq-block-size must be 0 (the generator's choice) or a multiple of 32 in 32..1024, got 100

// d8 K256, 2 stages, 2 groups, f16 codebooks and rows, dynamic 1-D i64 ids:
// 12 vectors per row, one per chunk of the packed path, 2 chunks per thread;
// 16 KiB of codebooks: the generator's block is 1024 threads, one wave of
// them 132 * 2 workgroups.
// CHECK: #[[CAP:.*]] = affine_map<()[s0] -> ((s0 * 12) ceildiv 2048, 264)>
// CHECK: #[[ATLEAST1:.*]] = affine_map<()[s0] -> (s0, 1)>
// CHECK: "hal.executable.source"() ({
// CHECK:   "hal.executable.export"() ({
// CHECK:   ^bb0(%{{.*}}: !hal.device, %[[W:.*]]: index):
// CHECK:     %[[M:.*]] = affine.min #[[CAP]]()[%[[W]]]
// CHECK:     %[[N:.*]] = affine.max #[[ATLEAST1]]()[%[[M]]]
// CHECK:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK:     "hal.return"(%[[N]], %[[ONE]], %[[ONE]])
// CHECK:   }) {layout = #hal.pipeline.layout<constants = 2, bindings = [#hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer>]>, ordinal = 0 : index, sym_name = "[[K:qembed_vq_gather_d8_k256_s2_g2_f16_f16_f16_i64_c96_b1024]]", workgroup_size = [1024 : index, 1 : index, 1 : index]}
// CHECK: }) {objects = #hal.executable.objects<{#hal.executable.target<"cuda", "cuda-nvptx-fb"> = [#hal.executable.object<{data = dense<"0x{{[0-9A-F]+}}00"> : vector<{{[0-9]+}}xi8>}>]}>, sym_name = "[[K]]", sym_visibility = "private"}
// CHECK-NOT: "hal.executable.source"
// CHECK-LABEL: func.func @vq
// CHECK-SAME: (%[[C:.*]]: tensor<100x6xi32>, %[[S:.*]]: tensor<100x1xf16>, %[[B:.*]]: tensor<2x2x256x8xf16>, %[[IDS:.*]]: tensor<?xi64>, %[[IDS2:.*]]: tensor<?xi64>)
// CHECK: %[[T:.*]] = tensor.dim %[[IDS]], %{{.*}} : tensor<?xi64>
// CHECK-DAG: %[[R32:.*]] = arith.constant 100 : i32
// CHECK-DAG: %[[T32:.*]] = arith.index_castui %[[T]] : index to i32
// CHECK: %[[D:.*]] = "flow.dispatch"(%[[T]], %[[T32]], %[[R32]], %[[C]], %[[S]], %[[B]], %[[IDS]], %[[T]], %[[T]]) {entry_points = [@[[K]]::@[[K]]], operandSegmentSizes = array<i32: 1, 6, 1, 1>, tied_operands = [-1 : index]} : (index, i32, i32, tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64>, index, index) -> tensor<?x96xf16>
// The second lookup of the same table shape reuses the executable.
// CHECK: %[[D2:.*]] = "flow.dispatch"({{.*}}%[[C]], %[[S]], %[[B]], %[[IDS2]]{{.*}}) {entry_points = [@[[K]]::@[[K]]]
// CHECK: return %[[D]], %[[D2]]
// CHECK-NOT: qembed.
// EXPL: #[[MAP:.*]] = affine_map<()[s0] -> ((s0 * 12) ceildiv 128, 5000)>
// EXPL: affine.min #[[MAP]]
// EXPL: sym_name = "qembed_vq_gather_d8_k256_s2_g2_f16_f16_f16_i64_c96_b128_u1"
// CPU-LABEL: func.func @vq
// CPU-NOT: flow.dispatch
// CPU: linalg.generic
// CPU: tensor.extract %{{.*}} : tensor<2x2x256x8xf16>
// CPU-NOT: qembed.
func.func @vq(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<?xi64>, %ids2: tensor<?xi64>) -> (tensor<?x96xf16>, tensor<?x96xf16>) {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64> -> tensor<?x96xf16>
  %r2 = qembed.codebook_gather %c[%ids2] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<?xi64> -> tensor<?x96xf16>
  return %r, %r2 : tensor<?x96xf16>, tensor<?x96xf16>
}

// -----

// d6 K2048 (11-bit codes straddle words: one vector per thread, no packed
// path), f32 codebooks, bf16 rows, static 2-D i32 ids and a dynamic row
// count: the ids are flattened around the dispatch, the row count comes from
// the codes, and the codebooks (2048 x 6 x 4 = 48 KiB) still fit in shared
// memory. 16 vectors per row.
// CHECK: #[[CAP2:.*]] = affine_map<()[s0] -> ((s0 * 16) ceildiv 256, 1056)>
// CHECK: sym_name = "[[K2:qembed_vq_gather_d6_k2048_s1_g1_f16_f32_bf16_i32_c96_b256]]"
// CHECK-LABEL: func.func @vq_2d
// CHECK-SAME: (%[[C:.*]]: tensor<?x6xi32>, %[[S:.*]]: tensor<?x1xf16>, %[[B:.*]]: tensor<1x1x2048x6xf32>, %[[IDS:.*]]: tensor<2x3xi32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[IDS]] {{\[\[}}0, 1]] : tensor<2x3xi32> into tensor<6xi32>
// CHECK-DAG: %[[T:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[ROWS:.*]] = tensor.dim %[[C]], %{{.*}} : tensor<?x6xi32>
// CHECK-DAG: %[[R32:.*]] = arith.index_castui %[[ROWS]] : index to i32
// CHECK: %[[DC:.*]] = tensor.dim %[[C]], %{{.*}} : tensor<?x6xi32>
// CHECK: %[[DS:.*]] = tensor.dim %[[S]], %{{.*}} : tensor<?x1xf16>
// CHECK: %[[D:.*]] = "flow.dispatch"(%[[T]], %{{.*}}, %[[R32]], %[[C]], %[[S]], %[[B]], %[[FLAT]], %[[DC]], %[[DS]]) {entry_points = [@[[K2]]::@[[K2]]], operandSegmentSizes = array<i32: 1, 6, 2, 0>, tied_operands = [-1 : index]} : (index, i32, i32, tensor<?x6xi32>, tensor<?x1xf16>, tensor<1x1x2048x6xf32>, tensor<6xi32>, index, index) -> tensor<6x96xbf16>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[D]] {{\[\[}}0, 1], [2]] output_shape [2, 3, 96] : tensor<6x96xbf16> into tensor<2x3x96xbf16>
// CHECK: return %[[E]]
func.func @vq_2d(%c: tensor<?x6xi32>, %s: tensor<?x1xf16>, %b: tensor<1x1x2048x6xf32>, %ids: tensor<2x3xi32>) -> tensor<2x3x96xbf16> {
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 6, entries = 2048, stages = 1, groups = 1> : tensor<?x6xi32>, tensor<?x1xf16>, tensor<1x1x2048x6xf32>, tensor<2x3xi32> -> tensor<2x3x96xbf16>
  return %r : tensor<2x3x96xbf16>
}

// -----

// Index-typed ids: the kernel reads i32 or i64 ids only (an error, not a
// fallback to IREE's codegen).
func.func @index_ids(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<4xindex>) -> tensor<4x96xf16> {
  // expected-error @+1 {{'qembed.codebook_gather' op cannot become a CUDA custom dispatch: the CUDA dispatch needs i32 or i64 ids, got index}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<4xindex> -> tensor<4x96xf16>
  return %r : tensor<4x96xf16>
}

// -----

// Rank-0 ids.
func.func @scalar_id(%c: tensor<100x6xi32>, %s: tensor<100x1xf16>, %b: tensor<2x2x256x8xf16>, %ids: tensor<i64>) -> tensor<96xf16> {
  // expected-error @+1 {{'qembed.codebook_gather' op cannot become a CUDA custom dispatch: the CUDA dispatch needs ids of rank >= 1}}
  %r = qembed.codebook_gather %c[%ids] scales(%s) codebooks(%b) codebook <dim = 8, entries = 256, stages = 2, groups = 2> : tensor<100x6xi32>, tensor<100x1xf16>, tensor<2x2x256x8xf16>, tensor<i64> -> tensor<96xf16>
  return %r : tensor<96xf16>
}
