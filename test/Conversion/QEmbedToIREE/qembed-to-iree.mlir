// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_80 block-size=128 unroll=1" | FileCheck %s --check-prefix=SMALL
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cpu" | FileCheck %s --check-prefix=CPU
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cuda chip=sm_20" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=rocm" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not qembed-opt %s --split-input-file --qembed-to-iree="target=cuda" 2>&1 | FileCheck %s --check-prefix=UNREG

// CHIP: error: --qembed-to-iree: unknown or unsupported GPU chip 'sm_20'
// TARGET: error: --qembed-to-iree: target must be 'cuda' or 'cpu', got 'rocm'
// SMALL: affine_map<()[s0] -> ((s0 * 8) ceildiv 128, 1)>
// SMALL: workgroup_size = [128 : index, 1 : index, 1 : index]
// SMALL: sym_name = "qembed_gather_w4_g0_sym_f16_f16_i64_d64_b128_u1"

// UNREG: error: --qembed-to-iree: target=cuda emits IREE ops (flow.dispatch, hal.executable.source): run with --allow-unregistered-dialect

// W4 per row, f16 rows, dynamic 1-D i64 ids inside an IREE util.func: the gather
// becomes a flow.dispatch of qembed's kernel, embedded as inline PTX.
// Bindings: packed, scales, ids (read-only), output; push constants: tokens,
// rows. Workgroups: ceil(tokens * 8 slices / (256 threads * 2 slices)).
// CHECK: #[[COUNT:.*]] = affine_map<()[s0] -> ((s0 * 8) ceildiv 512, 1)>
// CHECK: "hal.executable.source"() ({
// CHECK:   "hal.executable.export"() ({
// CHECK:   ^bb0(%{{.*}}: !hal.device, %[[W:.*]]: index):
// CHECK:     %[[N:.*]] = affine.max #[[COUNT]]()[%[[W]]]
// CHECK:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK:     "hal.return"(%[[N]], %[[ONE]], %[[ONE]])
// CHECK:   }, {
// CHECK:   }) {layout = #hal.pipeline.layout<constants = 2, bindings = [#hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer>]>, ordinal = 0 : index, sym_name = "[[K:qembed_gather_w4_g0_sym_f16_f16_i64_d64_b256_u2]]", workgroup_size = [256 : index, 1 : index, 1 : index]}
// CHECK:   "hal.executable.source_end"()
// CHECK: }) {objects = #hal.executable.objects<{#hal.executable.target<"cuda", "cuda-nvptx-fb"> = [#hal.executable.object<{data = dense<"0x{{[0-9A-F]+}}00"> : vector<{{[0-9]+}}xi8>}>]}>, sym_name = "[[K]]", sym_visibility = "private"}
// CHECK-LABEL: sym_name = "w4"
// CHECK: ^bb0(%[[IDS:.*]]: tensor<?xi64>):
// CHECK-DAG: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<16x8xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<16x1xf16>
// CHECK: %[[T:.*]] = tensor.dim %[[IDS]], %{{.*}} : tensor<?xi64>
// CHECK-DAG: %[[R32:.*]] = arith.constant 16 : i32
// CHECK-DAG: %[[T32:.*]] = arith.index_castui %[[T]] : index to i32
// CHECK: %[[D:.*]] = "flow.dispatch"(%[[T]], %[[T32]], %[[R32]], %[[P]], %[[S]], %[[IDS]], %[[T]], %[[T]]) {entry_points = [@[[K]]::@[[K]]], operandSegmentSizes = array<i32: 1, 5, 1, 1>, tied_operands = [-1 : index]} : (index, i32, i32, tensor<16x8xi32>, tensor<16x1xf16>, tensor<?xi64>, index, index) -> tensor<?x64xf16>
// CHECK: "util.return"(%[[D]])
// CHECK-NOT: qembed.
// CPU-LABEL: sym_name = "w4"
// CPU-NOT: flow.dispatch
// CPU: linalg.generic
// CPU-NOT: qembed.
"util.func"() <{function_type = (tensor<?xi64>) -> tensor<?x64xf16>, sym_name = "w4"}> ({
^bb0(%ids: tensor<?xi64>):
  %p = arith.constant dense<[[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 9]]> : tensor<16x8xi32>
  %s = arith.constant dense<[[0.5], [0.25], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5], [0.5]]> : tensor<16x1xf16>
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<16x8xi32>, tensor<16x1xf16>, tensor<?xi64> -> tensor<?x64xf16>
  "util.return"(%r) : (tensor<?x64xf16>) -> ()
}) : () -> ()

