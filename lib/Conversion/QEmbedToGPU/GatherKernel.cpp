//===- GatherKernel.cpp - qembed's fused gather kernel generator ----------===//
//
// Builds the body of qembed's GPU gather kernel (shared by the memref ABI of
// --qembed-gather-to-gpu and the bare-pointer ABI of IREE custom dispatches
// and qembed.torch) and the bare-pointer kernel itself.
//
// Work is split in slices: the codes of 16 bytes of output (8 f16/bf16 or 4
// f32 values). Consecutive threads take consecutive slices of a row, so a
// warp's loads of packed words and its 16-byte stores are contiguous; each
// thread handles `unroll` slices per iteration and issues all their loads
// before any store.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Numerics/FloatFormats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include <climits>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qembed;

/// A scalar load with the element type's natural alignment, which every
/// caller guarantees (without it, 8-byte ids are read as two 4-byte halves).
/// `index` ids have no width before lowering picks one: no alignment is
/// claimed for them.
static Value loadNatural(OpBuilder &b, Location loc, Value memref,
                         ValueRange indices) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  llvm::MaybeAlign align;
  if (element.isIntOrFloat())
    align = llvm::MaybeAlign(std::max(1u, element.getIntOrFloatBitWidth() / 8));
  return memref::LoadOp::create(b, loc, memref, indices, /*nontemporal=*/false,
                                align);
}

/// The f32 value of an E4M3 byte's magnitude bits (byte & 0x7f) as
/// emitDecodeE4M3 computes it on the GPU: the bits shifted into an f32's
/// exponent and mantissa, times 2^120 (so 0x7f is 480, not NaN).
static float gpuE4M3Magnitude(unsigned byte) {
  return llvm::bit_cast<float>(uint32_t(byte & 0x7f) << 20) *
         std::ldexp(1.0f, 120);
}

/// How emitNVFP4GroupScale computes |x| / g for the 128 E4M3 magnitudes x.
enum class ScaleDivision { Reciprocal, CorrectedReciprocal, Divide };

/// The cheapest division of the E4M3 magnitudes by `global` that gives the
/// bits of the true quotient (`x / global`, correctly rounded as the
/// reference computes it) for every one of the 128 magnitudes, checked here
/// exhaustively with IEEE host arithmetic (what mul.rn / fma.rn / div.rn
/// compute on the GPU, subnormals included):
///  * x * r with r = 1 / global;
///  * q = x * r, e = fma(-q, global, x), q' = fma(e, r, q) (one Newton
///    correction of the quotient);
///  * else a division.
static ScaleDivision chooseScaleDivision(float global) {
  float r = 1.0f / global;
  bool reciprocal = std::isfinite(r), corrected = std::isfinite(r);
  for (unsigned byte = 0; byte < 128 && (reciprocal || corrected); ++byte) {
    float x = gpuE4M3Magnitude(byte);
    uint32_t want = llvm::bit_cast<uint32_t>(x / global);
    float q = x * r;
    reciprocal &= llvm::bit_cast<uint32_t>(q) == want;
    float e = std::fma(-q, global, x);
    corrected &= llvm::bit_cast<uint32_t>(std::fma(e, r, q)) == want;
  }
  return reciprocal  ? ScaleDivision::Reciprocal
         : corrected ? ScaleDivision::CorrectedReciprocal
                     : ScaleDivision::Divide;
}

