//===- QEmbedCodebook.td - codebook VQ attribute and ops ---*- tablegen -*-===//
//
// Codebook vector quantization (format=vq): the #qembed.codebook attribute
// and the fused gather that reads codes and looks codebook entries up.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDCODEBOOK_TD
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDCODEBOOK_TD

include "qembed/Dialect/QEmbed/IR/QEmbedDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QEmbed_CodebookAttr : AttrDef<QEmbed_Dialect, "Codebook"> {
  let mnemonic = "codebook";
  let summary = "Codebook vector quantization of an embedding table";
  let description = [{
    Describes a `V x D` table stored as codebook (vector) quantization:

    * `dim`: columns per vector (1 to 64; divides `D`);
    * `entries`: entries per codebook, a power of two from 2 to 65536; a
      code takes `log2(entries)` bits;
    * `stages`: residual stages (1 to 8): each vector is the sum of one
      entry of each stage's codebook;
    * `groups`: column groups with their own codebooks (divides `D / dim`).

    Storage: per-row scales `V x 1`; codebooks
    `groups x stages x entries x dim` (f16, bf16 or f32); codes in one
    little-endian bit stream of i32 words per row, code `v * stages + s`
    (vector `v`, stage `s`) at bit `(v * stages + s) * log2(entries)`, codes
    may straddle words, rows padded with zero bits to
    `ceil(D / dim * stages * log2(entries) / 32)` words.

    Dequantization of element `(r, c)`, `v = c / dim`,
    `g = v / (D / dim / groups)`, `l = c % dim`, in f32:
    `acc = book[g, 0, code(r, v, 0), l]`, then
    `acc = acc + book[g, s, code(r, v, s), l]` for `s = 1 .. stages - 1`,
    and `result = scale[r] * acc` rounded once to the result type.

    ```mlir
    #qembed.codebook<dim = 8, entries = 256, stages = 2, groups = 1>
    ```
  }];
  let parameters = (ins "unsigned":$dim, "int64_t":$entries,
                        "unsigned":$stages, "int64_t":$groups);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bits per code, log2(entries).
    unsigned getCodeBits() const;
    /// Codes per row of a table with `cols` columns.
    int64_t getCodesPerRow(int64_t cols) const {
      return cols / getDim() * getStages();
    }
    /// i32 words holding one packed row of `cols` columns.
    int64_t getWordsPerRow(int64_t cols) const {
      return (getCodesPerRow(cols) * getCodeBits() + 31) / 32;
    }
  }];
}

def QEmbed_CodebookGatherOp : QEmbed_Op<"codebook_gather", [Pure]> {
  let summary = "Fused gather of codebook-quantized rows";
  let description = [{
    Reads only the packed code rows named by `ids`, looks the codes up in
    the codebooks and scales them by the row's scale (see
    `#qembed.codebook` for the exact arithmetic); the table is never
    densified. The row length `D` is the static last dimension of the
    result. Ids outside `[0, V)` are clamped into range.

    ```mlir
    %rows = qembed.codebook_gather %codes[%ids] scales(%scales)
        codebooks(%books) codebook <dim = 4, entries = 256, stages = 1, groups = 1>
        : tensor<30522x48xi32>, tensor<30522x1xf16>, tensor<1x1x256x4xf16>,
          tensor<?xi64> -> tensor<?x384xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I32]>:$codes,
                       RankedTensorOf<[AnySignlessInteger, Index]>:$ids,
                       2DTensorOf<[F16, BF16, F32]>:$scales,
                       4DTensorOf<[F16, BF16, F32]>:$codebooks,
                       QEmbed_CodebookAttr:$codebook);
  let results = (outs RankedTensorOf<[F16, BF16, F32]>:$result);
  let assemblyFormat = [{
    $codes `[` $ids `]` `scales` `(` $scales `)` `codebooks` `(` $codebooks `)`
    `codebook` $codebook attr-dict `:` type($codes) `,` type($scales) `,`
    type($codebooks) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDCODEBOOK_TD
