// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8" --verify-diagnostics
// RUN: not qembed-opt %s --qembed-quantize="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not qembed-opt %s --qembed-quantize="group-size=-1" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not qembed-opt %s --qembed-quantize="scale-type=f64" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not qembed-opt %s --quantize-embeddings="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS1
// RUN: not qembed-opt %s --qembed-quantize="bits=four" 2>&1 | FileCheck %s --check-prefix=PARSE

// BITS: error: invalid options: bits must be in [2, 8] and group-size >= 0, got bits=9 group-size=64
// GROUP: error: invalid options: bits must be in [2, 8] and group-size >= 0, got bits=4 group-size=-1
// SCALE: error: invalid scale-type 'f64': expected f16, bf16 or f32
// BITS1: error: invalid options: bits must be in [2, 8] and group-size >= 0, got bits=1 group-size=64
// PARSE: for the --bits option: 'four' value invalid for uint argument

func.func @elided_resource(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot read the table: dense_resource '__elided__' has no data in this module}}
  %t = arith.constant dense_resource<__elided__> : tensor<4x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<4x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