/// An NVFP4 group's f32 scale, `f32(e4m3 scale) / globalScale`, with the
/// bits of emitDequantFloatCode's division (the reference's operation
/// order), computed once per slice instead of per code: the magnitude's
/// quotient by the cheapest exact method (chooseScaleDivision), then the
/// sign (the quotient of -x is -(x / g) in round-to-nearest, -0 included).
static Value emitNVFP4GroupScale(OpBuilder &b, Location loc, Value scale,
                                 float globalScale) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto f32Const = [&](float v) {
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                          APFloat(v));
  };
  Value byte = arith::ExtUIOp::create(
      b, loc, i32, arith::BitcastOp::create(b, loc, b.getI8Type(), scale));
  Value mag = emitDecodeE4M3(
      b, loc, arith::AndIOp::create(b, loc, byte, constI32(b, loc, 0x7f)));
  Value quotient;
  float r = 1.0f / globalScale;
  switch (chooseScaleDivision(globalScale)) {
  case ScaleDivision::Reciprocal:
    quotient = arith::MulFOp::create(b, loc, mag, f32Const(r));
    break;
  case ScaleDivision::CorrectedReciprocal: {
    Value q = arith::MulFOp::create(b, loc, mag, f32Const(r));
    Value e = LLVM::FMAOp::create(b, loc, arith::NegFOp::create(b, loc, q),
                                  f32Const(globalScale), mag);
    quotient = LLVM::FMAOp::create(b, loc, e, f32Const(r), q);
    break;
  }
  case ScaleDivision::Divide:
    quotient = arith::DivFOp::create(b, loc, mag, f32Const(globalScale));
    break;
  }
  // The code's sign bit moved to bit 31 flips the quotient's sign.
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, byte, constI32(b, loc, 0x80)),
      constI32(b, loc, 24));
  Value bits = arith::XOrIOp::create(
      b, loc, arith::BitcastOp::create(b, loc, i32, quotient), sign);
  return arith::BitcastOp::create(b, loc, f32, bits);
}

/// Whether an NVFP4 group scale s = x / globalScale times 2^126 is finite for
/// every E4M3 magnitude x (|s| is at most 480 / |globalScale|, 0x7f decoding
/// as 480). Then the kernel multiplies the codes' E2M1 values times 2^-126
/// (their bits placed in an f32, no multiply) by s * 2^126 (exact): the same
/// real product, so the same rounding, one multiply per code less.
static bool canPrescaleNVFP4(float globalScale) {
  float largest = gpuE4M3Magnitude(0x7f) / std::fabs(globalScale);
  return std::isfinite(largest * std::ldexp(1.0f, 126));
}

/// An E2M1 code `u` (i32, 4 bits) as the f32 e2m1 * 2^-126: the magnitude
/// bits at f32's exponent/mantissa bits 22..24 and the sign at bit 31.
static Value emitE2M1TimesTwoToMinus126(OpBuilder &b, Location loc, Value u) {
  Value mag = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, constI32(b, loc, 7)),
      constI32(b, loc, 22));
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, constI32(b, loc, 8)),
      constI32(b, loc, 28));
  return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                  arith::OrIOp::create(b, loc, mag, sign));
}

/// Two E4M3 codes as f16 values divided by 2^8, from the i32 `x` that holds
/// them in bits 8..15 and 24..31: each code's sign lands on its half's sign
/// bit and its 7 exponent/mantissa bits, shifted down by one, on the f16
/// exponent/mantissa bits 7..13 (bias 15 instead of 7: 2^-8, subnormals
/// included; 0x7f reads as 480, as emitDecodeE4M3).
static Value emitE4M3PairAsF16(OpBuilder &b, Location loc, Value x) {
  Value sign = arith::AndIOp::create(b, loc, x, constI32(b, loc, 0x80008000));
  Value mag = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, x, constI32(b, loc, 1)),
      constI32(b, loc, 0x3f803f80));
  Value word =
      vector::BroadcastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                  arith::OrIOp::create(b, loc, sign, mag));
  return vector::BitCastOp::create(b, loc, VectorType::get({2}, b.getF16Type()),
                                   word);
}

/// FP8 codes `j`, `j + 1` of a slice (in `words`, 4 per word) times the
/// row's f16 `scale`, in f16x2 arithmetic: (e4m3 * 2^-8) * 2^8 is exact and
/// e4m3 * scale is exact in f32, so one f16 rounding of it (mul.rn.f16x2)
/// has the bits of emitDequantFloatCode's f32 product rounded to f16.
static Value emitFP8PairF16(OpBuilder &b, Location loc, ArrayRef<Value> words,
                            int64_t j, Value scale) {
  Value w = words[j / 4];
  Value x;
  if (j % 4 == 0) // bytes 0, 1 -> bits 8..15, 24..31
    x = arith::OrIOp::create(
        b, loc,
        arith::ShLIOp::create(
            b, loc, arith::AndIOp::create(b, loc, w, constI32(b, loc, 0xff)),
            constI32(b, loc, 8)),
        arith::ShLIOp::create(
            b, loc, arith::AndIOp::create(b, loc, w, constI32(b, loc, 0xff00)),
            constI32(b, loc, 16)));
  else // bytes 2, 3 -> bits 8..15, 24..31
    x = arith::OrIOp::create(
        b, loc,
        arith::ShRUIOp::create(
            b, loc,
            arith::AndIOp::create(b, loc, w, constI32(b, loc, 0xff0000)),
            constI32(b, loc, 8)),
        arith::AndIOp::create(b, loc, w, constI32(b, loc, 0xff000000)));
  auto pair = VectorType::get({2}, b.getF16Type());
  Value two56 = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(pair, b.getF16FloatAttr(256.0)));
  Value values =
      arith::MulFOp::create(b, loc, emitE4M3PairAsF16(b, loc, x), two56);
  return arith::MulFOp::create(
      b, loc, values, vector::BroadcastOp::create(b, loc, pair, scale));
}