// -----

// W3 asymmetric g32, f32 rows, 2-D i32 ids, tables passed in (not constants,
// dynamic rows): zero points are a fourth read-only binding, ids are
// flattened around the dispatch and every dynamic dim is passed on.
// CHECK: #[[COUNT2:.*]] = affine_map<()[s0] -> ((s0 * 32) ceildiv 512, 1)>
// CHECK: layout = #hal.pipeline.layout<constants = 2, bindings = [#hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer>]>, ordinal = 0 : index, sym_name = "[[K2:qembed_gather_w3_g32_asym_f32_f32_i32_d128_b256_u2]]"
// CHECK-LABEL: sym_name = "w3_asym_2d"
// CHECK: ^bb0(%[[P:.*]]: tensor<?x12xi32>, %[[S:.*]]: tensor<?x4xf32>, %[[Z:.*]]: tensor<?x4xi8>, %[[IDS:.*]]: tensor<4x?xi32>):
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[IDS]] {{\[\[}}0, 1]] : tensor<4x?xi32> into tensor<?xi32>
// CHECK: %[[T:.*]] = tensor.dim %[[FLAT]]
// CHECK: %[[R:.*]] = tensor.dim %[[P]]
// CHECK: %[[R32:.*]] = arith.index_castui %[[R]] : index to i32
// CHECK: %[[T32:.*]] = arith.index_castui %[[T]] : index to i32
// CHECK: %[[DP:.*]] = tensor.dim %[[P]]
// CHECK: %[[DS:.*]] = tensor.dim %[[S]]
// CHECK: %[[DZ:.*]] = tensor.dim %[[Z]]
// CHECK: %[[D:.*]] = "flow.dispatch"(%[[T]], %[[T32]], %[[R32]], %[[P]], %[[S]], %[[Z]], %[[FLAT]], %[[DP]], %[[DS]], %[[DZ]], %[[T]], %[[T]]) {entry_points = [@[[K2]]::@[[K2]]], operandSegmentSizes = array<i32: 1, 6, 4, 1>, tied_operands = [-1 : index]} : (index, i32, i32, tensor<?x12xi32>, tensor<?x4xf32>, tensor<?x4xi8>, tensor<?xi32>, index, index, index, index, index) -> tensor<?x128xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[D]] {{\[\[}}0, 1], [2]] output_shape [4, %{{.*}}, 128] : tensor<?x128xf32> into tensor<4x?x128xf32>
// CHECK: "util.return"(%[[E]])
"util.func"() <{function_type = (tensor<?x12xi32>, tensor<?x4xf32>, tensor<?x4xi8>, tensor<4x?xi32>) -> tensor<4x?x128xf32>, sym_name = "w3_asym_2d"}> ({
^bb0(%p: tensor<?x12xi32>, %s: tensor<?x4xf32>, %z: tensor<?x4xi8>, %ids: tensor<4x?xi32>):
  %r = qembed.gather %p[%ids] scales(%s) zero_points(%z) scheme <bits = 3, group_size = 32, asymmetric, scale_type = f32> : tensor<?x12xi32>, tensor<?x4xf32>, tensor<4x?xi32>, tensor<?x4xi8> -> tensor<4x?x128xf32>
  "util.return"(%r) : (tensor<4x?x128xf32>) -> ()
}) : () -> ()

// -----

