//===- Gather.cpp - Fused dequantizing gather on the CPU ------------------===//
//
// Implements gatherRows (see Gather.h): per token, the row's codes are
// unpacked from a 64-bit bit buffer, dequantized with the arithmetic of
// dequantizeElement and stored in the output type.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Gather.h"

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

/// Dequantizes row `row` of the table into `out` (cols values of outKind).
static void gatherRow(const PackedTableView &t, int64_t row, FloatKind outKind,
                      void *out, std::vector<float> &codes) {
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
    codes[size_t(c)] = float(int32_t(buffer & mask)) - offset;
    buffer >>= s.bits;
    have -= s.bits;
  }
  for (int64_t g = 0; g < groups; ++g) {
    int64_t index = row * groups + g;
    float scale = loadElement(s.scaleKind, t.scales, index);
    float zp = s.symmetric ? 0.0f : float(t.zeroPoints[index]);
    for (int64_t c = g * gs, e = c + gs; c < e; ++c) {
      // dequantizeElement: (q - zp) * scale, rounded to the scale type.
      float v = roundTo(s.scaleKind, (codes[size_t(c)] - zp) * scale);
      storeElement(outKind, out, c, v);
    }
  }
}

template <typename Id>
static void gatherTokens(const PackedTableView &t, const Id *ids, int64_t begin,
                         int64_t end, FloatKind outKind, char *out) {
  std::vector<float> codes(size_t(t.cols));
  int64_t rowBytes = t.cols * int64_t(byteWidth(outKind));
  for (int64_t i = begin; i < end; ++i) {
    int64_t row = std::clamp<int64_t>(int64_t(ids[i]), 0, t.rows - 1);
    gatherRow(t, row, outKind, out + i * rowBytes, codes);
  }
}

void gatherRows(const PackedTableView &t, const void *ids, IndexKind idKind,
                int64_t tokens, FloatKind outKind, void *out,
                unsigned threads) {
  auto run = [&](int64_t begin, int64_t end) {
    char *o = static_cast<char *>(out);
    if (idKind == IndexKind::I32)
      gatherTokens(t, static_cast<const int32_t *>(ids), begin, end, outKind,
                   o);
    else
      gatherTokens(t, static_cast<const int64_t *>(ids), begin, end, outKind,
                   o);
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
