//===- Gather.cpp - Fused dequantizing gather on the CPU ------------------===//
//
// Implements gatherRows (see Gather.h) twice, specialized on the scale and
// output types so the conversions inline:
//
// * portable C++: per token, the row's codes are unpacked from a 64-bit bit
//   buffer, dequantized with the arithmetic of dequantizeElement and stored
//   in the output type;
// * x86-64 AVX2 + F16C (picked at run time when the CPU has them): 8 codes
//   are b bytes of the row for every bit width b, so one 8-byte load, a byte
//   shuffle, a variable shift and a mask give 8 codes in 32-bit lanes; the
//   scale is applied 8 values at a time in f32 and the roundings to f16
//   (vcvtps2ph, round to nearest even) and bf16 (integer ops) are those of
//   FloatBits.h, so the results are bit-identical to the portable path;
// * x86-64 AVX-512 (F, BW, VL): the same 16 codes at a time (2b bytes), for
//   tables whose groups are whole 16-code chunks (the others take AVX2).
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Gather.h"
#include "FloatBits.h"
#include "Parallel.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define QEMBED_GATHER_X86 1
#include <immintrin.h>
#endif

namespace qembed {

std::string checkGather(const PackedTableView &t) {
  if (std::string err = checkScheme(t.scheme, t.cols); !err.empty())
    return err;
  if (t.rows <= 0)
    return "the table must have at least one row (ids are clamped into it)";
  if (!t.words || !t.scales)
    return "the table has no packed words or no scales";
  if (t.scheme.symmetric && t.zeroPoints)
    return "a symmetric scheme takes no zero points";
  if (!t.scheme.symmetric && !t.zeroPoints)
    return "an asymmetric scheme needs zero points";
  return "";
}

namespace {
/// Element access specialized on the float kind, so that the hot loop
/// inlines the conversions (same rounding as roundTo / storeElement).
template <FloatKind K> struct Elem;
template <> struct Elem<FloatKind::F32> {
  static float load(const void *p, int64_t i) {
    return static_cast<const float *>(p)[i];
  }
  static float round(float x) { return x; }
  static void store(void *p, int64_t i, float x) {
    static_cast<float *>(p)[i] = x;
  }
};
template <> struct Elem<FloatKind::F16> {
  static float load(const void *p, int64_t i) {
    return detail::fromF16Bits(static_cast<const uint16_t *>(p)[i]);
  }
  static float round(float x) {
    return detail::fromF16Bits(detail::toF16Bits(x));
  }
  static void store(void *p, int64_t i, float x) {
    static_cast<uint16_t *>(p)[i] = detail::toF16Bits(x);
  }
};
template <> struct Elem<FloatKind::BF16> {
  static float load(const void *p, int64_t i) {
    return detail::fromBF16Bits(static_cast<const uint16_t *>(p)[i]);
  }
  static float round(float x) {
    return detail::fromBF16Bits(detail::toBF16Bits(x));
  }
  static void store(void *p, int64_t i, float x) {
    static_cast<uint16_t *>(p)[i] = detail::toBF16Bits(x);
  }
};
} // namespace

/// Dequantizes row `row` of the table into `out` (cols values of Out).
template <FloatKind Scale, FloatKind Out>
static void gatherRow(const PackedTableView &t, int64_t row, void *out,
                      float *codes) {
  const Scheme &s = t.scheme;
  const uint32_t *words = t.words + row * s.wordsPerRow(t.cols);
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  // Codes q = u - 2^(bits-1) as exact floats, read through a bit buffer.
  uint64_t buffer = 0;
  unsigned have = 0;
  const uint32_t *next = words;
  uint64_t mask = (uint64_t(1) << s.bits) - 1;
  float offset = float(1 << (s.bits - 1));
  for (int64_t c = 0; c < t.cols; ++c) {
    if (have < s.bits) {
      buffer |= uint64_t(*next++) << have;
      have += 32;
    }
    codes[c] = float(int32_t(buffer & mask)) - offset;
    buffer >>= s.bits;
    have -= s.bits;
  }
  for (int64_t g = 0; g < groups; ++g) {
    int64_t index = row * groups + g;
    float scale = Elem<Scale>::load(t.scales, index);
    float zp = s.symmetric ? 0.0f : float(t.zeroPoints[index]);
    for (int64_t c = g * gs, e = c + gs; c < e; ++c) {
      // dequantizeElement: (q - zp) * scale, rounded to the scale type.
      float v = Elem<Scale>::round((codes[c] - zp) * scale);
      Elem<Out>::store(out, c, v);
    }
  }
}

template <FloatKind Scale, FloatKind Out, typename Id>
static void gatherTokens(const PackedTableView &t, const Id *ids, int64_t begin,
                         int64_t end, char *out) {
  std::vector<float> codes(size_t(t.cols));
  int64_t rowBytes = t.cols * int64_t(byteWidth(Out));
  for (int64_t i = begin; i < end; ++i) {
    int64_t row = std::clamp<int64_t>(int64_t(ids[i]), 0, t.rows - 1);
    gatherRow<Scale, Out>(t, row, out + i * rowBytes, codes.data());
  }
}

//===----------------------------------------------------------------------===//
// AVX2 + F16C
//===----------------------------------------------------------------------===//

#ifdef QEMBED_GATHER_X86
#define QEMBED_AVX2 __attribute__((target("avx2,f16c,bmi2")))
#define QEMBED_AVX2_INLINE                                                     \
  __attribute__((target("avx2,f16c,bmi2"), always_inline)) inline

namespace {
/// The byte shuffle, shifts and mask that put the 8 codes of one 8-byte
/// load (chunk k of a row: b bytes at byte k*b, for b bits) into 32-bit
/// lanes. Code j starts at bit j*b; its at most 8 bits lie in bytes
/// j*b/8 and j*b/8 + 1.
struct Unpack8 {
  __m256i shuffle, shift, mask;
};
} // namespace

QEMBED_AVX2_INLINE static Unpack8 makeUnpack8(unsigned bits) {
  alignas(32) uint8_t shuffle[32];
  alignas(32) uint32_t shift[8];
  for (unsigned k = 0; k < 8; ++k)
    shift[k] = (k * bits) % 8; // the code's first bit within its first byte
  // pshufb works within 128-bit halves: lanes 0-3 in the low half, 4-7 in the
  // high half, both halves holding the same 8 bytes (a 64-bit broadcast).
  for (unsigned k = 0; k < 8; ++k) {
    unsigned byte = (k * bits) / 8;
    uint8_t *lane = shuffle + 16 * (k / 4) + 4 * (k % 4);
    lane[0] = uint8_t(byte);
    lane[1] = uint8_t(byte + 1); // may be byte 8 (wraps to 0): masked off
    lane[2] = 0x80;
    lane[3] = 0x80;
  }
  Unpack8 u;
  u.shuffle = _mm256_load_si256(reinterpret_cast<const __m256i *>(shuffle));
  u.shift = _mm256_load_si256(reinterpret_cast<const __m256i *>(shift));
  u.mask = _mm256_set1_epi32(int32_t((1u << bits) - 1));
  return u;
}

/// The 8 codes (offset binary, unsigned) packed in the low `8*bits` bits of
/// `v`, as exact floats.
QEMBED_AVX2_INLINE static __m256 unpack8(uint64_t v, const Unpack8 &u) {
  __m256i x = _mm256_set1_epi64x(int64_t(v));
  x = _mm256_shuffle_epi8(x, u.shuffle);
  x = _mm256_and_si256(_mm256_srlv_epi32(x, u.shift), u.mask);
  return _mm256_cvtepi32_ps(x);
}

/// 8 floats rounded to bf16 (FloatBits.h's toBF16Bits: nearest even, NaN
/// keeps its top bits and becomes quiet), as the bits of floats (low 16 zero).
QEMBED_AVX2_INLINE static __m256i roundBF16(__m256 x) {
  __m256i b = _mm256_castps_si256(x);
  __m256i lsb =
      _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  __m256i r =
      _mm256_add_epi32(b, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb));
  __m256i nan = _mm256_or_si256(b, _mm256_set1_epi32(0x00400000));
  __m256i isNan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  r = _mm256_blendv_epi8(r, nan, isNan);
  return _mm256_and_si256(r, _mm256_set1_epi32(int32_t(0xffff0000u)));
}

