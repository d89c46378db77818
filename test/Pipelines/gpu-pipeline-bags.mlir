// RUN: qembed-opt %s --split-input-file --verify-diagnostics --qembed-gpu-pipeline="chip=sm_90 format=isa"

// EmbeddingBag ops have no lowering in --qembed-gpu-pipeline: an error that
// names the op and the ways out, before bufferization.

func.func @gather_bags(%p: tensor<10x2xi32>, %s: tensor<10x1xf16>, %i: tensor<?xi64>, %o: tensor<?xi64>) -> tensor<?x16xf16> {
  // expected-error @+1 {{--qembed-gpu-pipeline has no GPU lowering of 'qembed.gather_bags'; run --qembed-cpu-pipeline, or --qembed-to-iree / --qembed-to-linalg and compile with IREE}}
  %r = qembed.gather_bags %p[%i] offsets(%o) scales(%s) mode(sum) scheme <bits = 4, group_size = 0, symmetric, scale_type = f16> : tensor<10x2xi32>, tensor<10x1xf16>, tensor<?xi64>, tensor<?xi64> -> tensor<?x16xf16>
  return %r : tensor<?x16xf16>
}

// -----

func.func @lookup_bags(%t: tensor<10x4xf32>, %i: tensor<8xi64>, %o: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{--qembed-gpu-pipeline has no GPU lowering of 'qembed.lookup_bags'}}
  %r = qembed.lookup_bags %t[%i] offsets(%o) mode(mean) : tensor<10x4xf32>, tensor<8xi64>, tensor<3xi64> -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
