// --qembed-to-linalg's chunked-gathers option: the default lowers an
// eligible gather (W4 g64, 128 columns) in 16-value chunks, false keeps the
// element-by-element form (one extract of the column's word per value), and
// a value that is not a boolean is an error.
// RUN: qembed-opt %s --qembed-to-linalg | FileCheck %s --check-prefix=CHUNK
// RUN: qembed-opt %s --qembed-to-linalg="chunked-gathers=true" | FileCheck %s --check-prefix=CHUNK
// RUN: qembed-opt %s --qembed-to-linalg="chunked-gathers=false" | FileCheck %s --check-prefix=ELEM
// RUN: not qembed-opt %s --qembed-to-linalg="chunked-gathers=maybe" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: 'maybe' is invalid value for boolean argument

// CHUNK-LABEL: func @w4
// CHUNK: %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} {{.*}} outs(%{{.*}} : tensor<?x8x16xf16>)
// CHUNK: %[[CHUNK:.*]] = linalg.index 1 : index
// CHUNK: arith.select
// CHUNK: %[[R:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2]] : tensor<?x8x16xf16> into tensor<?x128xf16>
// CHUNK: return %[[R]]

// ELEM-LABEL: func @w4
// ELEM: %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?xi64>) outs(%{{.*}} : tensor<?x128xf16>)
// ELEM: %[[COL:.*]] = linalg.index 1 : index
// ELEM: %[[W:.*]] = arith.divui %[[COL]], %c8
// ELEM: tensor.extract %{{.*}}[%{{.*}}, %[[W]]] : tensor<100x16xi32>
// ELEM-NOT: arith.select
// ELEM-NOT: tensor.collapse_shape
// ELEM: return %[[G]]
func.func @w4(%p: tensor<100x16xi32>, %s: tensor<100x2xf16>, %ids: tensor<?xi64>) -> tensor<?x128xf16> {
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : tensor<100x16xi32>, tensor<100x2xf16>, tensor<?xi64> -> tensor<?x128xf16>
  return %r : tensor<?x128xf16>
}
