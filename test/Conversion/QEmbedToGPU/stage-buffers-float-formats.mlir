// GPU staging of float-format gathers: argument buffers (f8 scales
// included) are copied to the device; constant f8 scales (E4M3FN, E8M0) are
// uploaded once as bytes by the runtime's qembedDeviceConstant_f8E4M3FN /
// _f8E8M0FNU (one function per type: a module may hold both).
// RUN: qembed-opt %s --split-input-file --qembed-gpu-stage-buffers | FileCheck %s

// CHECK-LABEL: func.func @args
// CHECK: %[[S:.*]], %{{.*}} = gpu.alloc async {{.*}} : memref<4x2xf8E4M3FN>
// CHECK: gpu.memcpy async {{.*}}%[[S]], %arg1 : memref<4x2xf8E4M3FN>, memref<4x2xf8E4M3FN>
// CHECK: qembed.buffer_gather {{.*}} scales(%[[S]])
func.func @args(%p: memref<4x4xi32>, %s: memref<4x2xf8E4M3FN>, %ids: memref<3xi64>, %out: memref<3x32xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out
      scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0> {qembed.host_buffers}
      : memref<4x4xi32>, memref<4x2xf8E4M3FN>, memref<3xi64>, memref<3x32xf16>
  return
}

// -----

// CHECK-LABEL: func.func @constant_scales
// CHECK: %[[G:.*]] = memref.get_global @scales : memref<4x1xf8E8M0FNU>
// CHECK: %[[C:.*]] = memref.cast %[[G]] : memref<4x1xf8E8M0FNU> to memref<?x?xf8E8M0FNU>
// CHECK: %[[D:.*]] = call @qembedDeviceConstant_f8E8M0FNU(%[[C]])
// CHECK: %[[S:.*]] = memref.cast %[[D]] : memref<?x?xf8E8M0FNU> to memref<4x1xf8E8M0FNU>
// CHECK: qembed.buffer_gather {{.*}} scales(%[[S]])
// CHECK: func.func private @qembedDeviceConstant_f8E8M0FNU(memref<?x?xf8E8M0FNU>) -> memref<?x?xf8E8M0FNU>
memref.global "private" constant @scales : memref<4x1xf8E8M0FNU> = dense<1.0>
func.func @constant_scales(%p: memref<4x4xi32>, %ids: memref<3xi64>, %out: memref<3x32xf16>) {
  %s = memref.get_global @scales : memref<4x1xf8E8M0FNU>
  qembed.buffer_gather %p[%ids] scales(%s) into %out
      scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> {qembed.host_buffers}
      : memref<4x4xi32>, memref<4x1xf8E8M0FNU>, memref<3xi64>, memref<3x32xf16>
  return
}

// -----

// NVFP4 and MXFP4 constant scales in one module: two upload functions.
// CHECK-LABEL: func.func @both
// CHECK: call @qembedDeviceConstant_f8E4M3FN(%{{.*}}) : (memref<?x?xf8E4M3FN>) -> memref<?x?xf8E4M3FN>
// CHECK: call @qembedDeviceConstant_f8E8M0FNU(%{{.*}}) : (memref<?x?xf8E8M0FNU>) -> memref<?x?xf8E8M0FNU>
// CHECK-DAG: func.func private @qembedDeviceConstant_f8E4M3FN(memref<?x?xf8E4M3FN>) -> memref<?x?xf8E4M3FN>
// CHECK-DAG: func.func private @qembedDeviceConstant_f8E8M0FNU(memref<?x?xf8E8M0FNU>) -> memref<?x?xf8E8M0FNU>
memref.global "private" constant @nv : memref<4x2xf8E4M3FN> = dense<1.0>
memref.global "private" constant @mx : memref<4x1xf8E8M0FNU> = dense<1.0>
func.func @both(%p: memref<4x4xi32>, %ids: memref<3xi64>, %o1: memref<3x32xf16>, %o2: memref<3x32xf16>) {
  %s1 = memref.get_global @nv : memref<4x2xf8E4M3FN>
  %s2 = memref.get_global @mx : memref<4x1xf8E8M0FNU>
  qembed.buffer_gather %p[%ids] scales(%s1) into %o1
      scheme <bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 448.0> {qembed.host_buffers}
      : memref<4x4xi32>, memref<4x2xf8E4M3FN>, memref<3xi64>, memref<3x32xf16>
  qembed.buffer_gather %p[%ids] scales(%s2) into %o2
      scheme <bits = 4, group_size = 32, symmetric, scale_type = f8E8M0FNU, format = mxfp4> {qembed.host_buffers}
      : memref<4x4xi32>, memref<4x1xf8E8M0FNU>, memref<3xi64>, memref<3x32xf16>
  return
}
