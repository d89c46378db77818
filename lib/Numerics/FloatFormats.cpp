//===- FloatFormats.cpp - FP8 / NVFP4 / MXFP4 table quantization ----------===//
//
// Implements FloatFormats.h. Every torch operation on a tensor of dtype T is
// emulated as "compute in f32, round to T" (torch's CPU kernels for f16 and
// bf16 do that; it is exact for f32), and every mixed-dtype operation
// follows torch's type promotion, step by step as compressed-tensors 0.20
// writes it.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/FloatFormats.h"
#include "FloatBits.h"
#include "Parallel.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <type_traits>

namespace qembed {

using namespace detail;

const char *formatName(Format format) {
  switch (format) {
  case Format::Int:
    return "int";
  case Format::FP8:
    return "fp8";
  case Format::NVFP4:
    return "nvfp4";
  case Format::MXFP4:
    return "mxfp4";
  }
  return "?";
}

std::optional<Format> parseFormat(const std::string &name) {
  for (Format f : {Format::Int, Format::FP8, Format::NVFP4, Format::MXFP4})
    if (name == formatName(f))
      return f;
  return std::nullopt;
}

unsigned formatBits(Format format) {
  switch (format) {
  case Format::FP8:
    return 8;
  case Format::NVFP4:
  case Format::MXFP4:
    return 4;
  case Format::Int:
    break;
  }
  return 0;
}

int64_t formatGroupSize(Format format) {
  switch (format) {
  case Format::NVFP4:
    return 16;
  case Format::MXFP4:
    return 32;
  default:
    return 0;
  }
}

std::string checkFloatScheme(const FloatScheme &scheme, int64_t cols) {
  if (scheme.format == Format::Int)
    return "format 'int' is not a float format";
  if (scheme.perTensor && scheme.format != Format::FP8)
    return std::string("per-tensor scales are only for fp8, not ") +
           formatName(scheme.format);
  if (cols <= 0)
    return "the table must have at least one column";
  int64_t g = scheme.groupSize();
  if (g != 0 && cols % g != 0)
    return std::string(formatName(scheme.format)) + " groups of " +
           std::to_string(g) + " columns do not divide the row length " +
           std::to_string(cols);
  return {};
}

std::optional<TableProblem> checkFloatTable(const TableView &t) {
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t c = 0; c < t.cols; ++c) {
      float x = loadElement(t.kind, t.data, r * t.cols + c);
      if (!std::isfinite(x))
        return TableProblem{TableProblem::Kind::NonFinite, r, c, x, t.kind};
    }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Element formats
//===----------------------------------------------------------------------===//

/// decodeE4M3 computed for one code (decodeE4M3 reads a table of these).
static float computeE4M3(uint8_t code) {
  unsigned e = (code >> 3) & 15, m = code & 7;
  float mag;
  if (e == 15 && m == 7)
    mag = std::numeric_limits<float>::quiet_NaN();
  else if (e == 0)
    mag = std::ldexp(float(m), -9);
  else
    mag = std::ldexp(float(8 + m), int(e) - 10);
  return (code & 0x80) ? -mag : mag;
}

float decodeE4M3(uint8_t code) {
  static const std::array<float, 256> values = [] {
    std::array<float, 256> v{};
    for (int c = 0; c < 256; ++c)
      v[size_t(c)] = computeE4M3(uint8_t(c));
    return v;
  }();
  return values[code];
}

uint8_t encodeE4M3(float x) {
  uint8_t sign = std::signbit(x) ? 0x80 : 0;
  float a = std::fabs(x);
  if (a < 0.015625f) { // below 2^-6: subnormal steps of 2^-9 (8 = 2^-6)
    float m = std::nearbyint(a * 512.0f);
    return uint8_t(sign | uint8_t(m));
  }
  uint32_t b = bitsOf(a);
  b += 0x7FFFFu + ((b >> 20) & 1u); // 23 -> 3 mantissa bits, ties to even
  int e = int(b >> 23) - 127;
  unsigned code = unsigned(e + 7) << 3 | ((b >> 20) & 7u);
  return uint8_t(sign | std::min(code, 0x7Eu));
}

float decodeE2M1(uint8_t code) {
  static const float mag[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  float v = mag[code & 7];
  return (code & 8) ? -v : v;
}

uint8_t encodeE2M1(float x) {
  float a = std::fabs(x);
  uint8_t m = a <= 0.25f   ? 0
              : a < 0.75f  ? 1
              : a <= 1.25f ? 2
              : a < 1.75f  ? 3
              : a <= 2.5f  ? 4
              : a < 3.5f   ? 5
              : a <= 5.0f  ? 6
                           : 7;
  return uint8_t(m | (x < 0 ? 8 : 0));
}

float decodeE8M0(uint8_t code) {
  static const std::array<float, 256> values = [] {
    std::array<float, 256> v{};
    for (int c = 0; c < 255; ++c)
      v[size_t(c)] = std::ldexp(1.0f, c - 127);
    v[255] = std::numeric_limits<float>::quiet_NaN();
    return v;
  }();
  return values[code];
}

//===----------------------------------------------------------------------===//
// Scales
//===----------------------------------------------------------------------===//

/// torch.finfo(kind).tiny.
static float tiny(FloatKind kind) {
  return kind == FloatKind::F16 ? std::ldexp(1.0f, -14)
                                : std::ldexp(1.0f, -126);
}

/// Largest |x| over `n` elements starting at element `first`.
static float absMax(const TableView &t, int64_t first, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, std::fabs(loadElement(t.kind, t.data, first + i)));
  return m;
}

/// generate_gparam(min, max) for the whole table: 448 * 6 / amax computed in
/// the table's dtype (amax clamped to its tiny), NaN/Inf replaced by 1.
/// torch evaluates `scalar / tensor` as `tensor.reciprocal() * scalar`: two
/// roundings.
static float nvfp4GlobalScale(FloatKind kind, float amax) {
  amax = std::max(amax, tiny(kind));
  float g = roundTo(kind, roundTo(kind, 1.0f / amax) * 2688.0f);
  return std::isfinite(g) ? g : 1.0f;
}

/// calculate_qparams for one NVFP4 group: the E4M3FN scale byte.
static uint8_t nvfp4ScaleCode(FloatKind kind, float gamax, float global) {
  float local = roundTo(kind, gamax / 6.0f); // amax / (range / 2) in dtype
  float s = global * local;                  // f32 [1] * dtype -> f32
  s = std::min(s, 448.0f);                   // clamp to finfo(e4m3fn)
  uint8_t code = encodeE4M3(s);
  if (decodeE4M3(code) == 0)
    code = 0x20; // eps of float8_e4m3fn: 0.125 = 2^-3
  return code;
}

/// round_to_power_2 of a non-negative value of `kind` (bits arithmetic on
/// the dtype's raw representation), as a float.
static float roundToPower2(FloatKind kind, float x) {
  switch (kind) {
  case FloatKind::F32: {
    uint32_t b = (bitsOf(x) + (1u << 21)) & 0xFF800000u;
    return fromBits(b);
  }
  case FloatKind::BF16: {
    uint32_t b = (uint32_t(toBF16Bits(x)) + (1u << 5)) & 0xFF80u;
    return fromBF16Bits(uint16_t(b));
  }
  case FloatKind::F16: {
    uint32_t b = (uint32_t(toF16Bits(x)) + (1u << 8)) & 0xFC00u;
    return fromF16Bits(uint16_t(b));
  }
  }
  return x;
}

/// calculate_qparams + compress_mx_scale for one MXFP4 group: the E8M0 code
/// compressed-tensors stores, and the scale (exact in `kind`) it quantizes
/// with.
static std::pair<uint8_t, float> mxfp4Scale(FloatKind kind, float gamax) {
  float p = roundToPower2(kind, gamax);
  // 127 + floor(log2(p)) - 2 in the dtype, clamped to [0, 255] and rounded.
  float code;
  if (p == 0)
    code = 0;
  else if (std::isinf(p))
    code = 255;
  else
    code = std::clamp(125.0f + float(std::ilogb(p)), 0.0f, 255.0f);
  // maybe_convert_from_mx_exp: 2 ** (code - 127) in f32, to the dtype; a
  // zero scale becomes 1 (the eps of uint8).
  float scale = roundTo(kind, std::ldexp(1.0f, int(code) - 127));
  if (scale == 0)
    scale = 1;
  // compress_mx_scale: 127 + floor(log2(scale)).
  int stored = 127 + std::ilogb(scale);
  return {uint8_t(std::clamp(stored, 0, 255)), scale};
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

static inline void putCode(uint32_t *rowWords, int64_t col, unsigned bits,
                           uint32_t code) {
  int64_t per = 32 / bits;
  rowWords[col / per] |= code << ((col % per) * bits);
}

static inline uint32_t getCode(const uint32_t *rowWords, int64_t col,
                               unsigned bits) {
  int64_t per = 32 / bits;
  return (rowWords[col / per] >> ((col % per) * bits)) & ((1u << bits) - 1);
}

FloatPackedTable quantizeFloatTable(const TableView &t,
                                    const FloatScheme &scheme, unsigned threads,
                                    bool errorStats) {
  FloatPackedTable out;
  out.rows = t.rows;
  out.cols = t.cols;
  out.scheme = scheme;
  out.scheme.tableKind = t.kind;
  FloatKind kind = t.kind;
  int64_t words = scheme.wordsPerRow(t.cols);
  int64_t groups = scheme.groupsPerRow(t.cols);
  int64_t gsize = scheme.columnsPerGroup(t.cols);
  unsigned bits = scheme.bits();
  out.words.assign(size_t(t.rows * words), 0);
  if (scheme.format == Format::FP8)
    out.scales.assign(size_t(t.rows), 0);
  else
    out.scaleCodes.assign(size_t(t.rows * groups), 0);

  // Table-wide quantities.
  float tableScale = 0;
  if (scheme.format == Format::FP8 && scheme.perTensor) {
    float s = roundTo(kind, absMax(t, 0, t.rows * t.cols) / 448.0f);
    tableScale = s == 0 ? epsilon(kind) : s;
  }
  if (scheme.format == Format::NVFP4)
    out.globalScale = nvfp4GlobalScale(kind, absMax(t, 0, t.rows * t.cols));
  float global = out.globalScale;

  std::vector<double> maxErr(t.rows, 0), sig(t.rows, 0), noise(t.rows, 0);
  parallelFor(t.rows, threads, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      uint32_t *rw = out.words.data() + r * words;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t c0 = g * gsize;
        int64_t first = r * t.cols + c0;
        switch (scheme.format) {
        case Format::FP8: {
          float s = tableScale;
          if (!scheme.perTensor) {
            s = roundTo(kind, absMax(t, first, gsize) / 448.0f);
            if (s == 0)
              s = epsilon(kind);
          }
          out.scales[r] = s;
          for (int64_t c = 0; c < gsize; ++c) {
            float v = roundTo(kind, loadElement(kind, t.data, first + c) / s);
            // compressed-tensors adds the (zero) zero point: -0 becomes +0.
            v = std::clamp(v + 0.0f, -448.0f, 448.0f);
            putCode(rw, c0 + c, bits, encodeE4M3(v));
          }
          break;
        }
        case Format::NVFP4: {
          uint8_t code = nvfp4ScaleCode(kind, absMax(t, first, gsize), global);
          out.scaleCodes[r * groups + g] = code;
          float s = decodeE4M3(code) / global; // scale / global_scale, f32
          for (int64_t c = 0; c < gsize; ++c) {
            float v = loadElement(kind, t.data, first + c) / s;
            putCode(rw, c0 + c, bits, encodeE2M1(std::clamp(v, -6.0f, 6.0f)));
          }
          break;
        }
        case Format::MXFP4: {
          auto [code, s] = mxfp4Scale(kind, absMax(t, first, gsize));
          out.scaleCodes[r * groups + g] = code;
          for (int64_t c = 0; c < gsize; ++c) {
            float v = roundTo(kind, loadElement(kind, t.data, first + c) / s);
            putCode(rw, c0 + c, bits, encodeE2M1(std::clamp(v, -6.0f, 6.0f)));
          }
          break;
        }
        case Format::Int:
          break;
        }
      }
      if (!errorStats)
        continue;
      // Scales of this row are final: measure its error.
      for (int64_t c = 0; c < t.cols; ++c) {
        double x = loadElement(kind, t.data, r * t.cols + c);
        double d;
        uint32_t code = getCode(rw, c, bits);
        switch (scheme.format) {
        case Format::FP8:
          d = roundTo(kind, decodeE4M3(uint8_t(code)) * out.scales[r]);
          break;
        case Format::NVFP4:
          d = roundTo(kind,
                      decodeE2M1(uint8_t(code)) *
                          (decodeE4M3(out.scaleCodes[r * groups + c / gsize]) /
                           global));
          break;
        default:
          d = roundTo(kind,
                      decodeE2M1(uint8_t(code)) *
                          decodeE8M0(out.scaleCodes[r * groups + c / gsize]));
          break;
        }
        double e = x - d;
        maxErr[r] = std::max(maxErr[r], std::fabs(e));
        sig[r] += x * x;
        noise[r] += e * e;
      }
    }
  });
  for (int64_t r = 0; r < t.rows; ++r) {
    out.maxAbsError = std::max(out.maxAbsError, maxErr[r]);
    out.signalPower += sig[r];
    out.noisePower += noise[r];
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Dequantization and gather
//===----------------------------------------------------------------------===//

std::string checkFloatView(const FloatPackedView &t) {
  if (std::string err = checkFloatScheme(t.scheme, t.cols); !err.empty())
    return err;
  if (t.rows <= 0)
    return "the table must have at least one row";
  if (t.scheme.format == Format::NVFP4 && !std::isfinite(t.globalScale))
    return "the nvfp4 global scale must be finite";
  return {};
}

/// Dequantizes one row into f32 values (before rounding to an output type).
static void dequantizeRow(const FloatPackedView &t, int64_t r, float *out) {
  const FloatScheme &s = t.scheme;
  unsigned bits = s.bits();
  const uint32_t *rw = t.words + r * s.wordsPerRow(t.cols);
  int64_t groups = s.groupsPerRow(t.cols);
  int64_t gsize = s.columnsPerGroup(t.cols);
  const uint8_t *codes = static_cast<const uint8_t *>(t.scales);
  for (int64_t g = 0; g < groups; ++g) {
    int64_t c0 = g * gsize;
    switch (s.format) {
    case Format::FP8: {
      float scale = loadElement(s.tableKind, t.scales, r);
      for (int64_t c = c0; c < c0 + gsize; ++c)
        out[c] = roundTo(s.tableKind,
                         decodeE4M3(uint8_t(getCode(rw, c, bits))) * scale);
      break;
    }
    case Format::NVFP4: {
      float scale = decodeE4M3(codes[r * groups + g]) / t.globalScale;
      for (int64_t c = c0; c < c0 + gsize; ++c)
        out[c] = decodeE2M1(uint8_t(getCode(rw, c, bits))) * scale;
      break;
    }
    case Format::MXFP4: {
      float scale = decodeE8M0(codes[r * groups + g]);
      for (int64_t c = c0; c < c0 + gsize; ++c)
        out[c] = decodeE2M1(uint8_t(getCode(rw, c, bits))) * scale;
      break;
    }
    case Format::Int:
      break;
    }
  }
}

float dequantizeFloatElement(const FloatPackedView &t, int64_t row,
                             int64_t col) {
  std::vector<float> values(size_t(t.cols));
  dequantizeRow(t, row, values.data());
  return values[size_t(col)];
}

/// `v` rounded to `kind` as the output element type OutT holds it: the
/// float for f32, the bit pattern for f16 / bf16.
template <typename OutT> static OutT toOut(FloatKind kind, float v) {
  if constexpr (sizeof(OutT) == 4)
    return v;
  else
    return kind == FloatKind::F16 ? toF16Bits(v) : toBF16Bits(v);
}

/// -v, for an output value as toOut holds it.
static float negate(float v) { return -v; }
static uint16_t negate(uint16_t bits) { return uint16_t(bits ^ 0x8000u); }

/// The id of token i, clamped into the table.
static int64_t clampedId(const FloatPackedView &t, const void *ids,
                         IndexKind idKind, int64_t i) {
  int64_t id = idKind == IndexKind::I32
                   ? int64_t(static_cast<const int32_t *>(ids)[i])
                   : static_cast<const int64_t *>(ids)[i];
  return std::clamp<int64_t>(id, 0, t.rows - 1);
}

/// gatherFloatRows of an nvfp4 / mxfp4 table for tokens [b, e): per group
/// a table of the output value of each of the 16 codes, then one lookup per
/// code. Each entry is computed exactly as dequantizeRow + rounding to the
/// output type, so the bits are the same. Codes are read as bytes of the
/// little-endian words.
template <typename OutT>
static void gatherRangeFP4(const FloatPackedView &t, const void *ids,
                           IndexKind idKind, int64_t b, int64_t e,
                           FloatKind outKind, OutT *out) {
  const FloatScheme &s = t.scheme;
  int64_t wpr = s.wordsPerRow(t.cols), groups = s.groupsPerRow(t.cols);
  int64_t gsize = s.columnsPerGroup(t.cols);
  const uint8_t *scaleCodes = static_cast<const uint8_t *>(t.scales);
  OutT lut[16];
  for (int64_t i = b; i < e; ++i) {
    int64_t id = clampedId(t, ids, idKind, i);
    const uint8_t *codes =
        reinterpret_cast<const uint8_t *>(t.words + id * wpr);
    OutT *o = out + i * t.cols;
    for (int64_t g = 0; g < groups; ++g) {
      uint8_t sc = scaleCodes[id * groups + g];
      float scale = s.format == Format::NVFP4 ? decodeE4M3(sc) / t.globalScale
                                              : decodeE8M0(sc);
      if (std::isnan(scale)) {
        for (int c = 0; c < 16; ++c)
          lut[c] = toOut<OutT>(outKind, decodeE2M1(uint8_t(c)) * scale);
      } else {
        // Rounding is symmetric: a negative code is its magnitude's value
        // with the sign bit set (code 8 gives -0, as -0.0 * scale does).
        for (int c = 0; c < 8; ++c) {
          lut[c] = toOut<OutT>(outKind, decodeE2M1(uint8_t(c)) * scale);
          lut[c + 8] = negate(lut[c]);
        }
      }
      const uint8_t *gc = codes + g * gsize / 2;
      OutT *go = o + g * gsize;
      for (int64_t j = 0; j < gsize / 2; ++j) {
        uint8_t byte = gc[j];
        go[2 * j] = lut[byte & 15];
        go[2 * j + 1] = lut[byte >> 4];
      }
    }
  }
}

/// `v` rounded to kind K, as a float (inline, so that the loop below
/// vectorizes).
template <FloatKind K> static inline float roundKind(float v) {
  if constexpr (K == FloatKind::F16)
    return fromF16Bits(toF16Bits(v));
  else if constexpr (K == FloatKind::BF16)
    return fromBF16Bits(toBF16Bits(v));
  else
    return v;
}

/// `v` rounded to kind K as the output element type OutT holds it.
template <FloatKind K, typename OutT> static inline OutT outOf(float v) {
  if constexpr (K == FloatKind::F32)
    return v;
  else if constexpr (K == FloatKind::F16)
    return toF16Bits(v);
  else
    return toBF16Bits(v);
}

/// gatherFloatRows of an fp8 table of kind TK into an output of kind OK for
/// tokens [b, e). Each code is decoded with integer operations (the byte's
/// magnitude bits shifted into an f32's exponent and mantissa, rebiased;
/// subnormal codes as m * 2^-9; 0x7f / 0xff are NaN, signed),
/// times the row's scale, rounded to the table's kind and then the
/// output's (dequantizeRow's operations, so the same bits), in a loop
/// without calls or branches that the compiler vectorizes.
template <FloatKind TK, FloatKind OK, typename OutT>
__attribute__((always_inline)) static inline void
gatherRangeFP8(const FloatPackedView &t, const void *ids, IndexKind idKind,
               int64_t b, int64_t e, OutT *out) {
  int64_t wpr = t.scheme.wordsPerRow(t.cols);
  for (int64_t i = b; i < e; ++i) {
    int64_t id = clampedId(t, ids, idKind, i);
    const uint8_t *codes =
        reinterpret_cast<const uint8_t *>(t.words + id * wpr);
    OutT *o = out + i * t.cols;
    float scale = loadElement(TK, t.scales, id);
    for (int64_t c = 0; c < t.cols; ++c) {
      uint32_t byte = codes[c], mag = byte & 0x7fu;
      // Normal codes: the magnitude bits in an f32's exponent and mantissa,
      // exponent rebiased (7 -> 127); subnormal codes (exponent 0): m * 2^-9.
      // No f32 subnormal is formed, so a flush-to-zero / denormals-are-zero
      // FPU mode (torch.set_flush_denormal) does not change the result.
      float normal = fromBits((mag << 20) + (120u << 23));
      float v = mag < 8 ? float(mag) * 0x1p-9f : normal;
      v = mag == 0x7fu ? std::numeric_limits<float>::quiet_NaN() : v;
      v = fromBits(bitsOf(v) | (byte & 0x80u) << 24); // -NaN for 0xff too
      // Rounding to the table's kind first changes nothing when the output
      // has that kind (rounding twice to one format is rounding once).
      if constexpr (TK == OK)
        o[c] = outOf<OK, OutT>(v * scale);
      else
        o[c] = outOf<OK, OutT>(roundKind<TK>(v * scale));
    }
  }
}

/// gatherRangeFP8 compiled for the baseline ISA and, on x86-64, again for
/// AVX2 + F16C and AVX-512 (wider vectors and f16 conversions: 2x faster
/// there, bench/cpu_float_formats.py).
template <FloatKind TK, FloatKind OK, typename OutT>
static void gatherFP8Base(const FloatPackedView &t, const void *ids,
                          IndexKind idKind, int64_t b, int64_t e, OutT *out) {
  gatherRangeFP8<TK, OK>(t, ids, idKind, b, e, out);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define QEMBED_FP8_X86 1
template <FloatKind TK, FloatKind OK, typename OutT>
__attribute__((target("avx2,f16c"))) static void
gatherFP8AVX2(const FloatPackedView &t, const void *ids, IndexKind idKind,
              int64_t b, int64_t e, OutT *out) {
  gatherRangeFP8<TK, OK>(t, ids, idKind, b, e, out);
}
template <FloatKind TK, FloatKind OK, typename OutT>
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,f16c"))) static void
gatherFP8AVX512(const FloatPackedView &t, const void *ids, IndexKind idKind,
                int64_t b, int64_t e, OutT *out) {
  gatherRangeFP8<TK, OK>(t, ids, idKind, b, e, out);
}
#endif

/// gatherRangeFP8 for the run-time output kind, on the best ISA this CPU
/// has.
template <FloatKind TK>
static void gatherFP8(const FloatPackedView &t, const void *ids,
                      IndexKind idKind, int64_t b, int64_t e, FloatKind outKind,
                      void *out) {
#ifdef QEMBED_FP8_X86
  static const bool avx2 =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                             __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl");
#endif
  auto run = [&](auto outTag, auto *typed) {
    constexpr FloatKind OK = decltype(outTag)::value;
    using OutT = std::remove_pointer_t<decltype(typed)>;
#ifdef QEMBED_FP8_X86
    if (avx512)
      return gatherFP8AVX512<TK, OK, OutT>(t, ids, idKind, b, e, typed);
    if (avx2)
      return gatherFP8AVX2<TK, OK, OutT>(t, ids, idKind, b, e, typed);
#endif
    gatherFP8Base<TK, OK, OutT>(t, ids, idKind, b, e, typed);
  };
  switch (outKind) {
  case FloatKind::F32:
    return run(std::integral_constant<FloatKind, FloatKind::F32>{},
               static_cast<float *>(out));
  case FloatKind::F16:
    return run(std::integral_constant<FloatKind, FloatKind::F16>{},
               static_cast<uint16_t *>(out));
  case FloatKind::BF16:
    return run(std::integral_constant<FloatKind, FloatKind::BF16>{},
               static_cast<uint16_t *>(out));
  }
}

void gatherFloatRows(const FloatPackedView &t, const void *ids,
                     IndexKind idKind, int64_t tokens, FloatKind outKind,
                     void *out, unsigned threads) {
  auto run = [&](int64_t b, int64_t e) {
    if (t.scheme.format != Format::FP8) {
      if (outKind == FloatKind::F32)
        gatherRangeFP4(t, ids, idKind, b, e, outKind,
                       static_cast<float *>(out));
      else
        gatherRangeFP4(t, ids, idKind, b, e, outKind,
                       static_cast<uint16_t *>(out));
      return;
    }
    switch (t.scheme.tableKind) {
    case FloatKind::F32:
      return gatherFP8<FloatKind::F32>(t, ids, idKind, b, e, outKind, out);
    case FloatKind::F16:
      return gatherFP8<FloatKind::F16>(t, ids, idKind, b, e, outKind, out);
    case FloatKind::BF16:
      return gatherFP8<FloatKind::BF16>(t, ids, idKind, b, e, outKind, out);
    }
  };
  // A thread per 2^16 output values at least.
  parallelRanges(tokens,
                 std::min<int64_t>({int64_t(resolveThreads(threads)), tokens,
                                    (tokens * t.cols) >> 16}),
                 run);
}

} // namespace qembed