namespace {
/// Builds the kernel body for one buffer_gather's operand types and scheme.
///
/// Work is split in slices: the codes of 16 bytes of output (8 f16/bf16 or 4
/// f32 values). Consecutive threads take consecutive slices of a row, so a
/// warp's loads of packed words and its 16-byte stores are contiguous.
struct KernelBuilder {
  SchemeAttr scheme;
  int64_t cols; // D
  Type outType; // element type of the output
  bool hasZeroPoints;

  int64_t sliceCodes() const {
    return 16 / (outType.getIntOrFloatBitWidth() / 8);
  }
  int64_t slicesPerRow() const { return cols / sliceCodes(); }

  /// Consecutive codes of a slice that share one scale. Groups nest with
  /// slices when one size divides the other; otherwise a group boundary can
  /// fall anywhere inside a slice and every code gets its own scale load.
  int64_t codesPerScale() const {
    int64_t group = scheme.getEffectiveGroupSize(cols), codes = sliceCodes();
    if (group % codes == 0 || codes % group == 0)
      return std::min(group, codes);
    return 1;
  }

  /// What one slice needs from memory.
  struct SliceInputs {
    Value tok, col0;
    SmallVector<Value> words;       // packed words holding the codes
    Value shift;                    // i32 bit offset in words[0] (unaligned)
    SmallVector<Value> scales, zps; // one per group the slice touches
  };

  /// Emits the loads of slice `slice` of output row `tok`.
  SliceInputs loadSlice(OpBuilder &b, Location loc, Value packed, Value scales,
                        Value zps, Value ids, Value tok, Value slice,
                        Value rows) const {
    Value id = loadNatural(b, loc, ids, ValueRange{tok});
    Value row = clampRowIndex(b, loc, id, rows);
    SliceInputs in = loadRowSlice(b, loc, packed, scales, zps, row, slice);
    in.tok = tok;
    return in;
  }

