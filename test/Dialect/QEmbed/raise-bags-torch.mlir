// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-raise-lookups --verify-diagnostics | FileCheck %s

// torch.nn.EmbeddingBag still in the torch dialect (fx importer,
// output_type="torch", generic form): never raised; the remark names what
// torch-mlir cannot lower (mean, max, include_last_offset, padding_idx) and
// warns that it drops per_sample_weights. Operands: weight, indices,
// offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
// include_last_offset, padding_idx.

// CHECK-LABEL: func @mean
// CHECK: torch.aten.embedding_bag.padding_idx
func.func @mean(%w: !torch.vtensor<[10,4],f32>, %i: !torch.vtensor<[8],si64>, %o: !torch.vtensor<[4],si64>) {
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %mode = "torch.constant.int"() <{value = 1 : i64}> : () -> !torch.int
  %none = "torch.constant.none"() : () -> !torch.none
  %pad = "torch.constant.int"() <{value = -1 : i64}> : () -> !torch.int
  // expected-remark @+1 {{not raised to qembed.lookup_bags: 'torch.aten.embedding_bag.padding_idx' in the torch dialect is not supported; export with torch_mlir.fx.export_and_import(..., output_type="linalg-on-tensors"), but torch-mlir (and IREE's torch input) cannot lower mode="mean" (it fails on them; only mode="sum" becomes a linalg.generic qembed raises)}}
  %r:4 = "torch.aten.embedding_bag.padding_idx"(%w, %i, %o, %false, %mode, %false, %none, %false, %pad) : (!torch.vtensor<[10,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.bool, !torch.int, !torch.bool, !torch.none, !torch.bool, !torch.int) -> (!torch.vtensor<[4,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.vtensor<[4],si64>)
  return
}

// -----

// CHECK-LABEL: func @max_last_offset
func.func @max_last_offset(%w: !torch.vtensor<[10,4],f32>, %i: !torch.vtensor<[8],si64>, %o: !torch.vtensor<[4],si64>) {
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %true = "torch.constant.bool"() <{value = true}> : () -> !torch.bool
  %mode = "torch.constant.int"() <{value = 2 : i64}> : () -> !torch.int
  %none = "torch.constant.none"() : () -> !torch.none
  %pad = "torch.constant.int"() <{value = -1 : i64}> : () -> !torch.int
  // expected-remark @+1 {{cannot lower mode="max", include_last_offset=True (it fails on them}}
  %r:4 = "torch.aten.embedding_bag.padding_idx"(%w, %i, %o, %false, %mode, %false, %none, %true, %pad) : (!torch.vtensor<[10,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.bool, !torch.int, !torch.bool, !torch.none, !torch.bool, !torch.int) -> (!torch.vtensor<[3,4],f32>, !torch.vtensor<[0],si64>, !torch.vtensor<[3],si64>, !torch.vtensor<[3,4],si64>)
  return
}

// -----

// CHECK-LABEL: func @padding_idx
func.func @padding_idx(%w: !torch.vtensor<[10,4],f32>, %i: !torch.vtensor<[8],si64>, %o: !torch.vtensor<[4],si64>) {
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %mode = "torch.constant.int"() <{value = 0 : i64}> : () -> !torch.int
  %none = "torch.constant.none"() : () -> !torch.none
  %pad = "torch.constant.int"() <{value = 2 : i64}> : () -> !torch.int
  // expected-remark @+1 {{cannot lower padding_idx (it fails on them}}
  %r:4 = "torch.aten.embedding_bag.padding_idx"(%w, %i, %o, %false, %mode, %false, %none, %false, %pad) : (!torch.vtensor<[10,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.bool, !torch.int, !torch.bool, !torch.none, !torch.bool, !torch.int) -> (!torch.vtensor<[4,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.vtensor<[4],si64>)
  return
}

// -----

// CHECK-LABEL: func @per_sample_weights
func.func @per_sample_weights(%w: !torch.vtensor<[10,4],f32>, %i: !torch.vtensor<[8],si64>, %o: !torch.vtensor<[4],si64>, %psw: !torch.vtensor<[8],f32>) {
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %mode = "torch.constant.int"() <{value = 0 : i64}> : () -> !torch.int
  %pad = "torch.constant.int"() <{value = -1 : i64}> : () -> !torch.int
  // expected-remark @+1 {{output_type="linalg-on-tensors"); beware: torch-mlir lowers per_sample_weights as a plain sum (it drops the weights), so qembed cannot see or raise them}}
  %r:4 = "torch.aten.embedding_bag.padding_idx"(%w, %i, %o, %false, %mode, %false, %psw, %false, %pad) : (!torch.vtensor<[10,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.bool, !torch.int, !torch.bool, !torch.vtensor<[8],f32>, !torch.bool, !torch.int) -> (!torch.vtensor<[4,4],f32>, !torch.vtensor<[0],si64>, !torch.vtensor<[4],si64>, !torch.vtensor<[4],si64>)
  return
}

// -----

// mode="sum" with nothing else: still only a remark in the torch dialect.
// CHECK-LABEL: func @sum
func.func @sum(%w: !torch.vtensor<[10,4],f32>, %i: !torch.vtensor<[8],si64>, %o: !torch.vtensor<[4],si64>) {
  %false = "torch.constant.bool"() <{value = false}> : () -> !torch.bool
  %mode = "torch.constant.int"() <{value = 0 : i64}> : () -> !torch.int
  %none = "torch.constant.none"() : () -> !torch.none
  %pad = "torch.constant.int"() <{value = -1 : i64}> : () -> !torch.int
  // expected-remark @+1 {{not raised to qembed.lookup_bags: 'torch.aten.embedding_bag.padding_idx' in the torch dialect is not supported; export with torch_mlir.fx.export_and_import(..., output_type="linalg-on-tensors")}}
  %r:4 = "torch.aten.embedding_bag.padding_idx"(%w, %i, %o, %false, %mode, %false, %none, %false, %pad) : (!torch.vtensor<[10,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.bool, !torch.int, !torch.bool, !torch.none, !torch.bool, !torch.int) -> (!torch.vtensor<[4,4],f32>, !torch.vtensor<[8],si64>, !torch.vtensor<[4],si64>, !torch.vtensor<[4],si64>)
  return
}