/// 8 values rounded to the scale type `K` (roundTo).
template <FloatKind K> QEMBED_AVX2_INLINE static __m256 roundVec(__m256 x) {
  if constexpr (K == FloatKind::F16)
    return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  else if constexpr (K == FloatKind::BF16)
    return _mm256_castsi256_ps(roundBF16(x));
  else
    return x;
}

/// Stores 8 values as `K` (storeElement) at `p`.
template <FloatKind K>
QEMBED_AVX2_INLINE static void storeVec(void *p, __m256 x) {
  if constexpr (K == FloatKind::F32) {
    _mm256_storeu_ps(static_cast<float *>(p), x);
  } else if constexpr (K == FloatKind::F16) {
    _mm_storeu_si128(static_cast<__m128i *>(p),
                     _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  } else {
    // The high halves of the 8 lanes, packed into 16 bytes.
    __m256i h = _mm256_srli_epi32(roundBF16(x), 16);
    __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(h),
                                      _mm256_extracti128_si256(h, 1));
    _mm_storeu_si128(static_cast<__m128i *>(p), packed);
  }
}

/// Stores 8 values computed in f32 as `Out` after rounding them to the scale
/// type `Scale` (roundTo, then storeElement); one conversion when the two
/// types are the same f16 type (rounding twice to it is rounding once).
template <FloatKind Scale, FloatKind Out>
QEMBED_AVX2_INLINE static void storeRounded(void *p, __m256 x) {
  if constexpr (Scale == FloatKind::F16 && Out == FloatKind::F16)
    _mm_storeu_si128(static_cast<__m128i *>(p),
                     _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  else if constexpr (Scale == FloatKind::BF16 && Out == FloatKind::BF16)
    storeVec<Out>(p, x);
  else
    storeVec<Out>(p, roundVec<Scale>(x));
}

/// gatherRow with the codes unpacked and dequantized 8 at a time. `codes`
/// holds cols + 8 floats (32-byte aligned).
template <FloatKind Scale, FloatKind Out>
QEMBED_AVX2 static void gatherRowAVX2(const PackedTableView &t, int64_t row,
                                      void *outRow, float *codes,
                                      const Unpack8 &u) {
  const Scheme &s = t.scheme;
  const unsigned bits = s.bits;
  int64_t wordsPerRow = s.wordsPerRow(t.cols);
  const uint32_t *words = t.words + row * wordsPerRow;
  const uint8_t *bytes = reinterpret_cast<const uint8_t *>(words);
  int64_t rowBytes = wordsPerRow * 4;
  int64_t chunks = t.cols / 8;
  // Chunks whose 8-byte load stays inside the row (the last row of the table
  // must not be read past); the others are copied byte by byte.
  int64_t direct =
      rowBytes >= 8 ? std::min(chunks, (rowBytes - 8) / bits + 1) : 0;
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  float offset = float(1 << (bits - 1));
  char *out = static_cast<char *>(outRow);
  constexpr int64_t outWidth = Out == FloatKind::F32 ? 4 : 2;

  if (gs % 8 == 0) {
    // Fused: every group is whole chunks.
    int64_t chunk = 0;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t index = row * groups + g;
      float scale = Elem<Scale>::load(t.scales, index);
      // (q - zp) = u - (offset + zp), exactly: small integers.
      float bias = offset + (s.symmetric ? 0.0f : float(t.zeroPoints[index]));
      __m256 vScale = _mm256_set1_ps(scale), vBias = _mm256_set1_ps(bias);
      for (int64_t e = chunk + gs / 8; chunk < e; ++chunk) {
        uint64_t v = 0;
        if (chunk < direct)
          std::memcpy(&v, bytes + chunk * bits, 8);
        else
          std::memcpy(&v, bytes + chunk * bits,
                      size_t(std::min<int64_t>(8, rowBytes - chunk * bits)));
        __m256 x = _mm256_mul_ps(_mm256_sub_ps(unpack8(v, u), vBias), vScale);
        storeRounded<Scale, Out>(out + chunk * 8 * outWidth, x);
      }
    }
    return;
  }

  // Groups that are not whole chunks: unpack the row, then scale by group.
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    uint64_t v = 0;
    if (chunk < direct)
      std::memcpy(&v, bytes + chunk * bits, 8);
    else
      std::memcpy(&v, bytes + chunk * bits,
                  size_t(std::min<int64_t>(8, rowBytes - chunk * bits)));
    _mm256_store_ps(codes + chunk * 8, unpack8(v, u));
  }
  for (int64_t c = chunks * 8; c < t.cols; ++c)
    codes[c] = float(unpackCode(words, c, bits)) + offset;
  for (int64_t g = 0; g < groups; ++g) {
    int64_t index = row * groups + g;
    float scale = Elem<Scale>::load(t.scales, index);
    float bias = offset + (s.symmetric ? 0.0f : float(t.zeroPoints[index]));
    __m256 vScale = _mm256_set1_ps(scale), vBias = _mm256_set1_ps(bias);
    int64_t c = g * gs, e = c + gs;
    for (; c + 8 <= e; c += 8) {
      __m256 x = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(codes + c), vBias),
                               vScale);
      storeRounded<Scale, Out>(out + c * outWidth, x);
    }
    for (; c < e; ++c)
      Elem<Out>::store(out, c, Elem<Scale>::round((codes[c] - bias) * scale));
  }
}

