//===- Bags.cpp - Fused gather + bag reduction on the CPU -----------------===//
//
// gatherBags dequantizes each bag's rows with gatherRows (bit-identical to
// dequantizeElement rounded to the output type) into a small scratch buffer
// and accumulates them in f32; see Bags.h for the exact arithmetic.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Bags.h"

#include "FloatBits.h"

#include <algorithm>
#include <vector>

using namespace qembed;

static int64_t loadIndex(const void *base, IndexKind kind, int64_t i) {
  if (kind == IndexKind::I32)
    return static_cast<const int32_t *>(base)[i];
  return static_cast<const int64_t *>(base)[i];
}

void qembed::bagBounds(const void *offsets, IndexKind offsetKind,
                       int64_t numBags, int64_t numIds, int64_t bag,
                       int64_t &begin, int64_t &end) {
  auto clampPos = [&](int64_t p) {
    return std::min<int64_t>(std::max<int64_t>(p, 0), numIds);
  };
  begin = clampPos(loadIndex(offsets, offsetKind, bag));
  end = bag + 1 < numBags ? clampPos(loadIndex(offsets, offsetKind, bag + 1))
                          : numIds;
  if (end < begin)
    end = begin;
}

/// Adds `n` rows of `cols` values of `kind` at `rows` to `acc`, row after
/// row (the order the bag's ids come in); typed loops the compiler
/// vectorizes over the columns.
static void accumulateRows(float *acc, const char *rows, FloatKind kind,
                           int64_t n, int64_t cols) {
  for (int64_t r = 0; r < n; ++r) {
    if (kind == FloatKind::F32) {
      const float *row = reinterpret_cast<const float *>(rows) + r * cols;
      for (int64_t c = 0; c < cols; ++c)
        acc[c] += row[c];
      continue;
    }
    const uint16_t *row = reinterpret_cast<const uint16_t *>(rows) + r * cols;
    if (kind == FloatKind::F16) {
      for (int64_t c = 0; c < cols; ++c)
        acc[c] += detail::fromF16Bits(row[c]);
    } else {
      for (int64_t c = 0; c < cols; ++c)
        acc[c] += detail::fromBF16Bits(row[c]);
    }
  }
}

/// Rounds the f32 sums of one bag to `kind` (and divides for mean) into row
/// `bag` of `out`.
static void storeBag(const std::vector<float> &acc, int64_t count, BagMode mode,
                     FloatKind kind, void *out, int64_t bag) {
  int64_t cols = int64_t(acc.size());
  for (int64_t c = 0; c < cols; ++c) {
    float sum = roundTo(kind, acc[c]);
    if (mode == BagMode::Mean && count > 0)
      sum = roundTo(kind, sum / float(count));
    storeElement(kind, out, bag * cols + c, sum);
  }
}

void qembed::gatherBags(const PackedTableView &table, const void *ids,
                        IndexKind idKind, int64_t numIds, const void *offsets,
                        IndexKind offsetKind, int64_t numBags, BagMode mode,
                        FloatKind outKind, void *out) {
  const int64_t cols = table.cols;
  // Rows are dequantized a chunk at a time into `scratch` (outKind values).
  const int64_t chunk = std::max<int64_t>(
      1, std::min<int64_t>(64, 16384 / std::max<int64_t>(cols, 1)));
  std::vector<char> scratch(size_t(chunk * cols) * byteWidth(outKind));
  std::vector<float> acc(static_cast<size_t>(cols));
  size_t idBytes = idKind == IndexKind::I32 ? 4 : 8;
  for (int64_t b = 0; b < numBags; ++b) {
    int64_t begin, end;
    bagBounds(offsets, offsetKind, numBags, numIds, b, begin, end);
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t i = begin; i < end; i += chunk) {
      int64_t n = std::min(chunk, end - i);
      gatherRows(table, static_cast<const char *>(ids) + i * idBytes, idKind, n,
                 outKind, scratch.data(), /*threads=*/1);
      accumulateRows(acc.data(), scratch.data(), outKind, n, cols);
    }
    storeBag(acc, end - begin, mode, outKind, out, b);
  }
}

void qembed::lookupBags(const void *table, FloatKind tableKind, int64_t rows,
                        int64_t cols, const void *ids, IndexKind idKind,
                        int64_t numIds, const void *offsets,
                        IndexKind offsetKind, int64_t numBags, BagMode mode,
                        void *out) {
  std::vector<float> acc(static_cast<size_t>(cols));
  for (int64_t b = 0; b < numBags; ++b) {
    int64_t begin, end;
    bagBounds(offsets, offsetKind, numBags, numIds, b, begin, end);
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t i = begin; i < end; ++i) {
      int64_t row = std::min<int64_t>(
          std::max<int64_t>(loadIndex(ids, idKind, i), 0), rows - 1);
      for (int64_t c = 0; c < cols; ++c)
        acc[c] += loadElement(tableKind, table, row * cols + c);
    }
    storeBag(acc, end - begin, mode, tableKind, out, b);
  }
}
