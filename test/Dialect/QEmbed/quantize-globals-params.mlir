// --qembed-quantize-globals on parameters (iree-turbine's
// externalize_module_parameters): the table is read from the archive given
// for its scope (IRPA, safetensors or GGUF) and its packed words and scales are
// written to a new archive (IRPA or safetensors) under new keys, which the
// new globals name. The table here holds the values of the dense_resource
// table of quantize-globals.mlir, so the packed bytes are the same.
// RUN: rm -f %t.none.irpa %t.q.irpa %t.q.safetensors %t.g.irpa
// RUN: %python %S/../../Inputs/param_archive.py write %t.irpa model.embed=f32:4x8 model.head=f32:4x8
// RUN: %python %S/../../Inputs/param_archive.py write %t.safetensors model.embed=f32:4x8
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics \
// RUN:   --qembed-quantize-globals="bits=4 group-size=8 parameters=model=%t.irpa output-parameters=%t.q.irpa" \
// RUN:   | FileCheck %s
// RUN: %python %S/../../Inputs/param_archive.py dump %t.q.irpa | FileCheck %s --check-prefix=IRPA
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics \
// RUN:   --qembed-quantize-globals="bits=4 group-size=8 parameters=model=%t.safetensors output-parameters=%t.q.safetensors output-scope=packed" \
// RUN:   | FileCheck %s --check-prefix=SCOPE
// RUN: %python %S/../../Inputs/param_archive.py dump %t.q.safetensors | FileCheck %s --check-prefix=ST
// A GGUF archive (read only) gives the same bytes.
// RUN: %python %S/../../Inputs/param_archive.py write %t.gguf model.embed=f32:4x8 model.head=f32:4x8
// RUN: qembed-opt %s --allow-unregistered-dialect --verify-diagnostics \
// RUN:   --qembed-quantize-globals="bits=4 group-size=8 parameters=model=%t.gguf output-parameters=%t.g.irpa" \
// RUN:   | FileCheck %s
// RUN: %python %S/../../Inputs/param_archive.py dump %t.g.irpa | FileCheck %s --check-prefix=IRPA
// An output archive that cannot be written is an error.
// RUN: not qembed-opt %s --allow-unregistered-dialect \
// RUN:   --qembed-quantize-globals="bits=4 group-size=8 parameters=model=%t.irpa output-parameters=%t.no/such/dir/out.irpa" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=WRITE
// WRITE: error: parameter archive '{{.*}}no/such/dir/out.irpa': cannot write it: {{.*}}
// The name filter: only tables whose global name or key matches.
// RUN: qembed-opt %s --allow-unregistered-dialect \
// RUN:   --qembed-quantize-globals="tables=^head$ bits=4 group-size=8 parameters=model=%t.irpa output-parameters=%t.none.irpa" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FILTER
// RUN: not test -e %t.none.irpa

// CHECK: "util.global"() <{initial_value = #flow.parameter.named<"model"::"model.embed.qembed_packed"> : tensor<4x1xi32>, sym_name = "embed.qembed_packed", sym_visibility = "private", type = tensor<4x1xi32>}>
// CHECK-NEXT: "util.global"() <{initial_value = #flow.parameter.named<"model"::"model.embed.qembed_scales"> : tensor<4x1xf32>, sym_name = "embed.qembed_scales", sym_visibility = "private", type = tensor<4x1xf32>}>
// CHECK-NOT: sym_name = "embed"
// CHECK: "util.global"() <{initial_value = #flow.parameter.named<"model"::"model.head"> : tensor<4x8xf32>, sym_name = "head"
// CHECK: "util.global"() <{initial_value = #stream.parameter.named<"model"::"model.embed.qembed_packed"> : tensor<4x1xi32>, sym_name = "again.qembed_packed"
// CHECK-NEXT: "util.global"() <{initial_value = #stream.parameter.named<"model"::"model.embed.qembed_scales"> : tensor<4x1xf32>, sym_name = "again.qembed_scales"
// CHECK-LABEL: func.func @forward
// CHECK: %[[P:.*]] = "util.global.load"() <{global = @embed.qembed_packed}> : () -> tensor<4x1xi32>
// CHECK: %[[S:.*]] = "util.global.load"() <{global = @embed.qembed_scales}> : () -> tensor<4x1xf32>
// CHECK: %[[R:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) scheme <bits = 4, group_size = 8, symmetric, scale_type = f32>
// CHECK: "util.global.load"() <{global = @head}>
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @stream_spelling
// CHECK: "util.global.load"() <{global = @again.qembed_packed}>
// CHECK: qembed.gather

// IRPA: model.embed.qembed_packed - - 102243542164A8ECBBDCEDFFDDEEFEFF
// IRPA-NEXT: model.embed.qembed_scales - - CDCCCC3E8988083EBCBBBB3E2222223F
// IRPA-NOT: model

// SCOPE: #flow.parameter.named<"packed"::"model.embed.qembed_packed">
// SCOPE: #flow.parameter.named<"packed"::"model.embed.qembed_scales">
// ST: model.embed.qembed_packed I32 4x1 102243542164A8ECBBDCEDFFDDEEFEFF
// ST-NEXT: model.embed.qembed_scales F32 4x1 CDCCCC3E8988083EBCBBBB3E2222223F

// FILTER: remark: table left dense: its name 'embed' (parameter 'model.embed') does not match tables='^head$'
// FILTER: remark: table left dense: its name 'again' (parameter 'model.embed') does not match tables='^head$'
// FILTER-NOT: qembed.gather

"util.global"() <{initial_value = #flow.parameter.named<"model"::"model.embed"> : tensor<4x8xf32>, sym_name = "embed", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
"util.global"() <{initial_value = #flow.parameter.named<"model"::"model.head"> : tensor<4x8xf32>, sym_name = "head", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
// The same parameter in the stream dialect's spelling, read by a lookup in
// another function: its globals name the same packed keys, written once.
"util.global"() <{initial_value = #stream.parameter.named<"model"::"model.embed"> : tensor<4x8xf32>, sym_name = "again", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @forward(%ids: tensor<3xi64>) -> (tensor<3x8xf32>, tensor<3x4xf32>) {
  %t = "util.global.load"() <{global = @embed}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  %w = "util.global.load"() <{global = @head}> : () -> tensor<4x8xf32>
  %zero = arith.constant dense<0.0> : tensor<3x4xf32>
  %logits = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%rows, %w : tensor<3x8xf32>, tensor<4x8xf32>) outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %rows, %logits : tensor<3x8xf32>, tensor<3x4xf32>
}
func.func @stream_spelling(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @again}> : () -> tensor<4x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<4x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}