/// Asks for row `row`'s words, scales and zero points (the rows are random:
/// the next token's are requested while this one is computed, so that its
/// first cache lines are not a memory stall).
template <FloatKind Scale>
QEMBED_AVX2_INLINE static void prefetchRow(const PackedTableView &t,
                                           int64_t row) {
  int64_t wordBytes = t.scheme.wordsPerRow(t.cols) * 4;
  int64_t groups = t.scheme.groupsPerRow(t.cols);
  int64_t scaleBytes = groups * int64_t(byteWidth(Scale));
  const char *w = reinterpret_cast<const char *>(t.words) + row * wordBytes;
  for (int64_t b = 0; b < wordBytes; b += 64)
    _mm_prefetch(w + b, _MM_HINT_T0);
  const char *sc = static_cast<const char *>(t.scales) + row * scaleBytes;
  for (int64_t b = 0; b < scaleBytes; b += 64)
    _mm_prefetch(sc + b, _MM_HINT_T0);
  if (t.zeroPoints)
    for (int64_t b = 0; b < groups; b += 64)
      _mm_prefetch(reinterpret_cast<const char *>(t.zeroPoints) + row * groups +
                       b,
                   _MM_HINT_T0);
}

template <FloatKind Scale, FloatKind Out, typename Id>
QEMBED_AVX2 static void gatherTokensAVX2(const PackedTableView &t,
                                         const Id *ids, int64_t begin,
                                         int64_t end, char *out) {
  std::vector<float> storage(size_t(t.cols) + 16);
  float *codes = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(storage.data()) + 31) & ~uintptr_t(31));
  Unpack8 u = makeUnpack8(t.scheme.bits);
  int64_t rowBytes = t.cols * int64_t(byteWidth(Out));
  auto rowOf = [&](int64_t i) {
    return std::clamp<int64_t>(int64_t(ids[i]), 0, t.rows - 1);
  };
  int64_t row = begin < end ? rowOf(begin) : 0;
  for (int64_t i = begin; i < end; ++i) {
    int64_t next = i + 1 < end ? rowOf(i + 1) : row;
    prefetchRow<Scale>(t, next);
    gatherRowAVX2<Scale, Out>(t, row, out + i * rowBytes, codes, u);
    row = next;
  }
}