  /// Emits the loads of slice `slice` of table row `row` (in range).
  SliceInputs loadRowSlice(OpBuilder &b, Location loc, Value packed,
                           Value scales, Value zps, Value row,
                           Value slice) const {
    unsigned bits = scheme.getBits();
    int64_t codes = sliceCodes();
    Value col0 =
        arith::MulIOp::create(b, loc, slice, constIndex(b, loc, codes));

    // The slice's codes occupy bits [firstBit, firstBit + codes*bits) of the
    // row. Load the words holding them; `shift` is the slice's offset in the
    // first word.
    int64_t sliceBits = codes * bits;
    int64_t wordsPerRow = scheme.getWordsPerRow(cols);
    bool aligned = sliceBits % 32 == 0;
    SmallVector<Value> words;
    Value shift; // i32 bit offset of the slice in words[0]
    if (aligned) {
      // 8 codes of 4 bits = 1 word, of 8 bits = 2 words: one vector load.
      int64_t n = sliceBits / 32;
      Value first = arith::MulIOp::create(b, loc, slice, constIndex(b, loc, n));
      auto type = VectorType::get({n}, b.getI32Type());
      auto load =
          vector::LoadOp::create(b, loc, type, packed, ValueRange{row, first});
      load.setAlignment(uint64_t(std::min<int64_t>(4 * n, 16)));
      for (int64_t w = 0; w < n; ++w)
        words.push_back(vector::ExtractOp::create(b, loc, load.getResult(),
                                                  ArrayRef<int64_t>{w}));
    } else if (32 % sliceBits == 0) {
      // Several slices per word (8 codes of 2 bits = half a word): one word,
      // shifted by the slice's position in it.
      int64_t perWord = 32 / sliceBits;
      Value first =
          arith::DivUIOp::create(b, loc, slice, constIndex(b, loc, perWord));
      Value pos =
          arith::RemUIOp::create(b, loc, slice, constIndex(b, loc, perWord));
      shift = arith::MulIOp::create(
          b, loc, arith::IndexCastUIOp::create(b, loc, b.getI32Type(), pos),
          constI32(b, loc, sliceBits));
      Value word =
          loadNatural(b, loc, packed, ValueRange{row, first});
      words.push_back(arith::ShRUIOp::create(b, loc, word, shift));
    } else {
      // Straddling slices: load every word the slice can touch
      // (clamped to the row) and shift by the slice's bit offset.
      Value firstBit =
          arith::MulIOp::create(b, loc, slice, constIndex(b, loc, sliceBits));
      Value first =
          arith::DivUIOp::create(b, loc, firstBit, constIndex(b, loc, 32));
      shift = arith::IndexCastUIOp::create(
          b, loc, b.getI32Type(),
          arith::RemUIOp::create(b, loc, firstBit, constIndex(b, loc, 32)));
      int64_t n = (31 + sliceBits + 31) / 32; // worst-case word span
      for (int64_t w = 0; w < n; ++w) {
        Value idx = arith::AddIOp::create(b, loc, first, constIndex(b, loc, w));
        idx = arith::MinUIOp::create(b, loc, idx,
                                     constIndex(b, loc, wordsPerRow - 1));
        words.push_back(
            loadNatural(b, loc, packed, ValueRange{row, idx}));
      }
    }

    // Scales (and zero points): one load per group the slice touches.
    int64_t group = scheme.getEffectiveGroupSize(cols);
    SmallVector<Value> sliceScales, sliceZps;
    for (int64_t j = 0; j < codes; j += codesPerScale()) {
      Value g = constIndex(b, loc, 0);
      if (scheme.getGroupSize() != 0)
        g = arith::DivUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, col0, constIndex(b, loc, j)),
            constIndex(b, loc, group));
      sliceScales.push_back(
          loadNatural(b, loc, scales, ValueRange{row, g}));
      if (hasZeroPoints)
        sliceZps.push_back(
            loadNatural(b, loc, zps, ValueRange{row, g}));
    }

