// --qembed-quantize-globals: parameters it cannot read are errors on the
// global (the pass fails, no archive is written): a scope without an
// archive, an archive that is missing, not an archive or truncated, a
// missing key, a safetensors or GGUF entry whose dtype or shape differs from
// the global's type, an IRPA entry of the wrong byte size, one packed key
// from two scopes, and the errors of --qembed-quantize (a NaN in an inline
// table). Bad options are errors before anything is read.
// RUN: rm -f %t.out.irpa
// RUN: %python %S/../../Inputs/param_archive.py write %t.irpa short=f32:2x8 ok=f32:4x8
// RUN: %python %S/../../Inputs/param_archive.py write %t.safetensors half=f16:4x8 wide=f32:4x16 ok=f32:4x8
// RUN: %python %S/../../Inputs/param_archive.py write %t.gguf half=bf16:4x8
// RUN: %python %S/../../Inputs/param_archive.py garbage %t.junk
// RUN: %python %S/../../Inputs/param_archive.py truncated %t.cut.irpa
// RUN: qembed-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics \
// RUN:   --qembed-quantize-globals="group-size=8 parameters=model=%t.irpa,st=%t.safetensors,junk=%t.junk,gone=%t.missing.irpa,gguf=%t.gguf,cut=%t.cut.irpa output-parameters=%t.out.irpa"
// RUN: not test -e %t.out.irpa

// Without output-parameters, a parameter table cannot be quantized.
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="group-size=8 parameters=model=%t.irpa" 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: quantize-globals-errors.mlir:{{[0-9]+}}:1: error: cannot quantize parameter 'model.nowhere': no output-parameters=<file.irpa> to write the packed tensors to

// A table over max-table-bytes (128 bytes here) is not read.
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="group-size=8 max-table-bytes=100 parameters=model=%t.irpa output-parameters=%t.out.irpa" 2>&1 | FileCheck %s --check-prefix=MAX
// MAX: error: cannot quantize parameter 'ok': it takes more than 100 bytes (max-table-bytes)

// Bad options.
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="tables=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: invalid tables='(':
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="parameters=model.irpa" 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: invalid parameters entry 'model.irpa': expected scope=path
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="parameters=a=x.irpa,a=y.irpa" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: invalid parameters: scope 'a' is given twice
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="output-parameters=out.gguf" 2>&1 | FileCheck %s --check-prefix=OUTNAME
// OUTNAME: error: invalid output-parameters='out.gguf': the name must end in .irpa or .safetensors
// RUN: not qembed-opt %s --allow-unregistered-dialect --split-input-file --qembed-quantize-globals="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: invalid options: bits must be in [2, 8] and group-size >= 0, got bits=1 group-size=64

// expected-error @+1 {{cannot quantize parameter 'model.nowhere': no archive for scope 'elsewhere' (pass parameters=elsewhere=<file>)}}
"util.global"() <{initial_value = #flow.parameter.named<"elsewhere"::"model.nowhere"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @no_archive(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'x': parameter archive '{{.*}}.missing.irpa': cannot read it: {{.*}}}}
"util.global"() <{initial_value = #flow.parameter.named<"gone"::"x"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @missing_file(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'x': parameter archive '{{.*}}.junk': not an IRPA, GGUF or safetensors file (header length {{[0-9]+}} past the end of the file)}}
"util.global"() <{initial_value = #flow.parameter.named<"junk"::"x"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @not_an_archive(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'absent': parameter archive '{{.*}}.irpa' has no such key}}
"util.global"() <{initial_value = #flow.parameter.named<"model"::"absent"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @missing_key(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'half': archive '{{.*}}.safetensors' holds F16 [4, 8], the global is 'tensor<4x8xf32>'}}
"util.global"() <{initial_value = #flow.parameter.named<"st"::"half"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @dtype_mismatch(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'wide': archive '{{.*}}.safetensors' holds F32 [4, 16], the global is 'tensor<4x8xf32>'}}
"util.global"() <{initial_value = #flow.parameter.named<"st"::"wide"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @shape_mismatch(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'short': archive '{{.*}}.irpa' holds 64 bytes, the global's 'tensor<4x8xf32>' takes 128}}
"util.global"() <{initial_value = #flow.parameter.named<"model"::"short"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @size_mismatch(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %init = tensor.empty() : tensor<3x8xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %x = tensor.extract %t[%r, %c] : tensor<4x8xf32>
    linalg.yield %x : f32
  } -> tensor<3x8xf32>
  return %rows : tensor<3x8xf32>
}

// -----

// "ok" of scope model and "ok" of scope st would both write ok.qembed_packed.
"util.global"() <{initial_value = #flow.parameter.named<"model"::"ok"> : tensor<4x8xf32>, sym_name = "a", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
// expected-error @+1 {{cannot write the packed tensor 'ok.qembed_packed': parameters of scopes 'model' and 'st' would share this key}}
"util.global"() <{initial_value = #flow.parameter.named<"st"::"ok"> : tensor<4x8xf32>, sym_name = "b", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @key_conflict(%ids: tensor<2x1xindex>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %a = "util.global.load"() <{global = @a}> : () -> tensor<4x8xf32>
  %b = "util.global.load"() <{global = @b}> : () -> tensor<4x8xf32>
  %ra = tensor.gather %a[%ids] gather_dims([0]) unique : (tensor<4x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  %rb = tensor.gather %b[%ids] gather_dims([0]) unique : (tensor<4x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %ra, %rb : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A NaN: the error of --qembed-quantize, on the load the table is read at.
"util.global"() <{initial_value = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 0x7FC00000, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<2x8xf32>, sym_name = "nan", sym_visibility = "private", type = tensor<2x8xf32>}> : () -> ()
func.func @nan_table(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot quantize this table: element at row 1, column 1 is NaN}}
  %t = "util.global.load"() <{global = @nan}> : () -> tensor<2x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<2x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'half': archive '{{.*}}.gguf' holds BF16 [4, 8], the global is 'tensor<4x8xf32>'}}
"util.global"() <{initial_value = #flow.parameter.named<"gguf"::"half"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @gguf_dtype_mismatch(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<4x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}

// -----

// expected-error-re @+1 {{cannot quantize parameter 'x': parameter archive '{{.*}}.cut.irpa': truncated IRPA header}}
"util.global"() <{initial_value = #flow.parameter.named<"cut"::"x"> : tensor<4x8xf32>, sym_name = "t", sym_visibility = "private", type = tensor<4x8xf32>}> : () -> ()
func.func @truncated_irpa(%ids: tensor<2x1xindex>) -> tensor<2x8xf32> {
  %t = "util.global.load"() <{global = @t}> : () -> tensor<4x8xf32>
  %rows = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<4x8xf32>, tensor<2x1xindex>) -> tensor<2x8xf32>
  return %rows : tensor<2x8xf32>
}
