// RUN: qembed-opt %s --split-input-file --verify-diagnostics --qembed-gpu-stage-buffers | FileCheck %s

// A bufferized lookup of a constant table: the table and scales go through
// the runtime's upload-once function (declared once per element type), the
// ids are copied in per call, the output is written on the device and copied
// back; all copies on one stream, waited for around the gather.
// CHECK-LABEL: func.func @constant_table
// CHECK-SAME: (%[[IDS:.*]]: memref<?xi64>, %[[OUT:.*]]: memref<?x128xf32>)
// CHECK: %[[P:.*]] = memref.get_global @packed
// CHECK: %[[S:.*]] = memref.get_global @scales
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[PC:.*]] = memref.cast %[[P]] : memref<4x16xi32> to memref<?x?xi32>
// CHECK: %[[PD:.*]] = call @qembedDeviceConstant_i32(%[[PC]])
// CHECK: %[[PDC:.*]] = memref.cast %[[PD]] : memref<?x?xi32> to memref<4x16xi32>
// CHECK: %[[SC:.*]] = memref.cast %[[S]] : memref<4x2xf32> to memref<?x?xf32>
// CHECK: %[[SD:.*]] = call @qembedDeviceConstant_f32(%[[SC]])
// CHECK: %[[SDC:.*]] = memref.cast %[[SD]]
// CHECK: %[[DI:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] (%{{.*}}) : memref<?xi64>
// CHECK: %[[T2:.*]] = gpu.memcpy async [%[[T1]]] %[[DI]], %[[IDS]]
// CHECK: %[[DO:.*]], %[[T3:.*]] = gpu.alloc async [%[[T2]]] (%{{.*}}) : memref<?x128xf32>
// CHECK: gpu.wait [%[[T3]]]
// CHECK: qembed.buffer_gather %[[PDC]][%[[DI]]] scales(%[[SDC]]) into %[[DO]] scheme
// CHECK-NOT: qembed.host_buffers
// CHECK: %[[U0:.*]] = gpu.wait async
// CHECK: %[[U1:.*]] = gpu.memcpy async [%[[U0]]] %[[OUT]], %[[DO]]
// CHECK: %[[U2:.*]] = gpu.dealloc async [%[[U1]]] %[[DI]]
// CHECK: %[[U3:.*]] = gpu.dealloc async [%[[U2]]] %[[DO]]
// CHECK: gpu.wait [%[[U3]]]
// CHECK: func.func private @qembedDeviceConstant_i32(memref<?x?xi32>) -> memref<?x?xi32> attributes {llvm.emit_c_interface}
// CHECK: func.func private @qembedDeviceConstant_f32(memref<?x?xf32>) -> memref<?x?xf32> attributes {llvm.emit_c_interface}
memref.global "private" constant @packed : memref<4x16xi32> = dense<7>
memref.global "private" constant @scales : memref<4x2xf32> = dense<0.5>
func.func @constant_table(%ids: memref<?xi64>, %out: memref<?x128xf32>) {
  %p = memref.get_global @packed : memref<4x16xi32>
  %s = memref.get_global @scales : memref<4x2xf32>
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> {qembed.host_buffers} : memref<4x16xi32>, memref<4x2xf32>, memref<?xi64>, memref<?x128xf32>
  return
}

// -----

// A table passed in (not a constant) is copied per call like the ids; a
// gather without the marker (a hand-written entry point: device buffers)
// is left alone.
// CHECK-LABEL: func.func @table_argument
// CHECK-NOT: qembedDeviceConstant
// CHECK: gpu.alloc async {{.*}} : memref<4x16xi32>
// CHECK: gpu.memcpy async
// CHECK: gpu.alloc async {{.*}} : memref<4x2xf32>
// CHECK: gpu.alloc async {{.*}} : memref<4x2xi8>
// CHECK: qembed.buffer_gather
// CHECK-LABEL: func.func @device_entry_point
// CHECK-NOT: gpu.
// CHECK: qembed.buffer_gather
// CHECK-NOT: gpu.
func.func @table_argument(%p: memref<4x16xi32>, %s: memref<4x2xf32>, %z: memref<4x2xi8>, %ids: memref<3xi32>, %out: memref<3x128xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) zero_points(%z) into %out scheme <bits = 4, group_size = 64, asymmetric, scale_type = f32> {qembed.host_buffers} : memref<4x16xi32>, memref<4x2xf32>, memref<3xi32>, memref<3x128xf32>, memref<4x2xi8>
  return
}
func.func @device_entry_point(%p: memref<4x16xi32>, %s: memref<4x2xf32>, %ids: memref<3xi32>, %out: memref<3x128xf32>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> : memref<4x16xi32>, memref<4x2xf32>, memref<3xi32>, memref<3x128xf32>
  return
}

// -----

func.func @strided_ids(%p: memref<4x16xi32>, %s: memref<4x2xf32>, %ids: memref<3xi64, strided<[2]>>, %out: memref<3x128xf32>) {
  // expected-error @+1 {{GPU staging needs identity-layout buffers, got 'memref<3xi64, strided<[2]>>'}}
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f32> {qembed.host_buffers} : memref<4x16xi32>, memref<4x2xf32>, memref<3xi64, strided<[2]>>, memref<3x128xf32>
  return
}