    return SliceInputs{Value(), col0, words, shift, sliceScales, sliceZps};
  }

  /// Emits the decoding and the 16-byte store of a loaded slice.
  void storeSlice(OpBuilder &b, Location loc, const SliceInputs &in,
                  Value out) const {
    SmallVector<Value> values = decodeSlice(b, loc, in);
    Value vec = vector::FromElementsOp::create(
        b, loc, VectorType::get({sliceCodes()}, outType), values);
    auto store = vector::StoreOp::create(b, loc, vec, out,
                                         ValueRange{in.tok, in.col0});
    store.setAlignment(uint64_t(16));
  }

  /// Emits the decoding of a loaded slice: its values in `outType`.
  SmallVector<Value> decodeSlice(OpBuilder &b, Location loc,
                                 const SliceInputs &in) const {
    unsigned bits = scheme.getBits();
    int64_t codes = sliceCodes();
    bool aligned = (codes * bits) % 32 == 0;
    ArrayRef<Value> words = in.words;
    Value shift = in.shift;
    ArrayRef<Value> sliceScales = in.scales, sliceZps = in.zps;
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    SmallVector<Value> values;
    // FP8 with f16 scales: two codes per f16x2 multiply.
    if (scheme.getFormat() == SchemeFormat(::qembed::Format::FP8) &&
        scheme.getScaleType().isF16()) {
      for (int64_t j = 0; j < codes; j += 2) {
        Value pair = emitFP8PairF16(b, loc, words, j, sliceScales[0]);
        for (int64_t k = 0; k < 2; ++k)
          values.push_back(convertFloat(
              b, loc,
              vector::ExtractOp::create(b, loc, pair, ArrayRef<int64_t>{k}),
              outType));
      }
    }
    // NVFP4: each group's f32 scale once per slice, not per code.
    bool nvfp4 = scheme.getFormat() == SchemeFormat(::qembed::Format::NVFP4);
    SmallVector<Value> groupScales;
    bool prescaled = false;
    if (nvfp4) {
      float global = scheme.getGlobalScale().getValue().convertToFloat();
      prescaled = canPrescaleNVFP4(global);
      for (Value scale : sliceScales) {
        Value s = emitNVFP4GroupScale(b, loc, scale, global);
        if (prescaled)
          s = arith::MulFOp::create(b, loc, s,
                                    arith::ConstantFloatOp::create(
                                        b, loc, cast<FloatType>(b.getF32Type()),
                                        APFloat(std::ldexp(1.0f, 126))));
        groupScales.push_back(s);
      }
    }
    for (int64_t j = values.size(); j < codes; ++j) {
      Value code;
      if (aligned || 32 % (codes * bits) == 0) {
        // Constant position: word j*bits/32, offset j*bits%32 (sub-word
        // slices were shifted into place when loaded).
        int64_t bit = j * bits, w = bit / 32, off = bit % 32;
        code = arith::ShRUIOp::create(b, loc, words[w], constI32(b, loc, off));
      } else {
        // bit = shift + j*bits: pick words[w], words[w+1] and funnel them.
        Value bit =
            arith::AddIOp::create(b, loc, shift, constI32(b, loc, j * bits));
        Value w = arith::ShRUIOp::create(b, loc, bit, constI32(b, loc, 5));
        Value off = arith::AndIOp::create(b, loc, bit, constI32(b, loc, 31));
        // A code in the last loaded word does not straddle: its `hi` is
        // never used, so the last word stands in for it.
        int64_t n = words.size();
        Value lo = words[0], hi = words[1];
        for (int64_t k = 1; k < n; ++k) {
          Value isK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, w,
                                            constI32(b, loc, k));
          lo = arith::SelectOp::create(b, loc, isK, words[k], lo);
          hi = arith::SelectOp::create(b, loc, isK,
                                       words[std::min(k + 1, n - 1)], hi);
        }
        Value both = arith::OrIOp::create(
            b, loc, arith::ExtUIOp::create(b, loc, i64, lo),
            arith::ShLIOp::create(
                b, loc, arith::ExtUIOp::create(b, loc, i64, hi),
                arith::ConstantIntOp::create(b, loc, 32, 64)));
        code = arith::TruncIOp::create(
            b, loc, i32,
            arith::ShRUIOp::create(b, loc, both,
                                   arith::ExtUIOp::create(b, loc, i64, off)));
      }
      Value u = arith::AndIOp::create(b, loc, code,
                                      constI32(b, loc, (1 << bits) - 1));
      int64_t s = j / codesPerScale();
      if (nvfp4) {
        // e2m1 * scale in f32, then the output type: emitDequantFloatCode's
        // operations and order.
        Value e2m1 = prescaled ? emitE2M1TimesTwoToMinus126(b, loc, u)
                               : emitDecodeE2M1(b, loc, u);
        Value prod = arith::MulFOp::create(b, loc, e2m1, groupScales[s]);
        values.push_back(convertFloat(b, loc, prod, outType));
        continue;
      }
      if (!scheme.isInt()) {
        // FP8 / NVFP4 / MXFP4: the same integer decoding as
        // --qembed-to-linalg (DequantUtils), so the same bits.
        FloatAttr g = scheme.getGlobalScale();
        values.push_back(emitDequantFloatCode(
            b, loc, u, unsigned(scheme.getFormat()), sliceScales[s],
            g ? g.getValue().convertToFloat() : 1.0f, outType));
        continue;
      }
      values.push_back(emitDequantCode(b, loc, u, bits, sliceScales[s],
                                       hasZeroPoints ? sliceZps[s] : Value(),
                                       outType));
    }
    return values;
  }
};
} // namespace

SmallVector<Value> mlir::qembed::emitDequantRowSlice(
    OpBuilder &b, Location loc, SchemeAttr scheme, int64_t cols, Type outType,
    Value packed, Value scales, Value zps, Value row, Value slice) {
  KernelBuilder kernel{scheme, cols, outType, bool(zps)};
  return kernel.decodeSlice(
      b, loc, kernel.loadRowSlice(b, loc, packed, scales, zps, row, slice));
}


