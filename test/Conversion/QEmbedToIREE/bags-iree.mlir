// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90" | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-to-iree="target=cpu" | FileCheck %s --check-prefix=CPU

// --qembed-to-iree target=cuda: each qembed.gather_bags becomes a
// flow.dispatch of qembed's bag kernel (PTX inline in a
// hal.executable.source; bindings packed, scales, [zero points], ids,
// offsets, output; push constants ids count, bags, rows; one thread per
// 16-byte output slice: 2 per bag of 16 f16 columns). target=cpu: the
// --qembed-to-linalg loop.

// CHECK: #[[GRID:.*]] = affine_map<()[s0] -> ((s0 * 2) ceildiv 256, 1)>
// CHECK: "hal.executable.source"
// CHECK: ^bb0(%{{.*}}: !hal.device, %[[N:[a-z0-9]+]]: index):
// CHECK: affine.max #[[GRID]]()[%[[N]]]
// CHECK: layout = #hal.pipeline.layout<constants = 3, bindings = [#hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer, ReadOnly>, #hal.pipeline.binding<storage_buffer>]>
// CHECK-SAME: sym_name = "qembed_gather_bags_sum_w4_g0_sym_f16_f16_i64_o64_d16_b256"
// CHECK-SAME: workgroup_size = [256 : index, 1 : index, 1 : index]
// CHECK: objects = #hal.executable.objects<{#hal.executable.target<"cuda", "cuda-nvptx-fb"> = [#hal.executable.object<{data = dense<"0x{{[0-9A-F]+}}"> : vector<{{[0-9]+}}xi8>}>]}>
// CHECK-LABEL: func @bags
// CHECK-SAME: (%[[P:.*]]: tensor<10x2xi32>, %[[S:.*]]: tensor<10x1xf16>, %[[I:.*]]: tensor<?xi64>, %[[O:.*]]: tensor<?xi64>)
// CHECK-DAG: %[[NI:.*]] = tensor.dim %[[I]]
// CHECK-DAG: %[[NB:.*]] = tensor.dim %[[O]]
// CHECK-DAG: %[[NI32:.*]] = arith.index_castui %[[NI]] : index to i32
// CHECK-DAG: %[[NB32:.*]] = arith.index_castui %[[NB]] : index to i32
// CHECK: %[[R:.*]] = "flow.dispatch"(%[[NB]], %[[NI32]], %[[NB32]], %{{.*}}, %[[P]], %[[S]], %[[I]], %[[O]], %[[NI]], %[[NB]], %[[NB]]) {entry_points = [@qembed_gather_bags_sum_w4_g0_sym_f16_f16_i64_o64_d16_b256::@qembed_gather_bags_sum_w4_g0_sym_f16_f16_i64_o64_d16_b256], operandSegmentSizes = array<i32: 1, 7, 2, 1>, tied_operands = [-1 : index]} : (index, i32, i32, i32, tensor<10x2xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64>, index, index, index) -> tensor<?x16xf16>
// CHECK: return %[[R]]
// CPU-LABEL: func @bags
// CPU-NOT: qembed.
// CPU: linalg.generic
// CPU: scf.for
func.func @bags(%p: tensor<10x2xi32>, %s: tensor<10x1xf16>, %i: tensor<?xi64>, %o: tensor<?xi64>) -> tensor<?x16xf16> {
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<10x2xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
}

// -----

// Index-typed ids have no width the kernel could read: an error.
func.func @index_ids(%p: tensor<10x2xi32>, %s: tensor<10x1xf16>, %i: tensor<?xindex>, %o: tensor<?xi64>) -> tensor<?x16xf16> {
  // expected-error @+1 {{'qembed.gather_bags' op cannot become a CUDA custom dispatch: the CUDA dispatch needs i32 or i64 ids and offsets}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<10x2xi32>, tensor<10x1xf16>, tensor<?xindex>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
}