//===----------------------------------------------------------------------===//
// AVX-512 (F, BW, VL): rows whose groups are whole 16-code chunks
//===----------------------------------------------------------------------===//

#define QEMBED_AVX512_TARGET "avx512f,avx512bw,avx512vl,avx2,f16c,bmi2"
#define QEMBED_AVX512 __attribute__((target(QEMBED_AVX512_TARGET)))
#define QEMBED_AVX512_INLINE                                                   \
  __attribute__((target(QEMBED_AVX512_TARGET), always_inline)) inline

namespace {
/// Unpack8 for 16 codes (2b bytes, broadcast to the four 128-bit lanes; lane
/// L holds codes 4L..4L+3).
struct Unpack16 {
  __m512i shuffle, shift, mask;
};
} // namespace

QEMBED_AVX512_INLINE static Unpack16 makeUnpack16(unsigned bits) {
  alignas(64) uint8_t shuffle[64];
  alignas(64) uint32_t shift[16];
  for (unsigned k = 0; k < 16; ++k) {
    unsigned byte = (k * bits) / 8;
    uint8_t *lane = shuffle + 4 * k;
    lane[0] = uint8_t(byte);
    lane[1] = uint8_t((byte + 1) & 15); // byte 16 only when masked off
    lane[2] = 0x80;
    lane[3] = 0x80;
    shift[k] = (k * bits) % 8;
  }
  Unpack16 u;
  u.shuffle = _mm512_load_si512(shuffle);
  u.shift = _mm512_load_si512(shift);
  u.mask = _mm512_set1_epi32(int32_t((1u << bits) - 1));
  return u;
}

/// The 16 codes (offset binary) in the low `16*bits` bits of `v`, as floats.
QEMBED_AVX512_INLINE static __m512 unpack16(__m128i v, const Unpack16 &u) {
  __m512i x = _mm512_broadcast_i32x4(v);
  x = _mm512_shuffle_epi8(x, u.shuffle);
  x = _mm512_and_si512(_mm512_srlv_epi32(x, u.shift), u.mask);
  return _mm512_cvtepi32_ps(x);
}