std::string mlir::qembed::elementTypeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isSignlessInteger())
    return "i" + std::to_string(t.getIntOrFloatBitWidth());
  return "";
}

int64_t mlir::qembed::gatherSliceCodes(unsigned outBits) {
  return 16 / (outBits / 8);
}

static unsigned floatBits(StringRef name) { return name == "f32" ? 32 : 16; }

int64_t mlir::qembed::gatherSlicesPerRow(const GatherKernelSpec &spec) {
  return spec.cols / gatherSliceCodes(floatBits(spec.outType));
}

/// The float-format rules of a spec (FloatFormats.h), or "".
static std::string checkFloatFormatSpec(const GatherKernelSpec &s) {
  std::optional<::qembed::Format> f = ::qembed::parseFormat(s.format);
  if (!f)
    return "format must be int, fp8, nvfp4 or mxfp4, got '" + s.format + "'";
  if (*f == ::qembed::Format::Int)
    return "";
  if (s.bits != ::qembed::formatBits(*f) ||
      s.groupSize != ::qembed::formatGroupSize(*f) || !s.symmetric)
    return llvm::formatv("format {0} has {1}-bit codes, group size {2} and "
                         "symmetric scales, got bits {3}, group size {4}, {5}",
                         s.format, ::qembed::formatBits(*f),
                         ::qembed::formatGroupSize(*f), s.bits, s.groupSize,
                         s.symmetric ? "symmetric" : "asymmetric")
        .str();
  StringRef want = *f == ::qembed::Format::NVFP4   ? "f8E4M3FN"
                   : *f == ::qembed::Format::MXFP4 ? "f8E8M0FNU"
                                                   : "";
  if (!want.empty() && s.scaleType != want)
    return llvm::formatv("format {0} takes {1} scales, got '{2}'", s.format,
                         want, s.scaleType)
        .str();
  if (want.empty() && s.scaleType != "f16" && s.scaleType != "bf16" &&
      s.scaleType != "f32")
    return "format fp8 takes f16, bf16 or f32 scales, got '" + s.scaleType +
           "'";
  if (*f == ::qembed::Format::NVFP4 &&
      (!std::isfinite(s.globalScale) || s.globalScale == 0))
    return "the nvfp4 global scale must be finite and non-zero";
  return "";
}

std::string mlir::qembed::checkGatherKernelSpec(const GatherKernelSpec &s) {
  auto isFloatName = [](StringRef n) {
    return n == "f16" || n == "bf16" || n == "f32";
  };
  if (std::string err = checkFloatFormatSpec(s); !err.empty())
    return err;
  bool floatFormat = s.format != "int";
  if (s.bits < 2 || s.bits > 8)
    return llvm::formatv("bits must be in 2..8, got {0}", s.bits).str();
  if (!floatFormat && !isFloatName(s.scaleType))
    return "scale type must be f16, bf16 or f32, got '" + s.scaleType + "'";
  if (!isFloatName(s.outType))
    return "output type must be f16, bf16 or f32, got '" + s.outType + "'";
  if (s.idBits != 32 && s.idBits != 64)
    return llvm::formatv("ids must be i32 or i64, got i{0}", s.idBits).str();
  if (s.cols <= 0)
    return llvm::formatv("row length must be positive, got {0}", s.cols).str();
  // Token and row counts are i32; keep a row's words and the output row
  // addressable with room to spare.
  if (s.cols > (int64_t(1) << 24))
    return llvm::formatv("row length {0} is larger than 2^24", s.cols).str();
  int64_t codes = gatherSliceCodes(floatBits(s.outType));
  if (s.cols % codes != 0)
    return llvm::formatv("the GPU kernel needs a row length that is a "
                         "multiple of {0} (16 bytes of {1} output), got {2}",
                         codes, s.outType, s.cols)
        .str();
  if (s.groupSize < 0 || (s.groupSize > 0 && s.cols % s.groupSize != 0))
    return llvm::formatv("group size {0} does not divide the row length {1}",
                         s.groupSize, s.cols)
        .str();
  if (s.blockSize < 32 || s.blockSize > 1024 || s.blockSize % 32 != 0)
    return llvm::formatv("block size must be a multiple of 32 in 32..1024, "
                         "got {0}",
                         s.blockSize)
        .str();
  if (s.unroll < 1 || s.unroll > 16)
    return llvm::formatv("unroll must be in 1..16, got {0}", s.unroll).str();
  return "";
}

