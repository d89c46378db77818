// Diagnostics of --qembed-quantize format=vq: bad options are errors before
// any IR is touched; tables it cannot quantize are errors on the constant.
// RUN: qembed-opt %s --split-input-file --qembed-quantize="format=vq vq-dim=4 vq-entries=4" --verify-diagnostics
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-entries=3" 2>&1 | FileCheck %s --check-prefix=ENTRIES
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-entries=131072" 2>&1 | FileCheck %s --check-prefix=ENTRIES2
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-dim=0" 2>&1 | FileCheck %s --check-prefix=DIM
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-dim=65" 2>&1 | FileCheck %s --check-prefix=DIM65
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-stages=9" 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-groups=0" 2>&1 | FileCheck %s --check-prefix=GROUPS
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-iterations=1001" 2>&1 | FileCheck %s --check-prefix=ITERS
// RUN: not qembed-opt %s --qembed-quantize="format=vq vq-codebook-type=f64" 2>&1 | FileCheck %s --check-prefix=BOOKTYPE
// RUN: not qembed-opt %s --qembed-quantize="format=vector" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not qembed-opt %s --quantize-embeddings="format=vq vq-entries=0" 2>&1 | FileCheck %s --check-prefix=PIPE

// ENTRIES: error: invalid options: codebook entries must be a power of two in [2, 65536], got 3
// ENTRIES2: error: invalid options: codebook entries must be a power of two in [2, 65536], got 131072
// DIM: error: invalid options: codebook dim must be in [1, 64], got 0
// DIM65: error: invalid options: codebook dim must be in [1, 64], got 65
// STAGES: error: invalid options: codebook stages must be in [1, 8], got 9
// GROUPS: error: invalid options: codebook groups must be >= 1, got 0
// ITERS: error: invalid options: vq-iterations must be <= 1000, got 1001
// BOOKTYPE: error: invalid options: vq-codebook-type 'f64': expected f16, bf16 or f32
// FORMAT: error: invalid format 'vector': expected int, fp8, nvfp4, mxfp4 or vq
// PIPE: error: invalid options: codebook entries must be a power of two in [2, 65536], got 0

func.func @nan(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot quantize this table: element at row 1, column 2 is NaN}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 0x7FC00000, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// The per-row scale (the RMS of row 1, 1e6) overflows f16.
func.func @scale_overflow(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot quantize this table: the scale of row 1 (group starting at column 0) is 1e+06, which overflows the scale type f16}}
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0e6, -1.0e6, 1.0e6, -1.0e6, 1.0e6, -1.0e6, 1.0e6, -1.0e6]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

func.func @elided_resource(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{cannot read the table: dense_resource '__elided__' has no data in this module}}
  %t = arith.constant dense_resource<__elided__> : tensor<4x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<4x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// A table over max-table-bytes (a splat is not expanded beyond it).
func.func @huge_splat(%ids: tensor<2xi64>) -> tensor<2x64xf32> {
  // expected-error @+1 {{cannot quantize this table: it takes more than 17179869184 bytes (max-table-bytes)}}
  %t = arith.constant dense<1.5> : tensor<1000000000x64xf32>
  %r = qembed.lookup %t[%ids] : tensor<1000000000x64xf32>, tensor<2xi64> -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}
