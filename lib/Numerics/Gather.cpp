//===- Gather.cpp - Fused dequantizing gather on the CPU ------------------===//
//
// Implements gatherRows (see Gather.h): per token, the row's codes are
// unpacked from a 64-bit bit buffer, dequantized with the arithmetic of
// dequantizeElement and stored in the output type. The loops are
// specialized on the scale and output types so the conversions inline.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Gather.h"
#include "FloatBits.h"

#include <algorithm>
#include <thread>
#include <vector>

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

template <FloatKind Scale, FloatKind Out>
static void gatherRange(const PackedTableView &t, const void *ids,
                        IndexKind idKind, int64_t begin, int64_t end,
                        char *out) {
  if (idKind == IndexKind::I32)
    gatherTokens<Scale, Out>(t, static_cast<const int32_t *>(ids), begin, end,
                             out);
  else
    gatherTokens<Scale, Out>(t, static_cast<const int64_t *>(ids), begin, end,
                             out);
}

template <FloatKind Scale>
static void gatherRange(const PackedTableView &t, const void *ids,
                        IndexKind idKind, FloatKind outKind, int64_t begin,
                        int64_t end, char *out) {
  switch (outKind) {
  case FloatKind::F32:
    return gatherRange<Scale, FloatKind::F32>(t, ids, idKind, begin, end, out);
  case FloatKind::F16:
    return gatherRange<Scale, FloatKind::F16>(t, ids, idKind, begin, end, out);
  case FloatKind::BF16:
    return gatherRange<Scale, FloatKind::BF16>(t, ids, idKind, begin, end, out);
  }
}

void gatherRows(const PackedTableView &t, const void *ids, IndexKind idKind,
                int64_t tokens, FloatKind outKind, void *out,
                unsigned threads) {
  auto run = [&](int64_t begin, int64_t end) {
    char *o = static_cast<char *>(out);
    switch (t.scheme.scaleKind) {
    case FloatKind::F32:
      return gatherRange<FloatKind::F32>(t, ids, idKind, outKind, begin, end,
                                         o);
    case FloatKind::F16:
      return gatherRange<FloatKind::F16>(t, ids, idKind, outKind, begin, end,
                                         o);
    case FloatKind::BF16:
      return gatherRange<FloatKind::BF16>(t, ids, idKind, outKind, begin, end,
                                          o);
    }
  };
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  // A thread per 2^16 output values at least: below that, starting threads
  // costs more than it saves.
  int64_t work = tokens * t.cols;
  int64_t n = std::min<int64_t>({int64_t(threads), tokens, work >> 16});
  if (n <= 1) {
    run(0, tokens);
    return;
  }
  std::vector<std::thread> pool;
  int64_t chunk = (tokens + n - 1) / n;
  for (int64_t b = 0; b < tokens; b += chunk)
    pool.emplace_back(run, b, std::min(tokens, b + chunk));
  for (auto &th : pool)
    th.join();
}

} // namespace qembed
