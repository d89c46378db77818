// The CUDA custom dispatch does not handle the float formats yet: a gather
// of one is an error, not a silent integer kernel.
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics --qembed-to-iree="target=cuda chip=sm_90"

func.func @fp8(%p: tensor<10x16xi32>, %s: tensor<10x1xf16>, %ids: tensor<3xi64>) -> tensor<3x64xf16> {
  // expected-error @+1 {{cannot become a CUDA custom dispatch: the CUDA dispatch supports only format int, got format fp8}}
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 8, group_size = 0, symmetric, scale_type = f16, format = fp8>
      : tensor<10x16xi32>, tensor<10x1xf16>, tensor<3xi64> -> tensor<3x64xf16>
  return %r : tensor<3x64xf16>
}
