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

    An optional trailing `format` selects floating-point codes instead of
    integers (`int`, the default, is not printed), each bit-exact with
    compressed-tensors 0.20:

    * `fp8`: E4M3FN codes, `bits = 8`, `group_size = 0` (one scale per row;
      a per-tensor scale is stored once per row), symmetric, scales in the
      table's type; the value is `e4m3 * scale` rounded to the scale type.
    * `nvfp4`: E2M1 codes, `bits = 4`, `group_size = 16`, `f8E4M3FN`
      scales and an f32 `global_scale`; the value is
      `e2m1 * (scale / global_scale)` in f32.
    * `mxfp4`: E2M1 codes, `bits = 4`, `group_size = 32`, `f8E8M0FNU`
      (power of two) scales; the value is `e2m1 * scale` (exact).

    Codes are packed like integer codes (element `i` at bit
    `(i % (32/bits)) * bits` of word `i / (32/bits)`); an E2M1 code is
    sign (bit 3) and magnitude index (0, .5, 1, 1.5, 2, 3, 4, 6).

    ```mlir
    #qembed.scheme<bits = 4, group_size = 16, symmetric, scale_type = f8E4M3FN, format = nvfp4, global_scale = 2.5e+02>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$groupSize,
                        "bool":$symmetric, "::mlir::Type":$scaleType,
                        DefaultValuedParameter<"::mlir::qembed::SchemeFormat",
                          "::mlir::qembed::SchemeFormat::Int">:$format,
                        DefaultValuedParameter<"::mlir::FloatAttr",
                          "::mlir::FloatAttr()">:$globalScale);
  let builders = [
    AttrBuilder<(ins "unsigned":$bits, "int64_t":$groupSize,
                     "bool":$symmetric, "::mlir::Type":$scaleType), [{
      return $_get($_ctxt, bits, groupSize, symmetric, scaleType,
                   ::mlir::qembed::SchemeFormat::Int, ::mlir::FloatAttr());
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True for the integer format (the default).
    bool isInt() const {
      return getFormat() == ::mlir::qembed::SchemeFormat::Int;
    }
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
