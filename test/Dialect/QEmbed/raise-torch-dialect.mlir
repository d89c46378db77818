// Lookups still in the torch dialect (torch-mlir's output_type="torch",
// printed in generic form) are not raised; each gets a remark saying how to
// export instead, with or without remarks=true.
// RUN: qembed-opt %s --allow-unregistered-dialect --qembed-raise-lookups --verify-diagnostics | FileCheck %s
// RUN: qembed-opt %s --allow-unregistered-dialect --quantize-embeddings --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @forward
// CHECK-NOT: qembed.
// CHECK: "torch.aten.embedding"
// CHECK: "torch.aten.index_select"
// CHECK: "torch.aten.index.Tensor_hacked_twin"
// CHECK: "torch.aten.index.Tensor"
func.func @forward(%ids: !torch.vtensor<[1,3],si64>, %flat: !torch.vtensor<[3],si64>) {
  %int-1 = "torch.constant.int"() <{value = -1 : i64}> : () -> !torch.int
  %int0 = "torch.constant.int"() <{value = 0 : i64}> : () -> !torch.int
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %w = "torch.vtensor.literal"() <{value = dense<1.0> : tensor<16x8xf32>}> : () -> !torch.vtensor<[16,8],f32>
  // expected-remark @+1 {{not raised to qembed.lookup: 'torch.aten.embedding' in the torch dialect is not supported; export with torch_mlir.fx.export_and_import(..., output_type="linalg-on-tensors") or run torch-mlir's torch-backend-to-linalg-on-tensors-backend-pipeline first}}
  %0 = "torch.aten.embedding"(%w, %ids, %int-1, %false, %false) : (!torch.vtensor<[16,8],f32>, !torch.vtensor<[1,3],si64>, !torch.int, !torch.bool, !torch.bool) -> !torch.vtensor<[1,3,8],f32>
  // expected-remark @+1 {{'torch.aten.index_select' in the torch dialect is not supported}}
  %1 = "torch.aten.index_select"(%w, %int0, %flat) : (!torch.vtensor<[16,8],f32>, !torch.int, !torch.vtensor<[3],si64>) -> !torch.vtensor<[3,8],f32>
  %list = "torch.prim.ListConstruct"(%ids) : (!torch.vtensor<[1,3],si64>) -> !torch.list<vtensor>
  // expected-remark @+1 {{'torch.aten.index.Tensor_hacked_twin' in the torch dialect is not supported}}
  %2 = "torch.aten.index.Tensor_hacked_twin"(%w, %list) : (!torch.vtensor<[16,8],f32>, !torch.list<vtensor>) -> !torch.vtensor<[1,3,8],f32>
  // expected-remark @+1 {{'torch.aten.index.Tensor' in the torch dialect is not supported}}
  %3 = "torch.aten.index.Tensor"(%w, %list) : (!torch.vtensor<[16,8],f32>, !torch.list<vtensor>) -> !torch.vtensor<[1,3,8],f32>
  return
}
