// RUN: qembed-opt %s --split-input-file --qembed-quantize="bits=4 group-size=8" | FileCheck %s

// The pass frees a quantized table's dense_resource blob once nothing
// refers to it any more. These tables are still referred to after the
// lookups are rewritten, so their blobs must survive byte for byte.

// Another constant names the same resource: the blob stays.
// CHECK-LABEL: func @shared_resource
// CHECK-DAG: %[[T:.*]] = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
// CHECK-DAG: %[[R:.*]] = qembed.gather
// CHECK: return %[[R]], %[[T]]
// CHECK: qembed_packed: "0x080000000FAA8ABA11325476"
// CHECK: torch_tensor_2_8_torch.float32: "0x040000000000F0400000F0C0000020400000204000000040000000BF0000C03F00005040000080BF000060BF000040BF000020BF000000BF0000C0BE000080BE000000BE"
func.func @shared_resource(%ids: tensor<2xi64>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %t = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  %u = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
  return %r, %u : tensor<2x8xf32>, tensor<2x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      torch_tensor_2_8_torch.float32: "0x040000000000F0400000F0C0000020400000204000000040000000BF0000C03F00005040000080BF000060BF000040BF000020BF000000BF0000C0BE000080BE000000BE"
    }
  }
#-}

// -----

// The table's own constant has another use (a tied lm_head): it stays, and
// so does its blob.
// CHECK-LABEL: func @tied_use
// CHECK-DAG: %[[T:.*]] = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
// CHECK-DAG: %[[R:.*]] = qembed.gather
// CHECK: return %[[R]], %[[T]]
// CHECK: qembed_packed: "0x080000000FAA8ABA11325476"
// CHECK: torch_tensor_2_8_torch.float32: "0x040000000000F0400000F0C0000020400000204000000040000000BF0000C03F00005040000080BF000060BF000040BF000020BF000000BF0000C0BE000080BE000000BE"
func.func @tied_use(%ids: tensor<2xi64>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %t = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r, %t : tensor<2x8xf32>, tensor<2x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      torch_tensor_2_8_torch.float32: "0x040000000000F0400000F0C0000020400000204000000040000000BF0000C03F00005040000080BF000060BF000040BF000020BF000000BF0000C0BE000080BE000000BE"
    }
  }
#-}

// -----

// Two functions look up the same resource through two constants: both are
// rewritten to the same packed words (quantized once) and neither frees
// the blob the other still reads.
// CHECK-LABEL: func @first
// CHECK: qembed.gather
// CHECK-LABEL: func @second
// CHECK: qembed.gather
// CHECK: qembed_packed: "0x080000000FAA8ABA11325476"
// CHECK-NOT: qembed_packed_1
func.func @first(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense_resource<torch_tensor_2_8_torch.float32> : tensor<2x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
func.func @second(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
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