std::string mlir::qembed::gatherKernelName(const GatherKernelSpec &s) {
  if (s.format != "int") {
    // Only nvfp4's kernel depends on the global scale.
    float scale = s.format == "nvfp4" ? s.globalScale : 1.0f;
    uint32_t g;
    std::memcpy(&g, &scale, 4);
    return llvm::formatv(
               "qembed_gather_{0}_{1}_{2}_i{3}_d{4}_b{5}_u{6}_gs{7:x}",
               s.format, s.scaleType, s.outType, s.idBits, s.cols, s.blockSize,
               s.unroll, g)
        .str();
  }
  return llvm::formatv(
             "qembed_gather_w{0}_g{1}_{2}_{3}_{4}_i{5}_d{6}_b{7}_u{8}", s.bits,
             s.groupSize, s.symmetric ? "sym" : "asym", s.scaleType, s.outType,
             s.idBits, s.cols, s.blockSize, s.unroll)
      .str();
}

void mlir::qembed::emitGatherKernelBody(OpBuilder &fb, Location loc,
                                        SchemeAttr scheme, int64_t cols,
                                        Type outType, Value packed,
                                        Value scales, Value zps, Value ids,
                                        Value out, Value tokens, Value rows,
                                        int64_t unroll) {
  Value bid = gpu::BlockIdOp::create(fb, loc, gpu::Dimension::x);
  Value bdim = gpu::BlockDimOp::create(fb, loc, gpu::Dimension::x);
  Value tid = gpu::ThreadIdOp::create(fb, loc, gpu::Dimension::x);
  Value gdim = gpu::GridDimOp::create(fb, loc, gpu::Dimension::x);
  Value start = arith::AddIOp::create(
      fb, loc, arith::MulIOp::create(fb, loc, bid, bdim), tid);
  Value step = arith::MulIOp::create(fb, loc, gdim, bdim);
  KernelBuilder kernel{scheme, cols, outType, bool(zps)};
  Value slices = constIndex(fb, loc, kernel.slicesPerRow());
  // An empty table (rows == 0 at run time) has no row to clamp ids into:
  // no work then, and the output is left as it is.
  Value empty = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, rows,
                                      constIndex(fb, loc, 0));
  Value total = arith::SelectOp::create(
      fb, loc, empty, constIndex(fb, loc, 0),
      arith::MulIOp::create(fb, loc, tokens, slices));
  // Each iteration handles `unroll` slices `step` apart (so a warp's
  // accesses stay contiguous) and issues all their loads before any store:
  // more bytes in flight per thread. Slices past the end are clamped to the
  // last one, which is then written again with the same values: no branch
  // in the loop body.
  Value last = arith::SubIOp::create(fb, loc, total, constIndex(fb, loc, 1));
  Value bigStep =
      arith::MulIOp::create(fb, loc, step, constIndex(fb, loc, unroll));
  scf::ForOp::create(
      fb, loc, start, total, bigStep, ValueRange{},
      [&](OpBuilder &lb, Location l, Value i, ValueRange) {
        SmallVector<KernelBuilder::SliceInputs> inputs;
        for (int64_t k = 0; k < unroll; ++k) {
          Value idx = i;
          if (k > 0)
            idx = arith::MinUIOp::create(
                lb, l,
                arith::AddIOp::create(
                    lb, l, i,
                    arith::MulIOp::create(lb, l, step, constIndex(lb, l, k))),
                last);
          Value tok = arith::DivUIOp::create(lb, l, idx, slices);
          Value slice = arith::RemUIOp::create(lb, l, idx, slices);
          inputs.push_back(kernel.loadSlice(lb, l, packed, scales, zps, ids,
                                            tok, slice, rows));
        }
        for (const auto &in : inputs)
          kernel.storeSlice(lb, l, in, out);
        scf::YieldOp::create(lb, l);
      });
}

