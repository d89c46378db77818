// Options a float format does not allow are errors (bits, group-size,
// symmetric and scale-type are the format's), through --qembed-quantize and
// --quantize-embeddings alike; a table whose row length the format's group
// does not divide stays dense with a remark.
// RUN: not qembed-opt %s --qembed-quantize="format=fp8 bits=4" 2>&1 | FileCheck %s --check-prefix=FP8BITS
// RUN: not qembed-opt %s --quantize-embeddings="format=fp8 bits=4" 2>&1 | FileCheck %s --check-prefix=FP8BITS
// RUN: not qembed-opt %s --quantize-embeddings="format=nvfp4 bits=8" 2>&1 | FileCheck %s --check-prefix=NVBITS
// RUN: not qembed-opt %s --qembed-quantize="format=nvfp4 group-size=32" 2>&1 | FileCheck %s --check-prefix=NVGROUP
// RUN: not qembed-opt %s --quantize-embeddings="format=mxfp4 group-size=64" 2>&1 | FileCheck %s --check-prefix=MXGROUP
// RUN: not qembed-opt %s --quantize-embeddings="format=fp8 group-size=64" 2>&1 | FileCheck %s --check-prefix=FP8GROUP
// RUN: not qembed-opt %s --qembed-quantize="format=mxfp4 symmetric=false" 2>&1 | FileCheck %s --check-prefix=SYM
// RUN: not qembed-opt %s --qembed-quantize="format=nvfp4 scale-type=f16" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not qembed-opt %s --qembed-quantize="format=nvfp4 per-tensor=true" 2>&1 | FileCheck %s --check-prefix=PERT
// RUN: not qembed-opt %s --qembed-quantize="per-tensor=true" 2>&1 | FileCheck %s --check-prefix=PERTINT
// RUN: not qembed-opt %s --quantize-embeddings="format=fp4" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=nvfp4" --verify-diagnostics | FileCheck %s

// FP8BITS: error: invalid options: format=fp8 has 8-bit codes, got bits=4
// NVBITS: error: invalid options: format=nvfp4 has 4-bit codes, got bits=8
// NVGROUP: error: invalid options: format=nvfp4 fixes group-size=16, got group-size=32
// MXGROUP: error: invalid options: format=mxfp4 fixes group-size=32, got group-size=64
// FP8GROUP: error: invalid options: format=fp8 fixes group-size=0, got group-size=64
// SYM: error: invalid options: format=mxfp4 is symmetric only
// SCALE: error: invalid options: format=nvfp4 fixes the scale type (fp8: the table's, nvfp4: f8E4M3FN, mxfp4: f8E8M0FNU), got scale-type=f16
// PERT: error: invalid options: per-tensor is only for format=fp8, got format=nvfp4
// PERTINT: error: invalid options: per-tensor is only for format=fp8, got format=int
// NAME: error: invalid format 'fp4': expected int, fp8, nvfp4, mxfp4 or vq

// CHECK-LABEL: func.func @odd_row
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<2x24xf32>
// CHECK: qembed.lookup %[[T]]
func.func @odd_row(%ids: tensor<3xi64>) -> tensor<3x24xf32> {
  // expected-remark @+1 {{table left dense: format nvfp4 has groups of 16 columns, which do not divide its row length 24}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                             [6.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]> : tensor<2x24xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x24xf32>, tensor<3xi64> -> tensor<3x24xf32>
  return %r : tensor<3x24xf32>
}

// -----

// A NaN is refused (compressed-tensors would let it poison its group).
func.func @nonfinite(%ids: tensor<3xi64>) -> tensor<3x16xf32> {
  // expected-error @+1 {{cannot quantize this table: element at row 1, column 2 is NaN}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                             [6.0, 2.0, 0x7FC00000, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]> : tensor<2x16xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x16xf32>, tensor<3xi64> -> tensor<3x16xf32>
  return %r : tensor<3x16xf32>
}
