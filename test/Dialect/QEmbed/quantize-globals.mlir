// --qembed-quantize-globals on IREE globals with inline initial values
// (iree-turbine's aot.export, --compile-to=input): the table's lookups read
// new globals holding the packed words and scales; globals that are not
// read by lookups stay as they are; mutable globals, globals without an
// initial value or with one that is not a constant, tables the options
// skip and tables read by generics that are no lookup stay too, with a
// remark; a tied table keeps its global for its other uses, with a remark;
// a public table global is kept.
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics \
// RUN:   --qembed-quantize-globals="bits=4 group-size=8" | FileCheck %s

// A dense_resource table (as iree-turbine exports it): quantized into
// dense_resource globals; the table's global, now unused, is erased. The
// weight read by a matmul is no table and is left alone.
// CHECK-LABEL: "util.global"() <{initial_value = dense_resource<qembed_packed> : tensor<4x1xi32>, sym_name = "embed.qembed_packed", sym_visibility = "private", type = tensor<4x1xi32>}>
// CHECK-NEXT: "util.global"() <{initial_value = dense_resource<qembed_scales> : tensor<4x1xf32>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x1xf32>}>
// CHECK-NOT: sym_name = "embed"
// CHECK: sym_name = "proj"
// CHECK-LABEL: func.func @resource
// CHECK: %[[P:.*]] = "util.global.load"() <{global = @embed.qembed_packed}> : () -> tensor<4x1xi32>
// CHECK: %[[S:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x1xf32>
// CHECK: %[[R:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) scheme <bits = 4, group_size = 8, symmetric, scale_type = f32> : tensor<4x1xi32>, tensor<4x1xf32>, tensor<3xi64> -> tensor<3x8xf32>
// CHECK: "util.global.load"() <{global = @proj}>
// CHECK: linalg.matmul
// CHECK: return %[[R]]
// The packed words and scales (quantize-globals-params.mlir reads the same
// table from archives and must write these bytes).
// CHECK: qembed_packed: "0x08000000102243542164A8ECBBDCEDFFDDEEFEFF"
// CHECK-NEXT: qembed_scales: "0x08000000CDCCCC3E8988083EBCBBBB3E2222223F"
"util.global"() <{initial_value = dense_resource<table_blob> : tensor<4x8xf32>, sym_name = "embed", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
"util.global"() <{initial_value = dense<0.5> : tensor<8x8xf32>, sym_name = "proj", sym_visibility = "private", type = tensor<8x8xf32>}> : () -> ()
func.func @resource(%ids: tensor<3xi64>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %t = "util.global.load"() <{global = @embed}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  %w = "util.global.load"() <{global = @proj}> : () -> tensor<8x8xf32>
  %zero = arith.constant dense<0.0> : tensor<3x8xf32>
  %y = linalg.matmul ins(%rows, %w : tensor<3x8xf32>, tensor<8x8xf32>) outs(%zero : tensor<3x8xf32>) -> tensor<3x8xf32>
  return %rows, %y : tensor<3x8xf32>, tensor<3x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      table_blob: "0x04000000000040C0000030C0000020C0000010C0000000C00000E0BF0000C0BF0000A0BF000080BF000040BF000000BF000080BE000000000000803E0000003F0000403F0000803F0000A03F0000C03F0000E03F000000400000104000002040000030400000404000005040000060400000704000008040000088400000904000009840"
    }
  }
#-}

// -----

// An inline dense table whose global also feeds a non-lookup use (an
// lm_head tied to the embedding): the lookups read the packed globals, the
// other use keeps the exact table, with a remark. Two loads in two
// functions share one set of packed globals.
// CHECK-LABEL: sym_name = "tied"
// CHECK: sym_name = "tied.qembed_packed"
// CHECK: sym_name = "tied.qembed_scales"
// CHECK-LABEL: func.func @lookup_and_head
// CHECK: %[[T:.*]] = "util.global.load"() <{global = @tied}>
// CHECK: %[[P:.*]] = "util.global.load"() <{global = @tied.qembed_packed}>
// CHECK: %[[S:.*]] = "util.global.load"() <{global = @tied.qembed_scales}>
// CHECK: %[[R:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]])
// CHECK: return %[[R]], %[[T]]
// CHECK-LABEL: func.func @lookup_only
// CHECK-NOT: global = @tied}
// CHECK: qembed.gather
// expected-remark @+1 {{table quantized for its lookups; the global is kept for its other uses, which stay exact}}
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0]]> : tensor<2x8xf32>, sym_name = "tied", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @lookup_and_head(%ids: tensor<3xi64>) -> (tensor<3x8xf32>, tensor<2x8xf32>) {
  %t = "util.global.load"() <{global = @tied}> : () -> tensor<2x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<2x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows, %t : tensor<3x8xf32>, tensor<2x8xf32>
}
func.func @lookup_only(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @tied}> : () -> tensor<2x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<2x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}

