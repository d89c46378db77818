// qembed-opt runs bytecode input itself (no scan of the input for
// expected-* comments; see tools/qembed-opt): the same results, errors and
// options as MlirOptMain, from a file or from stdin.
// RUN: qembed-opt %s --emit-bytecode -o %t.bc
// RUN: qembed-opt %t.bc --quantize-embeddings="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt %s --quantize-embeddings="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt < %t.bc --quantize-embeddings="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt < %s --quantize-embeddings="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt %t.bc --quantize-embeddings="bits=4 group-size=8" --emit-bytecode -o %t.q.bc
// RUN: qembed-opt %t.q.bc | FileCheck %s
// RUN: qembed-opt %t.bc --quantize-embeddings="bits=4 group-size=8" --mlir-timing -o /dev/null 2>&1 | FileCheck %s --check-prefix=TIMING
// RUN: not qembed-opt %t.bc --quantize-embeddings="bits=4 group-size=8 scale-type=f16" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not qembed-opt %t.bc --quantize-embeddings="bits=9" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not qembed-opt %t.bc -o %t.missing/out.mlir 2>&1 | FileCheck %s --check-prefix=OUT
// -verify-diagnostics still goes through MlirOptMain (bytecode has no
// expected-* comments, so the error is unexpected).
// RUN: not qembed-opt %t.bc --quantize-embeddings="bits=4 group-size=8 scale-type=f16" --verify-diagnostics -o /dev/null 2>&1 | FileCheck %s --check-prefix=VERIFY

// CHECK-LABEL: func.func @lookup
// CHECK: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<2x1xi32>
// CHECK: %[[R:.*]] = qembed.gather %[[P]]
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @overflow
// CHECK: qembed.gather

// TIMING: Parser
// TIMING: QEmbedQuantize
// TIMING: Output

// ERR: bytecode-driver.mlir:{{[0-9]+}}:{{[0-9]+}}: error: cannot quantize this table: the scale of row 0
// OPT: invalid options: bits must be in [2, 8]
// OUT: {{[Nn]}}o such file or directory
// VERIFY: error: unexpected error: cannot quantize this table

func.func @lookup(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = arith.constant dense<[[7.0, -8.0, 2.0, -2.0, 0.0, 0.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.5]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<3xi64> -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// With scale-type=f16 the scale of this table (1e6 / 7) overflows.
func.func @overflow(%ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %t = arith.constant dense<1.0e6> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<3xi64> -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}
