//===- QEmbedAttrs.td - qembed attributes ------------------*- tablegen -*-===//
//
// The quantization scheme attribute shared by every qembed op.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDATTRS_TD
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDATTRS_TD

include "qembed/Dialect/QEmbed/IR/QEmbedDialect.td"
include "mlir/IR/AttrTypeBase.td"

def QEmbed_SchemeAttr : AttrDef<QEmbed_Dialect, "Scheme"> {
  let mnemonic = "scheme";
  let summary = "Integer quantization scheme of an embedding table";
  let description = [{
    Describes how a `V x D` table is quantized:

    * `bits`: code width, 2 to 8;
    * `group_size`: number of consecutive columns sharing one scale, or 0
      for one scale per row (channel strategy);
    * `symmetric` / `asymmetric`: asymmetric schemes carry an i8 zero point
      next to every scale;
    * `scale_type`: element type of the scales (f16, bf16 or f32); the
      dequantization `(q - zp) * scale` is rounded to this type.

    ```mlir
    #qembed.scheme<bits = 4, group_size = 64, symmetric, scale_type = f16>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$groupSize,
                        "bool":$symmetric, "::mlir::Type":$scaleType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of scales per row of a table with `cols` columns.
    int64_t getNumGroups(int64_t cols) const {
      return getGroupSize() == 0 ? 1 : cols / getGroupSize();
    }
    /// Number of i32 words that hold one packed row of `cols` >= 0 codes,
    /// ceil(cols * bits / 32), without overflow for any int64_t `cols`.
    int64_t getWordsPerRow(int64_t cols) const {
      return cols / 32 * getBits() + ((cols % 32) * getBits() + 31) / 32;
    }
    /// Columns per scale for a table with `cols` columns.
    int64_t getEffectiveGroupSize(int64_t cols) const {
      return getGroupSize() == 0 ? cols : getGroupSize();
    }
  }];
}

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDATTRS_TD