// Two lookups with the same kernel share one executable; static ids give a
// static dispatch result (no result dims). A tied table's qembed.dequantize
// is lowered (here: folded) as --qembed-to-linalg lowers it, and other ops
// stay as they are.
// CHECK-COUNT-1: "hal.executable.source"
// CHECK-NOT: "hal.executable.source"
// CHECK-LABEL: sym_name = "shared"
// CHECK: "flow.dispatch"({{.*}}) {entry_points = [@[[K3:qembed_gather_w8_g0_sym_bf16_bf16_i64_d16_b256_u2]]::@[[K3]]], operandSegmentSizes = array<i32: 1, 5, 0, 0>, {{.*}}} : (index, i32, i32, tensor<4x4xi32>, tensor<4x1xbf16>, tensor<7xi64>) -> tensor<7x16xbf16>
// CHECK: "flow.dispatch"({{.*}}) {entry_points = [@[[K3]]::@[[K3]]], operandSegmentSizes = array<i32: 1, 5, 1, 1>, {{.*}}} : (index, i32, i32, tensor<4x4xi32>, tensor<4x1xbf16>, tensor<?xi64>, index, index) -> tensor<?x16xbf16>
// CHECK: "some.other_op"(%{{.*}}) : (tensor<4x16xbf16>) -> tensor<4x16xbf16>
// CHECK-NOT: qembed.
"util.func"() <{function_type = (tensor<7xi64>, tensor<?xi64>) -> (tensor<7x16xbf16>, tensor<?x16xbf16>, tensor<4x16xbf16>), sym_name = "shared"}> ({
^bb0(%a: tensor<7xi64>, %b: tensor<?xi64>):
  %p = arith.constant dense<[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]> : tensor<4x4xi32>
  %s = arith.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xbf16>
  %r1 = qembed.gather %p[%a] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<4x4xi32>, tensor<4x1xbf16>, tensor<7xi64> -> tensor<7x16xbf16>
  %r2 = qembed.gather %p[%b] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<4x4xi32>, tensor<4x1xbf16>, tensor<?xi64> -> tensor<?x16xbf16>
  %t = qembed.dequantize %p scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<4x4xi32>, tensor<4x1xbf16> -> tensor<4x16xbf16>
  %u = "some.other_op"(%t) : (tensor<4x16xbf16>) -> tensor<4x16xbf16>
  "util.return"(%r1, %r2, %u) : (tensor<7x16xbf16>, tensor<?x16xbf16>, tensor<4x16xbf16>) -> ()
}) : () -> ()

// -----

// A row of 12 f16 values is not a whole number of 16-byte slices.
"util.func"() <{function_type = (tensor<?xi64>) -> tensor<?x12xf16>, sym_name = "odd_row"}> ({
^bb0(%ids: tensor<?xi64>):
  %p = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %s = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf16>
  // expected-error @+1 {{'qembed.gather' op cannot become a CUDA custom dispatch: the GPU kernel needs a row length that is a multiple of 8 (16 bytes of f16 output), got 12}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<2x2xi32>, tensor<2x1xf16>, tensor<?xi64> -> tensor<?x12xf16>
  "util.return"(%r) : (tensor<?x12xf16>) -> ()
}) : () -> ()

// -----

// Index-typed ids have no fixed width in the kernel's ABI.
"util.func"() <{function_type = (tensor<?xindex>) -> tensor<?x16xf16>, sym_name = "index_ids"}> ({
^bb0(%ids: tensor<?xindex>):
  %p = arith.constant dense<[[1, 2, 3, 4], [3, 4, 5, 6]]> : tensor<2x4xi32>
  %s = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf16>
  // expected-error @+1 {{cannot become a CUDA custom dispatch: the CUDA dispatch needs i32 or i64 ids, got index}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f16> : tensor<2x4xi32>, tensor<2x1xf16>, tensor<?xindex> -> tensor<?x16xf16>
  "util.return"(%r) : (tensor<?x16xf16>) -> ()
}) : () -> ()

// -----

"util.func"() <{function_type = (tensor<i64>) -> tensor<16xf16>, sym_name = "rank0_ids"}> ({
^bb0(%ids: tensor<i64>):
  %p = arith.constant dense<[[1, 2, 3, 4], [3, 4, 5, 6]]> : tensor<2x4xi32>
  %s = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf16>
  // expected-error @+1 {{cannot become a CUDA custom dispatch: the CUDA dispatch needs ids of rank >= 1}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f16> : tensor<2x4xi32>, tensor<2x1xf16>, tensor<i64> -> tensor<16xf16>
  "util.return"(%r) : (tensor<16xf16>) -> ()
}) : () -> ()

// -----

// A module of registered ops only (what the UNREG run parses without
// --allow-unregistered-dialect).
// CHECK-LABEL: func.func @registered_only
// CHECK: "flow.dispatch"
func.func @registered_only(%ids: tensor<?xi64>) -> tensor<?x16xf16> {
  %p = arith.constant dense<[[1, 2, 3, 4], [3, 4, 5, 6]]> : tensor<2x4xi32>
  %s = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf16>
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f16> : tensor<2x4xi32>, tensor<2x1xf16>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
}