// -----

// A mutable global is not a constant: left dense, with a remark.
// CHECK-LABEL: sym_name = "state"
// CHECK-NOT: qembed_packed
// CHECK-LABEL: func.func @mutable
// CHECK: tensor.extract
// expected-remark @+1 {{table left dense: the global is mutable}}
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0]]> : tensor<2x8xf32>, is_mutable, sym_name = "state", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @mutable(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @state}> : () -> tensor<2x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<2x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// A global set by an initializer (no initial value): left dense.
// CHECK-LABEL: sym_name = "late"
// CHECK-LABEL: func.func @no_initial_value
// CHECK: tensor.extract
// expected-remark @+1 {{table left dense: the global has no initial value (it is set by an initializer)}}
"util.global"() <{sym_name = "late", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @no_initial_value(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @late}> : () -> tensor<2x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<2x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// A table the group size does not serve (12 columns, groups of 8): the
// reasons of --qembed-quantize apply, with its remark.
// CHECK-LABEL: sym_name = "odd"
// CHECK-LABEL: func.func @group_does_not_divide
// CHECK: tensor.extract
// expected-remark @+1 {{table left dense: group-size 8 does not divide its row length 12}}
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0]]> : tensor<2x12xf32>, sym_name = "odd", sym_visibility = "private", type = tensor<2x12xf32>}> : () -> ()
func.func @group_does_not_divide(%ids: tensor<3xi64>) -> tensor<3x12xf32> {
  %t = "util.global.load"() <{global = @odd}> : () -> tensor<2x12xf32>
  %init = tensor.empty() : tensor<3x12xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x12xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<2x12xf32>
    linalg.yield %x : f32
  } -> tensor<3x12xf32>
  return %rows : tensor<3x12xf32>
}

// -----

// An initial value that is neither a constant nor a parameter: left dense.
// CHECK-LABEL: sym_name = "pattern"
// CHECK-LABEL: func.func @byte_pattern
// CHECK: tensor.gather
// expected-remark @+1 {{table left dense: its initial value is neither a constant nor a #flow.parameter.named / #stream.parameter.named parameter}}
"util.global"() <{initial_value = #util.byte_pattern<1> : tensor<2x8xf32>, sym_name = "pattern", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @byte_pattern(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @pattern}> : () -> tensor<2x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<2x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}

// -----

// A generic reading the table transposed is no lookup: the load is
// restored, with a remark.
// CHECK-LABEL: sym_name = "columns"
// CHECK-NOT: qembed_packed
// CHECK-LABEL: func.func @transposed
// CHECK: %[[T:.*]] = "util.global.load"() <{global = @columns}>
// CHECK: tensor.extract %[[T]]
// expected-remark @+1 {{table left dense: none of its loads is read by an embedding lookup qembed raises}}
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0]]> : tensor<2x8xf32>, sym_name = "columns", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @transposed(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %t = "util.global.load"() <{global = @columns}> : () -> tensor<2x8xf32>
  %init = tensor.empty() : tensor<3x2xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%c, %r] : tensor<2x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x2xf32>
  return %rows : tensor<3x2xf32>
}

// -----

// A public global may be read from outside the module: it is kept even
// when no load of it is left.
// CHECK-LABEL: sym_name = "shared"
// CHECK: sym_name = "shared.qembed_packed"
// CHECK-LABEL: func.func @public_global
// CHECK-NOT: global = @shared}
// CHECK: qembed.gather
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0]]> : tensor<2x8xf32>, sym_name = "shared", type = tensor<2x8xf32>}> : () -> ()
func.func @public_global(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @shared}> : () -> tensor<2x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<2x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}

// -----

// An initial value whose type is not the global's: left dense.
// CHECK-LABEL: sym_name = "mismatch"
// CHECK-LABEL: func.func @initial_value_type
// CHECK: tensor.gather
// expected-remark @+1 {{table left dense: its initial value's type differs from its loads' type}}
"util.global"() <{initial_value = dense<1.0> : tensor<4x8xf32>, sym_name = "mismatch", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @initial_value_type(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @mismatch}> : () -> tensor<2x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<2x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}
