//===- QEmbedOps.td - qembed operations --------------------*- tablegen -*-===//
//
// Lookup, quantize, pack, gather and dequantize.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDOPS_TD
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDOPS_TD

include "qembed/Dialect/QEmbed/IR/QEmbedAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QEmbed_FloatTable : 2DTensorOf<[F16, BF16, F32]>;
def QEmbed_Ids : RankedTensorOf<[AnySignlessInteger, Index]>;
def QEmbed_Codes : 2DTensorOf<[I8]>;
def QEmbed_Packed : 2DTensorOf<[I32]>;
// f8E4M3FN / f8E8M0FNU scales belong to the nvfp4 / mxfp4 formats.
def QEmbed_Scales : 2DTensorOf<[F16, BF16, F32, F8E4M3FN, F8E8M0FNU]>;
def QEmbed_ZeroPoints : 2DTensorOf<[I8]>;
def QEmbed_Rows : RankedTensorOf<[F16, BF16, F32]>;

def QEmbed_LookupOp : QEmbed_Op<"lookup", [Pure]> {
  let summary = "Dense embedding lookup";
  let description = [{
    Gathers rows of a `V x D` table: `result[i..., j] = table[ids[i...], j]`.
    This is the form front-end lookups are raised into before quantization.
    Ids outside `[0, V)` are clamped into range by the lowerings, so a lookup
    never reads out of bounds (front ends assert on them instead).

    ```mlir
    %rows = qembed.lookup %table[%ids]
        : tensor<32000x4096xbf16>, tensor<?x?xi64> -> tensor<?x?x4096xbf16>
    ```
  }];
  let arguments = (ins QEmbed_FloatTable:$table, QEmbed_Ids:$ids);
  let results = (outs QEmbed_Rows:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def QEmbed_QuantizeOp : QEmbed_Op<"quantize", [Pure]> {
  let summary = "Quantize a table to integer codes, scales and zero points";
  let description = [{
    Data-free quantization of a `V x D` table with the compressed-tensors INT
    rules: codes are i8 in `[-2^(bits-1), 2^(bits-1) - 1]`, scales have the
    scheme's scale type and shape `V x D/group_size` (`V x 1` per row), and
    asymmetric schemes also return i8 zero points of the scales' shape.
    Folds when the table is a constant of at most 2^24 elements with no
    NaN/Inf and no overflowing scale (larger tables are left unfolded).

    ```mlir
    %codes, %scales = qembed.quantize %table
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x128xf32> -> tensor<100x128xi8>, tensor<100x2xf32>
    ```
  }];
  let arguments = (ins QEmbed_FloatTable:$table, QEmbed_SchemeAttr:$scheme);
  let results = (outs QEmbed_Codes:$codes, QEmbed_Scales:$scales,
                      Optional<QEmbed_ZeroPoints>:$zero_points);
  let assemblyFormat = [{
    $table `scheme` $scheme attr-dict `:` type($table) `->` type(results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QEmbed_PackOp : QEmbed_Op<"pack", [Pure]> {
  let summary = "Pack integer codes into i32 words";
  let description = [{
    Packs each row of i8 codes into `ceil(D * bits / 32)` i32 words in the
    compressed-tensors layout (offset-binary, element 0 in the lowest bits,
    codes may straddle words for 3/5/6/7 bits, rows padded with zero bits).
    Folds when the codes are a constant of at most 2^24 elements.

    ```mlir
    %packed = qembed.pack %codes
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x128xi8> -> tensor<100x16xi32>
    ```
  }];
  let arguments = (ins QEmbed_Codes:$codes, QEmbed_SchemeAttr:$scheme);
  let results = (outs QEmbed_Packed:$packed);
  let assemblyFormat = [{
    $codes `scheme` $scheme attr-dict `:` type($codes) `->` type($packed)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QEmbed_GatherOp : QEmbed_Op<"gather", [Pure]> {
  let summary = "Fused gather + dequantization of packed rows";
  let description = [{
    Reads only the packed rows named by `ids` and dequantizes them:
    `result[i..., j] = (q[ids[i...], j] - zp) * scale`, computed in f32,
    rounded to the scale type and then converted to the result type. The
    row length `D` is the static last dimension of the result. Ids outside
    `[0, V)` are clamped into range.

    ```mlir
    %rows = qembed.gather %packed[%ids] scales(%scales)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f16>
        : tensor<32000x512xi32>, tensor<32000x64xf16>, tensor<?xi64>
        -> tensor<?x4096xf16>
    ```

    With an asymmetric scheme, the zero points follow the scales and their
    type comes last:

    ```mlir
    %rows = qembed.gather %packed[%ids] scales(%scales)
        zero_points(%zps)
        scheme <bits = 4, group_size = 64, asymmetric, scale_type = f16>
        : tensor<32000x512xi32>, tensor<32000x64xf16>, tensor<?xi64>,
          tensor<32000x64xi8> -> tensor<?x4096xf16>
    ```
  }];
  let arguments = (ins QEmbed_Packed:$packed, QEmbed_Ids:$ids,
                       QEmbed_Scales:$scales,
                       Optional<QEmbed_ZeroPoints>:$zero_points,
                       QEmbed_SchemeAttr:$scheme);
  let results = (outs QEmbed_Rows:$result);
  let assemblyFormat = [{
    $packed `[` $ids `]` `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)? `scheme` $scheme attr-dict `:`
    type($packed) `,` type($scales) `,` type($ids)
    (`,` type($zero_points)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def QEmbed_DequantizeOp : QEmbed_Op<"dequantize",
                                    [Pure]> {
  let summary = "Dequantize a whole packed table";
  let description = [{
    Reconstructs the dense `V x D` table from packed words, scales and zero
    points, with the same arithmetic as `qembed.gather`. Used for uses of a
    quantized table that are not lookups, and as the reference the fused
    gather is checked against. Folds when its operands are constants and
    the result has at most 2^24 elements: larger tables (splats included)
    are never densified at compile time.

    ```mlir
    %table = qembed.dequantize %packed scales(%scales)
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f32>
        : tensor<100x16xi32>, tensor<100x2xf32> -> tensor<100x128xf32>
    ```
  }];
  let arguments = (ins QEmbed_Packed:$packed, QEmbed_Scales:$scales,
                       Optional<QEmbed_ZeroPoints>:$zero_points,
                       QEmbed_SchemeAttr:$scheme);
  let results = (outs QEmbed_FloatTable:$result);
  let assemblyFormat = [{
    $packed `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)? `scheme` $scheme attr-dict `:`
    type($packed) `,` type($scales) (`,` type($zero_points)^)? `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QEmbed_BufferGatherOp : QEmbed_Op<"buffer_gather"> {
  let summary = "Fused gather + dequantization into a buffer";
  let description = [{
    The memref (destination-passing) form of `qembed.gather`: reads the
    packed rows named by `ids` and writes the dequantized rows into `out`,
    with exactly the arithmetic of `qembed.gather`. This is the form GPU
    lowerings start from; the entry points of a runtime (weights already in
    device memory, output buffer provided by the caller) are written with it.

    ```mlir
    qembed.buffer_gather %packed[%ids] scales(%scales) into %out
        scheme <bits = 4, group_size = 64, symmetric, scale_type = f16>
        : memref<?x512xi32>, memref<?x64xf16>, memref<?xi64>,
          memref<?x4096xf16>
    ```
  }];
  let arguments = (ins
      Arg<MemRefRankOf<[I32], [2]>, "packed words", [MemRead]>:$packed,
      Arg<MemRefOf<[AnySignlessInteger, Index]>, "ids", [MemRead]>:$ids,
      Arg<MemRefRankOf<[F16, BF16, F32, F8E4M3FN, F8E8M0FNU], [2]>, "scales",
          [MemRead]>:$scales,
      Arg<Optional<MemRefRankOf<[I8], [2]>>, "zero points", [MemRead]>:$zero_points,
      Arg<MemRefOf<[F16, BF16, F32]>, "output rows", [MemWrite]>:$out,
      QEmbed_SchemeAttr:$scheme);
  let assemblyFormat = [{
    $packed `[` $ids `]` `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)? `into` $out `scheme` $scheme
    attr-dict `:` type($packed) `,` type($scales) `,` type($ids) `,`
    type($out) (`,` type($zero_points)^)?
  }];
  let hasVerifier = 1;
}

include "qembed/Dialect/QEmbed/IR/QEmbedBagOps.td"
include "qembed/Dialect/QEmbed/IR/QEmbedCodebook.td"

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDOPS_TD
