//===- QEmbedBagOps.td - qembed EmbeddingBag operations ----*- tablegen -*-===//
//
// Bags of lookups reduced to one row each (torch.nn.EmbeddingBag sum/mean):
// the dense form raising produces and the fused quantized form.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDBAGOPS_TD
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDBAGOPS_TD

include "mlir/IR/EnumAttr.td"

def QEmbed_BagModeSum : I32EnumAttrCase<"Sum", 0, "sum">;
def QEmbed_BagModeMean : I32EnumAttrCase<"Mean", 1, "mean">;
def QEmbed_BagModeAttr : I32EnumAttr<"BagMode",
    "Reduction of the rows of a bag",
    [QEmbed_BagModeSum, QEmbed_BagModeMean]> {
  let cppNamespace = "::mlir::qembed";
}

def QEmbed_BagIds : 1DTensorOf<[AnySignlessInteger, Index]>;
def QEmbed_BagOffsets : 1DTensorOf<[AnySignlessInteger, Index]>;
def QEmbed_BagRows : 2DTensorOf<[F16, BF16, F32]>;

def QEmbed_LookupBagsOp : QEmbed_Op<"lookup_bags", [Pure]> {
  let summary = "Dense embedding-bag lookup (sum or mean of rows per bag)";
  let description = [{
    Reduces bags of rows of a `V x D` table into one row per bag, as
    `torch.nn.EmbeddingBag(mode="sum"|"mean")` with 1-D `ids` and `offsets`.
    Bag `b` holds the ids at positions `[offsets[b], end_b)` of `ids`, where
    `end_b = offsets[b + 1]` and the last bag ends at `N = dim(ids, 0)`; both
    bounds are clamped into `[0, N]` (a bag whose start is not before its end
    is empty and gives a row of zeros). Ids outside `[0, V)` are clamped into
    range.

    Accumulation (what PyTorch's CPU `embedding_bag` computes): each row value
    is extended to f32 and added in bag order to an f32 accumulator starting
    at +0.0; the sum is rounded once to the result type. `mean` divides that
    rounded sum, in f32, by the number of ids in the bag and rounds again to
    the result type (an empty bag stays zero).

    The row length `D` is the static last dimension of the result. This is
    the form front-end bags are raised into before quantization.

    ```mlir
    %r = qembed.lookup_bags %table[%ids] offsets(%offsets) mode(sum)
        : tensor<1000x64xf32>, tensor<?xi64>, tensor<?xi64> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins QEmbed_FloatTable:$table, QEmbed_BagIds:$ids,
                       QEmbed_BagOffsets:$offsets, QEmbed_BagModeAttr:$mode);
  let results = (outs QEmbed_BagRows:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` `offsets` `(` $offsets `)` `mode` `(` $mode `)`
    attr-dict `:` type($table) `,` type($ids) `,` type($offsets) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def QEmbed_GatherBagsOp : QEmbed_Op<"gather_bags", [Pure]> {
  let summary = "Fused gather + dequantization + bag reduction of packed rows";
  let description = [{
    `qembed.lookup_bags` over a packed table: reads only the packed rows named
    by `ids`, dequantizes each value exactly as `qembed.gather` does (f32
    arithmetic rounded to the scale type, then converted to the result type)
    and reduces the bags with the accumulation of `qembed.lookup_bags`. The
    result equals `qembed.lookup_bags` on the `qembed.dequantize`d table bit
    for bit; the table is never densified. The row length `D` is the static
    last dimension of the result.

    ```mlir
    %r = qembed.gather_bags %packed[%ids] offsets(%offsets) scales(%scales)
        mode(mean)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<1000x8xi32>, tensor<1000x1xf32>, tensor<?xi64>, tensor<?xi64>
        -> tensor<?x64xf32>
    ```

    With an asymmetric scheme, the zero points follow the scales and their
    type comes last.
  }];
  let arguments = (ins QEmbed_Packed:$packed, QEmbed_BagIds:$ids,
                       QEmbed_BagOffsets:$offsets, QEmbed_Scales:$scales,
                       Optional<QEmbed_ZeroPoints>:$zero_points,
                       QEmbed_BagModeAttr:$mode, QEmbed_SchemeAttr:$scheme);
  let results = (outs QEmbed_BagRows:$result);
  let assemblyFormat = [{
    $packed `[` $ids `]` `offsets` `(` $offsets `)` `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)? `mode` `(` $mode `)`
    `scheme` $scheme attr-dict `:` type($packed) `,` type($scales) `,`
    type($ids) `,` type($offsets) (`,` type($zero_points)^)? `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDBAGOPS_TD