/// roundBF16 for 16 values.
QEMBED_AVX512_INLINE static __m512i roundBF16x16(__m512 x) {
  __m512i b = _mm512_castps_si512(x);
  __m512i lsb =
      _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  __m512i r =
      _mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb));
  __m512i nan = _mm512_or_si512(b, _mm512_set1_epi32(0x00400000));
  __mmask16 isNan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  r = _mm512_mask_blend_epi32(isNan, r, nan);
  return _mm512_and_si512(r, _mm512_set1_epi32(int32_t(0xffff0000u)));
}

/// storeRounded for 16 values.
template <FloatKind Scale, FloatKind Out>
QEMBED_AVX512_INLINE static void storeRounded16(void *p, __m512 x) {
  if constexpr (Scale == FloatKind::F16)
    x = _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  else if constexpr (Scale == FloatKind::BF16 && Out != FloatKind::BF16)
    x = _mm512_castsi512_ps(roundBF16x16(x));
  // Rounding to f16 (bf16) again when Out is f16 (bf16) changes nothing.
  if constexpr (Out == FloatKind::F32)
    _mm512_storeu_ps(p, x);
  else if constexpr (Out == FloatKind::F16)
    _mm256_storeu_si256(static_cast<__m256i *>(p),
                        _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  else
    _mm256_storeu_si256(
        static_cast<__m256i *>(p),
        _mm512_cvtepi32_epi16(_mm512_srli_epi32(roundBF16x16(x), 16)));
}

/// gatherRowAVX2 16 codes at a time, for groups of whole 16-code chunks.
template <FloatKind Scale, FloatKind Out>
QEMBED_AVX512 static void gatherRowAVX512(const PackedTableView &t, int64_t row,
                                          void *outRow, const Unpack16 &u) {
  const Scheme &s = t.scheme;
  const unsigned bits = s.bits;
  int64_t wordsPerRow = s.wordsPerRow(t.cols);
  const uint8_t *bytes =
      reinterpret_cast<const uint8_t *>(t.words + row * wordsPerRow);
  int64_t rowBytes = wordsPerRow * 4;
  int64_t chunkBytes = 2 * bits;
  // Chunks whose 16-byte load stays inside the row.
  int64_t chunks = t.cols / 16;
  int64_t direct =
      rowBytes >= 16 ? std::min(chunks, (rowBytes - 16) / chunkBytes + 1) : 0;
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  float offset = float(1 << (bits - 1));
  char *out = static_cast<char *>(outRow);
  constexpr int64_t outWidth = Out == FloatKind::F32 ? 4 : 2;
  int64_t chunk = 0;
  for (int64_t g = 0; g < groups; ++g) {
    int64_t index = row * groups + g;
    float scale = Elem<Scale>::load(t.scales, index);
    float bias = offset + (s.symmetric ? 0.0f : float(t.zeroPoints[index]));
    __m512 vScale = _mm512_set1_ps(scale), vBias = _mm512_set1_ps(bias);
    for (int64_t e = chunk + gs / 16; chunk < e; ++chunk) {
      __m128i v;
      if (chunk < direct) {
        v = _mm_loadu_si128(
            reinterpret_cast<const __m128i *>(bytes + chunk * chunkBytes));
      } else {
        alignas(16) uint8_t tail[16] = {};
        std::memcpy(
            tail, bytes + chunk * chunkBytes,
            size_t(std::min<int64_t>(16, rowBytes - chunk * chunkBytes)));
        v = _mm_load_si128(reinterpret_cast<const __m128i *>(tail));
      }
      __m512 x = _mm512_mul_ps(_mm512_sub_ps(unpack16(v, u), vBias), vScale);
      storeRounded16<Scale, Out>(out + chunk * 16 * outWidth, x);
    }
  }
}

template <FloatKind Scale, FloatKind Out, typename Id>
QEMBED_AVX512 static void gatherTokensAVX512(const PackedTableView &t,
                                             const Id *ids, int64_t begin,
                                             int64_t end, char *out) {
  if (t.scheme.columnsPerGroup(t.cols) % 16 != 0)
    return gatherTokensAVX2<Scale, Out>(t, ids, begin, end, out);
  Unpack16 u = makeUnpack16(t.scheme.bits);
  int64_t rowBytes = t.cols * int64_t(byteWidth(Out));
  auto rowOf = [&](int64_t i) {
    return std::clamp<int64_t>(int64_t(ids[i]), 0, t.rows - 1);
  };
  int64_t row = begin < end ? rowOf(begin) : 0;
  for (int64_t i = begin; i < end; ++i) {
    int64_t next = i + 1 < end ? rowOf(i + 1) : row;
    prefetchRow<Scale>(t, next);
    gatherRowAVX512<Scale, Out>(t, row, out + i * rowBytes, u);
    row = next;
  }
}
#endif // QEMBED_GATHER_X86

template <FloatKind Scale, FloatKind Out, typename Id>
static void gatherTokens(GatherImpl impl, const PackedTableView &t,
                         const Id *ids, int64_t begin, int64_t end, char *out) {
#ifdef QEMBED_GATHER_X86
  if (impl == GatherImpl::AVX2)
    return gatherTokensAVX2<Scale, Out>(t, ids, begin, end, out);
  if (impl == GatherImpl::AVX512)
    return gatherTokensAVX512<Scale, Out>(t, ids, begin, end, out);
#endif
  gatherTokens<Scale, Out>(t, ids, begin, end, out);
}

template <FloatKind Scale, FloatKind Out>
static void gatherRange(GatherImpl impl, const PackedTableView &t,
                        const void *ids, IndexKind idKind, int64_t begin,
                        int64_t end, char *out) {
  if (idKind == IndexKind::I32)
    gatherTokens<Scale, Out>(impl, t, static_cast<const int32_t *>(ids), begin,
                             end, out);
  else
    gatherTokens<Scale, Out>(impl, t, static_cast<const int64_t *>(ids), begin,
                             end, out);
}

template <FloatKind Scale>
static void gatherRange(GatherImpl impl, const PackedTableView &t,
                        const void *ids, IndexKind idKind, FloatKind outKind,
                        int64_t begin, int64_t end, char *out) {
  switch (outKind) {
  case FloatKind::F32:
    return gatherRange<Scale, FloatKind::F32>(impl, t, ids, idKind, begin, end,
                                              out);
  case FloatKind::F16:
    return gatherRange<Scale, FloatKind::F16>(impl, t, ids, idKind, begin, end,
                                              out);
  case FloatKind::BF16:
    return gatherRange<Scale, FloatKind::BF16>(impl, t, ids, idKind, begin, end,
                                               out);
  }
}

bool gatherImplSupported(GatherImpl impl) {
  switch (impl) {
  case GatherImpl::Auto:
  case GatherImpl::Portable:
    return true;
  case GatherImpl::AVX2:
#ifdef QEMBED_GATHER_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") &&
           __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
  case GatherImpl::AVX512:
#ifdef QEMBED_GATHER_X86
    return gatherImplSupported(GatherImpl::AVX2) &&
           __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return false;
#endif
  }
  return false;
}

GatherImpl bestGatherImpl() {
  static const GatherImpl best =
      gatherImplSupported(GatherImpl::AVX512) ? GatherImpl::AVX512
      : gatherImplSupported(GatherImpl::AVX2) ? GatherImpl::AVX2
                                              : GatherImpl::Portable;
  return best;
}

void gatherRows(const PackedTableView &t, const void *ids, IndexKind idKind,
                int64_t tokens, FloatKind outKind, void *out, unsigned threads,
                GatherImpl impl) {
  if (impl == GatherImpl::Auto || !gatherImplSupported(impl))
    impl = bestGatherImpl();
  auto run = [&](int64_t begin, int64_t end) {
    char *o = static_cast<char *>(out);
    switch (t.scheme.scaleKind) {
    case FloatKind::F32:
      return gatherRange<FloatKind::F32>(impl, t, ids, idKind, outKind, begin,
                                         end, o);
    case FloatKind::F16:
      return gatherRange<FloatKind::F16>(impl, t, ids, idKind, outKind, begin,
                                         end, o);
    case FloatKind::BF16:
      return gatherRange<FloatKind::BF16>(impl, t, ids, idKind, outKind, begin,
                                          end, o);
    }
  };
  // A thread per 2^16 output values at least (2^20 for AVX2/512, which write
  // them ~30x faster): below that, starting a thread (tens of microseconds)
  // costs more than it saves.
  int64_t work = tokens * t.cols;
  int perThreadLog2 = impl == GatherImpl::Portable ? 16 : 20;
  detail::parallelRanges(
      tokens,
      std::min<int64_t>({int64_t(detail::resolveThreads(threads)), tokens,
                         work >> perThreadLog2}),
      run);
}

} // namespace qembed
