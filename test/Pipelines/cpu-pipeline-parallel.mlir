// --qembed-cpu-pipeline parallel=true: the gather's loop over blocks of ids
// is an OpenMP worksharing loop (omp.parallel > omp.wsloop > omp.loop_nest)
// on LLVM values; nothing but llvm and omp ops is left. The default
// pipeline has no OpenMP op at all. Bad options are errors.
// RUN: qembed-opt %s --qembed-cpu-pipeline="parallel=true" | FileCheck %s
// RUN: qembed-opt %s --qembed-cpu-pipeline="parallel=true rows-per-task=8" | FileCheck %s --check-prefix=R8
// RUN: qembed-opt %s --qembed-cpu-pipeline="parallel=true" | FileCheck %s --check-prefix=LEFT
// RUN: qembed-opt %s --qembed-cpu-pipeline | FileCheck %s --check-prefix=SERIAL
// RUN: not qembed-opt %s --qembed-cpu-pipeline="rows-per-task=8" 2>&1 | FileCheck %s --check-prefix=NOPAR
// RUN: not qembed-opt %s --qembed-cpu-pipeline="parallel=true rows-per-task=-3" 2>&1 | FileCheck %s --check-prefix=NEG

// NOPAR: invalid options: rows-per-task=8 needs parallel=true
// NEG: invalid options: rows-per-task must be in [1, 2^31] (or 0 for the default), got -3

// CHECK-LABEL: llvm.func @forward
// The id count against the default 256 ids per task: serial or parallel.
// CHECK: %[[C256:.*]] = llvm.mlir.constant(256 : index) : i64
// CHECK: llvm.icmp "ule" %{{.*}}, %[[C256]] : i64
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%[[K:.*]]) : i64 = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK: llvm.mul %[[K]], %[[C256]] : i64
// CHECK: llvm.icmp "ult"
// Inside the OpenMP loop, the rows are the vector code of the serial form:
// one load of the chunk's 2 words, the shuffle, the multiply and one store
// of 8 values.
// CHECK: llvm.load {{.*}} -> vector<2xi32>
// CHECK: llvm.shufflevector {{.*}} [0, 0, 0, 0, 1, 1, 1, 1] : vector<2xi32>
// CHECK: llvm.lshr {{.*}} : vector<8xi32>
// CHECK: llvm.fmul {{.*}} : vector<8xf32>
// CHECK: llvm.store {{.*}} : vector<8xbf16>, !llvm.ptr
// CHECK: omp.yield
// CHECK: omp.terminator
// R8: llvm.mlir.constant(8 : index) : i64
// R8: omp.loop_nest
// LEFT-NOT: {{[ "](qembed|linalg|tensor|memref|bufferization|scf|cf|arith|affine|func|vector)\.[a-z]}}
// SERIAL-NOT: omp.
func.func @forward(%ids: tensor<?xi64>) -> tensor<?x8xbf16> {
  %p = arith.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi32>
  %s = arith.constant dense<[[1.0], [0.5], [0.25]]> : tensor<3x1xbf16>
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16> : tensor<3x2xi32>, tensor<3x1xbf16>, tensor<?xi64> -> tensor<?x8xbf16>
  return %r : tensor<?x8xbf16>
}