static Type floatType(MLIRContext *ctx, StringRef name) {
  if (name == "f32")
    return Float32Type::get(ctx);
  if (name == "bf16")
    return BFloat16Type::get(ctx);
  if (name == "f8E4M3FN")
    return Float8E4M3FNType::get(ctx);
  if (name == "f8E8M0FNU")
    return Float8E8M0FNUType::get(ctx);
  return Float16Type::get(ctx);
}

gpu::GPUFuncOp mlir::qembed::createBarePointerKernel(
    OpBuilder &b, Location loc, gpu::GPUModuleOp kernels, StringRef name,
    ArrayRef<Type> buffers, unsigned numScalars, int64_t blockSize,
    ArrayRef<Type> workgroup) {
  SmallVector<Type> argTypes(buffers);
  argTypes.append(numScalars, b.getI32Type());
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto func = gpu::GPUFuncOp::create(
      kb, loc, name, kb.getFunctionType(argTypes, {}), workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  func.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({int32_t(blockSize), 1, 1}));
  for (unsigned i = 0; i < buffers.size(); ++i) {
    func.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                    kb.getUnitAttr());
    if (i + 1 < buffers.size())
      func.setArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName(),
                      kb.getUnitAttr());
  }
  return func;
}

SmallVector<Type> mlir::qembed::packedTableArgTypes(OpBuilder &b,
                                                    SchemeAttr scheme,
                                                    int64_t cols) {
  constexpr int64_t kMax = INT32_MAX;
  int64_t words = scheme.getWordsPerRow(cols);
  int64_t groups = scheme.getNumGroups(cols);
  SmallVector<Type> types = {
      MemRefType::get({kMax, words}, b.getI32Type()),
      MemRefType::get({kMax, groups}, scheme.getScaleType())};
  if (!scheme.getSymmetric())
    types.push_back(MemRefType::get({kMax, groups}, b.getI8Type()));
  return types;
}

gpu::GPUFuncOp mlir::qembed::buildBarePointerGatherKernel(
    OpBuilder &b, Location loc, gpu::GPUModuleOp kernels, StringRef name,
    const GatherKernelSpec &spec) {
  MLIRContext *ctx = b.getContext();
  Type scaleType = floatType(ctx, spec.scaleType);
  Type outType = floatType(ctx, spec.outType);
  ::qembed::Format format =
      ::qembed::parseFormat(spec.format).value_or(::qembed::Format::Int);
  FloatAttr globalScale;
  if (format == ::qembed::Format::NVFP4)
    globalScale = FloatAttr::get(Float32Type::get(ctx), spec.globalScale);
  auto scheme = SchemeAttr::get(ctx, spec.bits, spec.groupSize, spec.symmetric,
                                scaleType, SchemeFormat(format), globalScale);
  // Bare pointers need static memref shapes: the leading (row / token)
  // extent is declared as the largest i32, the bound of the i32 sizes the
  // kernel is passed; only the trailing extents (the row layout) take part
  // in addressing.
  constexpr int64_t kMax = INT32_MAX;
  SmallVector<Type> buffers = packedTableArgTypes(b, scheme, spec.cols);
  buffers.push_back(MemRefType::get({kMax}, b.getIntegerType(spec.idBits)));
  buffers.push_back(MemRefType::get({kMax, spec.cols}, outType));
  auto func = createBarePointerKernel(b, loc, kernels, name, buffers,
                                      /*numScalars=*/2, spec.blockSize);

  Block &body = func.getBody().front();
  OpBuilder fb = OpBuilder::atBlockBegin(&body);
  ValueRange fa = body.getArguments();
  unsigned n = 2;
  Value zps = spec.symmetric ? Value() : fa[n++];
  Value ids = fa[n++], out = fa[n++];
  Value tokens =
      arith::IndexCastUIOp::create(fb, loc, fb.getIndexType(), fa[n++]);
  Value rows =
      arith::IndexCastUIOp::create(fb, loc, fb.getIndexType(), fa[n++]);
  emitGatherKernelBody(fb, loc, scheme, spec.cols, outType, fa[0], fa[1], zps,
                       ids, out, tokens, rows, spec.unroll);
  gpu::ReturnOp::create(fb, loc);
  return func;
}
