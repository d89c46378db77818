// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8" | FileCheck %s
// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=8 group-size=0 symmetric=false scale-type=f16" | FileCheck %s --check-prefix=ASYM
// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8 report=true" --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// The hand-checked bf16 group: scale 1.0, q = [7,-8,2,-2,0,0,2,3] packs to
// 0xBA886A0F (-1165465073); row 1 (amax 0.9375) has scale 0.125 and
// q = [-8..-1] (-7.5 rounds half to even), packing to 0x76543210
// (1985229328).
// The dense 2x8 table is gone: the function is exactly these four lines
// (CHECK-NEXT leaves no room for a kept constant), and the NOT says why.
// CHECK-LABEL: func @hand_vector
// CHECK-SAME: (%[[IDS:.*]]: tensor<?xi64>)
// CHECK-NOT: tensor<2x8xbf16>
// CHECK-NEXT: %[[P:.*]] = arith.constant dense<{{\[}}[-1165465073], [1985229328]]> : tensor<2x1xi32>
// CHECK-NEXT: %[[S:.*]] = arith.constant dense<{{\[}}[1.000000e+00], [1.250000e-01]]> : tensor<2x1xbf16>
// CHECK-NEXT: %[[R:.*]] = qembed.gather %[[P]][%[[IDS]]] scales(%[[S]]) scheme <bits = 4, group_size = 8, symmetric, scale_type = bf16> : tensor<2x1xi32>, tensor<2x1xbf16>, tensor<?xi64> -> tensor<?x8xbf16>
// CHECK-NEXT: return %[[R]]
// CHECK-NEXT: }
// ASYM-LABEL: func @hand_vector
// ASYM-DAG: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<2x2xi32>
// ASYM-DAG: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<2x1xf16>
// ASYM-DAG: %[[Z:.*]] = arith.constant dense<{{.*}}> : tensor<2x1xi8>
// ASYM: qembed.gather %[[P]][%{{.*}}] scales(%[[S]]) zero_points(%[[Z]]) scheme <bits = 8, group_size = 0, asymmetric, scale_type = f16>
// REPORT: remark: quantized 2x8xbf16 table used by 1 lookup(s): 32 -> 12 bytes (packed 8 + scales 4 + zero points 0), 6.00 bits/param, 2.67x smaller, max |error| 5.000E-01, SQNR
func.func @hand_vector(%ids: tensor<?xi64>) -> tensor<?x8xbf16> {
  %t = arith.constant dense<[[7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25], [-0.9375, -0.875, -0.75, -0.625, -0.5, -0.375, -0.25, -0.125]]> : tensor<2x8xbf16>
  %r = qembed.lookup %t[%ids] : tensor<2x8xbf16>, tensor<?xi64> -> tensor<?x8xbf16>
  return %r : tensor<?x8xbf16>
}

// -----

// One table, two lookups: quantized once, both gathers read the same words.
// CHECK-LABEL: func @shared
// CHECK-COUNT-2: arith.constant
// CHECK-NOT: arith.constant
// CHECK: %[[A:.*]] = qembed.gather %[[P:.*]][%{{.*}}] scales(%[[S:.*]])
// CHECK: %[[B:.*]] = qembed.gather %[[P]][%{{.*}}] scales(%[[S]])
// REPORT: remark: quantized 2x16xf32 table used by 2 lookup(s)
func.func @shared(%a: tensor<3xi32>, %b: tensor<2x2xi64>) -> (tensor<3x16xf32>, tensor<2x2x16xf32>) {
  %t = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, -2.0]]> : tensor<2x16xf32>
  %r1 = qembed.lookup %t[%a] : tensor<2x16xf32>, tensor<3xi32> -> tensor<3x16xf32>
  %r2 = qembed.lookup %t[%b] : tensor<2x16xf32>, tensor<2x2xi64> -> tensor<2x2x16xf32>
  return %r1, %r2 : tensor<3x16xf32>, tensor<2x2x16xf32>
}

// -----

// A tied table keeps its dense constant for the non-lookup use only.
// CHECK-LABEL: func @tied
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<2x8xf32>
// CHECK: qembed.gather
// CHECK: %[[E:.*]] = tensor.extract_slice %[[T]]
// REPORT: remark: quantized 2x8xf32 table {{.*}}; the table has other uses, which keep the dense constant
func.func @tied(%ids: tensor<4xi64>) -> (tensor<4x8xf32>, tensor<1x8xf32>) {
  %t = arith.constant dense<[[0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<4xi64> -> tensor<4x8xf32>
  %head = tensor.extract_slice %t[0, 0] [1, 8] [1, 1] : tensor<2x8xf32> to tensor<1x8xf32>
  return %r, %head : tensor<4x8xf32>, tensor<1x8xf32>
}

// -----

// A dense_resource table (as Torch-MLIR's fx importer emits) yields
// dense_resource words and scales. Row 0 gives q = [7,-8,2,2,2,0,2,3]
// (ties to even) = 0xBA8AAA0F; row 1 has scale fp32(1/7.5), slightly above
// 2/15, so -1.0/scale = -7.4999995 rounds to -7: 0x76543211.
// CHECK-LABEL: func @resource
// CHECK-DAG: arith.constant dense_resource<qembed_packed> : tensor<2x1xi32>
// CHECK-DAG: arith.constant dense_resource<qembed_scales> : tensor<2x1xf32>
// CHECK: qembed.gather
// CHECK: qembed_packed: "0x080000000FAA8ABA11325476"
func.func @resource(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      torch_tensor_2_8_torch.float32: "0x040000000000F0400000F0C0000020400000204000000040000000BF0000C03F00005040000080BF000060BF000040BF000020BF000000BF0000C0BE000080BE000000BE"
    }
  }
#-}

// -----

// A lookup whose table is not a constant is left alone.
// CHECK-LABEL: func @argument_table
// CHECK: qembed.lookup
func.func @argument_table(%t: tensor<2x8xf32>, %ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// Found by qembed-fuzz: the report of a splat table of 2^63 - 1 rows. Its
// byte counts do not fit in uint64_t (the conversion was undefined behaviour)
// and the element counts of its quantized constants not in int64_t (the
// packed and scale sizes came out negative).
// CHECK-LABEL: func @huge_splat_report
// CHECK: qembed.gather {{.*}} : tensor<9223372036854775807x8xi32>, tensor<9223372036854775807x8xf32>, tensor<2xi64> -> tensor<2x64xf32>
// REPORT: remark: quantized 9223372036854775807x64xf32 table used by 1 lookup(s): 2361183241434822606848 -> 590295810358705651712 bytes (packed 295147905179352825856 + scales 295147905179352825856 + zero points 0), 8.00 bits/param, 4.00x smaller
func.func @huge_splat_report(%ids: tensor<2xi64>) -> tensor<2x64xf32> {
  %t = arith.constant dense<1.0> : tensor<9223372036854775807x64xf32>
  %r = qembed.lookup %t[%ids] : tensor<9223372036854775807x64xf32>, tensor<2xi64> -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}
