//===- QEmbedDialect.td - qembed dialect definition --------*- tablegen -*-===//
//
// The qembed dialect: quantized embedding tables and the fused lookup that
// reads them.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_TD
#define QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_TD

include "mlir/IR/OpBase.td"

def QEmbed_Dialect : Dialect {
  let name = "qembed";
  let cppNamespace = "::mlir::qembed";
  let summary = "Quantized embedding tables and fused dequantizing lookups";
  let description = [{
    The `qembed` dialect models the input-embedding lookup of a language model
    (`out[i..., :] = table[ids[i...], :]`) and the data-free quantization of
    its table to packed 2-8 bit integer codes with per-row or per-group scales.

    Packed storage follows the compressed-tensors `pack-quantized` format: a
    code `q` is stored offset-binary as `u = q + 2^(bits-1)`; element `j` of a
    row sits at bit `j * bits` of the row's little-endian bit stream of i32
    words (element 0 in the lowest bits); each row is padded with zero bits
    up to a whole number of words, `ceil(D * bits / 32)`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

class QEmbed_Op<string mnemonic, list<Trait> traits = []>
    : Op<QEmbed_Dialect, mnemonic, traits>;

#endif // QEMBED_DIALECT_QEMBED_IR_QEMBEDDIALECT_TD
