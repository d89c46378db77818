//===- Quantizer.cpp - Data-free embedding-table quantizer ----------------===//
//
// Implements the compressed-tensors INT quantization rules (see Quantizer.h).
// Every operation that torch performs on a tensor of dtype T is emulated as
// "compute in fp32, round to T", which is what torch's CPU kernels do for
// f16/bf16 and is exact for f32.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Quantizer.h"
#include "FloatBits.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

namespace qembed {

//===----------------------------------------------------------------------===//
// Float formats
//===----------------------------------------------------------------------===//

using namespace detail;

unsigned byteWidth(FloatKind kind) { return kind == FloatKind::F32 ? 4 : 2; }

const char *kindName(FloatKind kind) {
  switch (kind) {
  case FloatKind::F32:
    return "f32";
  case FloatKind::F16:
    return "f16";
  case FloatKind::BF16:
    return "bf16";
  }
  return "?";
}

float epsilon(FloatKind kind) {
  switch (kind) {
  case FloatKind::F32:
    return std::ldexp(1.0f, -23);
  case FloatKind::F16:
    return std::ldexp(1.0f, -10);
  case FloatKind::BF16:
    return std::ldexp(1.0f, -7);
  }
  return 0;
}

float roundTo(FloatKind kind, float x) {
  switch (kind) {
  case FloatKind::F32:
    return x;
  case FloatKind::F16:
    return fromF16Bits(toF16Bits(x));
  case FloatKind::BF16:
    return fromBF16Bits(toBF16Bits(x));
  }
  return x;
}

float loadElement(FloatKind kind, const void *base, int64_t i) {
  const char *p = static_cast<const char *>(base);
  if (kind == FloatKind::F32) {
    float x;
    std::memcpy(&x, p + 4 * i, 4);
    return x;
  }
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  return kind == FloatKind::F16 ? fromF16Bits(h) : fromBF16Bits(h);
}

void storeElement(FloatKind kind, void *base, int64_t i, float x) {
  char *p = static_cast<char *>(base);
  if (kind == FloatKind::F32) {
    std::memcpy(p + 4 * i, &x, 4);
    return;
  }
  uint16_t h = kind == FloatKind::F16 ? toF16Bits(x) : toBF16Bits(x);
  std::memcpy(p + 2 * i, &h, 2);
}

//===----------------------------------------------------------------------===//
// Scheme checks
//===----------------------------------------------------------------------===//

std::string checkScheme(const Scheme &scheme, int64_t cols) {
  if (scheme.bits < 2 || scheme.bits > 8)
    return "bits must be in [2, 8], got " + std::to_string(scheme.bits);
  if (scheme.groupSize < 0)
    return "group size must be >= 0 (0 = per row), got " +
           std::to_string(scheme.groupSize);
  if (cols <= 0)
    return "table must have at least one column";
  if (scheme.groupSize != 0 && cols % scheme.groupSize != 0)
    return "group size " + std::to_string(scheme.groupSize) +
           " does not divide the row length " + std::to_string(cols);
  return "";
}

//===----------------------------------------------------------------------===//
// Quantization of one group
//===----------------------------------------------------------------------===//

namespace {
/// Scale and zero point of one group, plus the dtype the division runs in.
struct GroupParams {
  float scale;     // exact in the scale kind
  float zp;        // integer-valued
  FloatKind arith; // torch's promotion of (table dtype, scale dtype)
};
} // namespace

/// compressed-tensors `calculate_qparams` for a group whose minimum and
/// maximum (already forced around 0) are `lo` and `hi`. The scale is not
/// finite when it overflows the table's or the scale's type; the zero point
/// is then qmin, so every later cast stays defined.
static GroupParams paramsFromRange(float lo, float hi, FloatKind tk,
                                   const Scheme &s) {
  float qmin = float(s.qmin()), qmax = float(s.qmax());
  float bitRange = qmax - qmin;
  float scale, zp = 0;
  if (s.symmetric) {
    float amax = std::max(std::fabs(lo), std::fabs(hi));
    scale = roundTo(tk, amax / (bitRange / 2));
  } else {
    scale = roundTo(tk, roundTo(tk, hi - lo) / bitRange);
    if (scale == 0 || !std::isfinite(scale)) {
      // The library computes qmin - 0/0 = NaN here and casts it to int8;
      // qmin is the limit of its formula and dequantizes the group to 0.
      // An infinite scale (max - min overflowed; checkTable refuses such
      // tables) takes the same path, keeping the int8 cast defined.
      zp = qmin;
    } else {
      zp = roundTo(tk, qmin - roundTo(tk, lo / scale));
      zp = std::nearbyint(std::min(std::max(zp, qmin), qmax));
    }
  }
  if (s.scaleKind != tk)
    scale = roundTo(s.scaleKind, scale);
  if (scale == 0)
    scale = epsilon(s.scaleKind);
  FloatKind arith = s.scaleKind == tk ? tk : FloatKind::F32;
  return {scale, zp, arith};
}

/// Minimum (forced <= 0) and maximum (forced >= 0) of `n` table elements.
static std::pair<float, float> groupRange(const TableView &t, int64_t base,
                                          int64_t n) {
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < n; ++i) {
    float x = loadElement(t.kind, t.data, base + i);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  return {lo, hi};
}

/// compressed-tensors `calculate_qparams` for one group of `n` values.
static GroupParams computeParams(const TableView &t, int64_t base, int64_t n,
                                 const Scheme &s) {
  auto [lo, hi] = groupRange(t, base, n);
  return paramsFromRange(lo, hi, t.kind, s);
}

/// compressed-tensors `_quantize` of one value: divide, add zp, clamp, round.
static int32_t quantizeValue(float x, const GroupParams &p, const Scheme &s) {
  float v = roundTo(p.arith, x / p.scale);
  if (!s.symmetric)
    v = roundTo(p.arith, v + p.zp);
  // checkTable rejects tables that get here with NaN; should a caller skip
  // it, NaN becomes code 0 rather than an undefined float-to-int cast.
  if (std::isnan(v))
    v = 0;
  v = std::min(std::max(v, float(s.qmin())), float(s.qmax()));
  return int32_t(std::nearbyint(v)); // ties to even in the default FP mode
}

static float dequantizeValue(int32_t q, float scale, float zp,
                             FloatKind scaleKind) {
  return roundTo(scaleKind, (float(q) - zp) * scale);
}

//===----------------------------------------------------------------------===//
// Table checks
//===----------------------------------------------------------------------===//

static std::string formatFloat(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", x);
  return buf;
}

std::string TableProblem::message() const {
  std::string at =
      "row " + std::to_string(row) + ", column " + std::to_string(col);
  if (kind == Kind::NonFinite) {
    const char *what = std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    return std::string("element at ") + at + " is " + what +
           "; tables with NaN or Inf are not quantized";
  }
  return "the scale of row " + std::to_string(row) +
         " (group starting at "
         "column " +
         std::to_string(col) + ") is " + formatFloat(value) +
         ", which overflows the scale type " + kindName(scaleKind);
}

std::optional<TableProblem> checkTable(const TableView &t, const Scheme &s,
                                       unsigned threads) {
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  // Each chunk of rows records its first non-finite element and its first
  // overflowing scale; chunks are in row order, so the first chunk that
  // found one has the table's first.
  struct Found {
    std::optional<TableProblem> nonFinite, overflow;
  };
  std::mutex mu;
  std::vector<std::pair<int64_t, Found>> byChunk;
  parallelFor(t.rows, threads, 64, [&](int64_t r0, int64_t r1) {
    Found f;
    for (int64_t r = r0; r < r1 && !f.nonFinite; ++r)
      for (int64_t g = 0; g < groups && !f.nonFinite; ++g) {
        int64_t base = r * t.cols + g * gs;
        float lo = 0, hi = 0;
        for (int64_t i = 0; i < gs; ++i) {
          float x = loadElement(t.kind, t.data, base + i);
          if (!std::isfinite(x)) {
            f.nonFinite = TableProblem{TableProblem::Kind::NonFinite, r,
                                       g * gs + i, x, s.scaleKind};
            break;
          }
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
        if (f.nonFinite || f.overflow)
          continue;
        GroupParams p = paramsFromRange(lo, hi, t.kind, s);
        if (!std::isfinite(p.scale)) {
          // The scale before rounding to the scale type, for the message.
          float amax = std::max(std::fabs(lo), std::fabs(hi));
          double raw = s.symmetric
                           ? double(amax) / ((s.qmax() - s.qmin()) / 2.0)
                           : (double(hi) - double(lo)) / (s.qmax() - s.qmin());
          f.overflow = TableProblem{TableProblem::Kind::ScaleOverflow, r,
                                    g * gs, raw, s.scaleKind};
        }
      }
    std::lock_guard<std::mutex> lock(mu);
    byChunk.emplace_back(r0, std::move(f));
  });
  std::sort(byChunk.begin(), byChunk.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (auto &[r0, f] : byChunk)
    if (f.nonFinite)
      return f.nonFinite;
  for (auto &[r0, f] : byChunk)
    if (f.overflow)
      return f.overflow;
  return std::nullopt;
}

void quantizeCodes(const TableView &t, const Scheme &s, int8_t *codes,
                   float *scales, int8_t *zeroPoints, unsigned threads) {
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  parallelFor(t.rows, threads, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t g = 0; g < groups; ++g) {
        int64_t base = r * t.cols + g * gs;
        GroupParams p = computeParams(t, base, gs, s);
        scales[r * groups + g] = p.scale;
        if (!s.symmetric && zeroPoints)
          zeroPoints[r * groups + g] = int8_t(p.zp);
        for (int64_t i = 0; i < gs; ++i)
          codes[base + i] = int8_t(
              quantizeValue(loadElement(t.kind, t.data, base + i), p, s));
      }
  });
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// ORs code `q` (offset-binary) into a row's bit stream at element `col`.
static void packInto(uint32_t *row, int64_t col, int32_t q, unsigned bits) {
  uint32_t u = uint32_t(q + (1 << (bits - 1))) & ((1u << bits) - 1);
  int64_t bit = col * bits;
  int64_t w = bit / 32;
  unsigned off = unsigned(bit % 32);
  row[w] |= u << off;
  if (off + bits > 32)
    row[w + 1] |= u >> (32 - off);
}

void packCodes(const int8_t *codes, int64_t rows, int64_t cols, unsigned bits,
               uint32_t *words) {
  int64_t wpr = (cols * bits + 31) / 32;
  std::fill(words, words + rows * wpr, 0u);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      packInto(words + r * wpr, c, codes[r * cols + c], bits);
}

int32_t unpackCode(const uint32_t *row, int64_t col, unsigned bits) {
  int64_t bit = col * bits;
  int64_t w = bit / 32;
  unsigned off = unsigned(bit % 32);
  uint64_t v = row[w] >> off;
  if (off + bits > 32)
    v |= uint64_t(row[w + 1]) << (32 - off);
  int32_t u = int32_t(v & ((1u << bits) - 1));
  return u - (1 << (bits - 1));
}

//===----------------------------------------------------------------------===//
// Fused quantize + pack, dequantization
//===----------------------------------------------------------------------===//

namespace {
/// Loads and roundings specialized on a float kind, so the per-group loops
/// below inline them and vectorize (same values as loadElement / roundTo).
template <FloatKind K> struct Kind;
template <> struct Kind<FloatKind::F32> {
  static float load(const void *p, int64_t i) {
    float x;
    std::memcpy(&x, static_cast<const char *>(p) + 4 * i, 4);
    return x;
  }
  static float round(float x) { return x; }
};
template <> struct Kind<FloatKind::F16> {
  static float load(const void *p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, static_cast<const char *>(p) + 2 * i, 2);
    return fromF16Bits(h);
  }
  static float round(float x) { return fromF16Bits(toF16Bits(x)); }
};
template <> struct Kind<FloatKind::BF16> {
  static float load(const void *p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, static_cast<const char *>(p) + 2 * i, 2);
    return fromBF16Bits(h);
  }
  static float round(float x) {
    // toBF16Bits without a branch (a select the vectorizer takes).
    uint32_t b = bitsOf(x);
    uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
    uint32_t nan = (b | 0x00400000u) & 0xffff0000u;
    return fromBits(x != x ? nan : rounded);
  }
};

/// Error statistics of a quantized row (report=true, Python's quantize).
struct Stats {
  double maxErr = 0, signal = 0, noise = 0;
};
} // namespace

/// quantizeValue for the `n` elements of a group at `base`, table kind T and
/// arithmetic kind A (GroupParams::arith), into `q`: a loop without calls or
/// branches. Rounding to an integer adds and subtracts 1.5 * 2^23, which
/// rounds to nearest even like nearbyint for |v| <= 2^22 (v is clamped to
/// [-128, 127] first).
template <FloatKind T, FloatKind A>
static void quantizeGroup(const void *data, int64_t base, int64_t n,
                          const GroupParams &p, const Scheme &s, int32_t *q) {
  const float scale = p.scale, zp = p.zp;
  const float qmin = float(s.qmin()), qmax = float(s.qmax());
  const float magic = 12582912.0f; // 1.5 * 2^23
  const bool asym = !s.symmetric;
  for (int64_t i = 0; i < n; ++i) {
    float v = Kind<A>::round(Kind<T>::load(data, base + i) / scale);
    if (asym)
      v = Kind<A>::round(v + zp);
    v = v != v ? 0.0f : v; // NaN (tables checkTable refuses) becomes 0
    v = std::min(std::max(v, qmin), qmax);
    // Without -ffast-math the compiler keeps (v + magic) - magic.
    q[i] = int32_t((v + magic) - magic);
  }
}

/// groupRange for table kind T, in 8 interleaved lanes the compiler turns
/// into vector min/max. The minimum of a set does not depend on the order
/// it is taken in, and `x < lo ? x : lo` skips NaN in every lane as the
/// sequential loop does, so the result is groupRange's.
template <FloatKind T>
static std::pair<float, float> groupRangeOf(const void *data, int64_t base,
                                            int64_t n) {
  float lo[8] = {}, hi[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      float x = Kind<T>::load(data, base + i + k);
      lo[k] = x < lo[k] ? x : lo[k];
      hi[k] = x > hi[k] ? x : hi[k];
    }
  for (; i < n; ++i) {
    float x = Kind<T>::load(data, base + i);
    lo[0] = x < lo[0] ? x : lo[0];
    hi[0] = x > hi[0] ? x : hi[0];
  }
  for (int k = 1; k < 8; ++k) {
    lo[0] = lo[k] < lo[0] ? lo[k] : lo[0];
    hi[0] = hi[k] > hi[0] ? hi[k] : hi[0];
  }
  return {lo[0], hi[0]};
}

/// Packs the `cols` codes of one row (signed, in range) into its zeroed
/// words: 8 codes are `bits` whole bytes of the little-endian bit stream.
static void packRow(const int32_t *q, int64_t cols, unsigned bits,
                    uint32_t *row) {
  int64_t c = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t offset = 1u << (bits - 1), mask = (1u << bits) - 1;
  char *bytes = reinterpret_cast<char *>(row);
  for (; c + 8 <= cols; c += 8) {
    uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k)
      v |= uint64_t((uint32_t(q[c + k]) + offset) & mask) << (k * bits);
    std::memcpy(bytes + (c / 8) * bits, &v, bits);
  }
#endif
  for (; c < cols; ++c)
    packInto(row, c, q[c], bits);
}

/// quantizeTable's rows [r0, r1) for table kind T and arithmetic kind A;
/// `stats` (one per row) is null when no statistics were asked for.
template <FloatKind T, FloatKind A>
static void quantizeRows(const TableView &t, const Scheme &s, int64_t r0,
                         int64_t r1, PackedTable &out, Stats *stats) {
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  int64_t wpr = s.wordsPerRow(t.cols);
  std::vector<int32_t> q(size_t(t.cols));
  for (int64_t r = r0; r < r1; ++r) {
    uint32_t *row = out.words.data() + r * wpr;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t base = r * t.cols + g * gs;
      auto [lo, hi] = groupRangeOf<T>(t.data, base, gs);
      GroupParams p = paramsFromRange(lo, hi, t.kind, s);
      out.scales[r * groups + g] = p.scale;
      if (!s.symmetric)
        out.zeroPoints[r * groups + g] = int8_t(p.zp);
      quantizeGroup<T, A>(t.data, base, gs, p, s, q.data() + g * gs);
      if (!stats)
        continue;
      Stats &st = stats[r];
      for (int64_t i = 0; i < gs; ++i) {
        float x = Kind<T>::load(t.data, base + i);
        double e = double(x) - dequantizeValue(q[size_t(g * gs + i)], p.scale,
                                               p.zp, s.scaleKind);
        st.maxErr = std::max(st.maxErr, std::fabs(e));
        st.signal += double(x) * x;
        st.noise += e * e;
      }
    }
    packRow(q.data(), t.cols, s.bits, row);
  }
}

PackedTable quantizeTable(const TableView &t, const Scheme &s, unsigned threads,
                          bool errorStats) {
  PackedTable out;
  out.rows = t.rows;
  out.cols = t.cols;
  out.scheme = s;
  int64_t groups = s.groupsPerRow(t.cols);
  out.words.assign(size_t(t.rows * s.wordsPerRow(t.cols)), 0u);
  out.scales.resize(size_t(t.rows * groups));
  if (!s.symmetric)
    out.zeroPoints.resize(size_t(t.rows * groups));

  std::vector<Stats> stats(errorStats ? size_t(t.rows) : 0);
  Stats *st = errorStats ? stats.data() : nullptr;
  // torch's promotion: the division runs in the table's type when the scale
  // has it, else in f32 (paramsFromRange).
  bool sameKind = s.scaleKind == t.kind;
  parallelFor(t.rows, threads, 64, [&](int64_t r0, int64_t r1) {
    switch (t.kind) {
    case FloatKind::F32:
      return quantizeRows<FloatKind::F32, FloatKind::F32>(t, s, r0, r1, out,
                                                          st);
    case FloatKind::F16:
      return sameKind
                 ? quantizeRows<FloatKind::F16, FloatKind::F16>(t, s, r0, r1,
                                                                out, st)
                 : quantizeRows<FloatKind::F16, FloatKind::F32>(t, s, r0, r1,
                                                                out, st);
    case FloatKind::BF16:
      return sameKind
                 ? quantizeRows<FloatKind::BF16, FloatKind::BF16>(t, s, r0, r1,
                                                                  out, st)
                 : quantizeRows<FloatKind::BF16, FloatKind::F32>(t, s, r0, r1,
                                                                 out, st);
    }
  });
  for (const Stats &row : stats) {
    out.maxAbsError = std::max(out.maxAbsError, row.maxErr);
    out.signalPower += row.signal;
    out.noisePower += row.noise;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Checked quantization into caller storage
//===----------------------------------------------------------------------===//

namespace {
/// What one thread's share of rows found: the first NaN/Inf (the share
/// stops there, as in checkTable) and the first overflowing scale.
struct ShareResult {
  int64_t rowBegin = 0;
  std::optional<TableProblem> nonFinite, overflow;
};

/// Minimum (forced <= 0), maximum (forced >= 0) and finiteness of a group.
struct CheckedRange {
  float lo, hi;
  bool finite;
};
} // namespace

/// groupRangeOf that also says whether every element is finite: `x * 0` is
/// +-0 for finite x and NaN for NaN or +-Inf, so each lane's sum of them
/// stays 0 exactly when its elements are finite (no branch in the loop).
template <FloatKind T>
static CheckedRange groupRangeChecked(const void *data, int64_t base,
                                      int64_t n) {
  float lo[8] = {}, hi[8] = {}, zero[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      float x = Kind<T>::load(data, base + i + k);
      lo[k] = x < lo[k] ? x : lo[k];
      hi[k] = x > hi[k] ? x : hi[k];
      zero[k] += x * 0.0f;
    }
  for (; i < n; ++i) {
    float x = Kind<T>::load(data, base + i);
    lo[0] = x < lo[0] ? x : lo[0];
    hi[0] = x > hi[0] ? x : hi[0];
    zero[0] += x * 0.0f;
  }
  for (int k = 1; k < 8; ++k) {
    lo[0] = lo[k] < lo[0] ? lo[k] : lo[0];
    hi[0] = hi[k] > hi[0] ? hi[k] : hi[0];
    zero[0] += zero[k];
  }
  return {lo[0], hi[0], zero[0] == 0.0f};
}

/// quantizeTableInto's rows [r0, r1) for table kind T and arithmetic kind
/// A; `stats` (one per row) is null when no statistics were asked for.
template <FloatKind T, FloatKind A>
static void quantizeRowsInto(const TableView &t, const Scheme &s, int64_t r0,
                             int64_t r1, const PackedTableStorage &out,
                             Stats *stats, ShareResult &found,
                             RowsDoneFn rowsDone, void *rowsDoneContext) {
  int64_t groups = s.groupsPerRow(t.cols), gs = s.columnsPerGroup(t.cols);
  int64_t wpr = s.wordsPerRow(t.cols);
  // Rows are reported done in blocks of about 1 MiB of table.
  int64_t block = std::max<int64_t>(
      1, (int64_t(1) << 20) / (t.cols * int64_t(byteWidth(t.kind))));
  std::vector<int32_t> q(size_t(t.cols));
  int64_t blockBegin = r0;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      int64_t base = r * t.cols + g * gs;
      CheckedRange range = groupRangeChecked<T>(t.data, base, gs);
      if (!range.finite) {
        int64_t i = 0;
        while (std::isfinite(Kind<T>::load(t.data, base + i)))
          ++i;
        found.nonFinite =
            TableProblem{TableProblem::Kind::NonFinite, r, g * gs + i,
                         Kind<T>::load(t.data, base + i), s.scaleKind};
        return;
      }
      GroupParams p = paramsFromRange(range.lo, range.hi, t.kind, s);
      if (!found.overflow && !std::isfinite(p.scale)) {
        // The scale before rounding to the scale type, for the message.
        float amax = std::max(std::fabs(range.lo), std::fabs(range.hi));
        double raw = s.symmetric ? double(amax) / ((s.qmax() - s.qmin()) / 2.0)
                                 : (double(range.hi) - double(range.lo)) /
                                       (s.qmax() - s.qmin());
        found.overflow = TableProblem{TableProblem::Kind::ScaleOverflow, r,
                                      g * gs, raw, s.scaleKind};
      }
      storeElement(s.scaleKind, out.scales, r * groups + g, p.scale);
      if (!s.symmetric)
        out.zeroPoints[r * groups + g] = int8_t(p.zp);
      quantizeGroup<T, A>(t.data, base, gs, p, s, q.data() + g * gs);
      if (!stats)
        continue;
      Stats &st = stats[r];
      for (int64_t i = 0; i < gs; ++i) {
        float x = Kind<T>::load(t.data, base + i);
        double e = double(x) - dequantizeValue(q[size_t(g * gs + i)], p.scale,
                                               p.zp, s.scaleKind);
        st.maxErr = std::max(st.maxErr, std::fabs(e));
        st.signal += double(x) * x;
        st.noise += e * e;
      }
    }
    uint32_t *row = out.words + r * wpr;
    std::fill(row, row + wpr, 0u);
    packRow(q.data(), t.cols, s.bits, row);
    if (rowsDone && (r + 1 - blockBegin >= block || r + 1 == r1)) {
      rowsDone(rowsDoneContext, blockBegin, r + 1);
      blockBegin = r + 1;
    }
  }
}

std::optional<TableProblem>
quantizeTableInto(const TableView &t, const Scheme &s,
                  const PackedTableStorage &out, unsigned threads,
                  QuantizeErrorStats *errorStats, RowsDoneFn rowsDone,
                  void *rowsDoneContext) {
  std::vector<Stats> stats(errorStats ? size_t(t.rows) : 0);
  Stats *st = errorStats ? stats.data() : nullptr;
  bool sameKind = s.scaleKind == t.kind;
  std::mutex mu;
  std::vector<ShareResult> shares;
  parallelFor(t.rows, threads, 64, [&](int64_t r0, int64_t r1) {
    ShareResult found;
    found.rowBegin = r0;
    auto run = [&](auto fn) {
      fn(t, s, r0, r1, out, st, found, rowsDone, rowsDoneContext);
    };
    switch (t.kind) {
    case FloatKind::F32:
      run(quantizeRowsInto<FloatKind::F32, FloatKind::F32>);
      break;
    case FloatKind::F16:
      sameKind ? run(quantizeRowsInto<FloatKind::F16, FloatKind::F16>)
               : run(quantizeRowsInto<FloatKind::F16, FloatKind::F32>);
      break;
    case FloatKind::BF16:
      sameKind ? run(quantizeRowsInto<FloatKind::BF16, FloatKind::BF16>)
               : run(quantizeRowsInto<FloatKind::BF16, FloatKind::F32>);
      break;
    }
    std::lock_guard<std::mutex> lock(mu);
    shares.push_back(std::move(found));
  });
  // Shares cover the rows in order: the first that found a problem has the
  // table's first, NaN/Inf before overflow, as checkTable reports them.
  std::sort(shares.begin(), shares.end(),
            [](const ShareResult &a, const ShareResult &b) {
              return a.rowBegin < b.rowBegin;
            });
  for (ShareResult &share : shares)
    if (share.nonFinite)
      return share.nonFinite;
  for (ShareResult &share : shares)
    if (share.overflow)
      return share.overflow;
  if (errorStats) {
    *errorStats = QuantizeErrorStats();
    for (const Stats &row : stats) {
      errorStats->maxAbsError = std::max(errorStats->maxAbsError, row.maxErr);
      errorStats->signalPower += row.signal;
      errorStats->noisePower += row.noise;
    }
  }
  return std::nullopt;
}

float dequantizeElement(const uint32_t *words, const float *scales,
                        const int8_t *zeroPoints, int64_t row, int64_t col,
                        int64_t cols, const Scheme &s) {
  int64_t groups = s.groupsPerRow(cols);
  int64_t g = row * groups + col / s.columnsPerGroup(cols);
  int32_t q = unpackCode(words + row * s.wordsPerRow(cols), col, s.bits);
  float zp = (!s.symmetric && zeroPoints) ? float(zeroPoints[g]) : 0.0f;
  return dequantizeValue(q, scales[g], zp, s.scaleKind);
}

void dequantizeTable(const uint32_t *words, const float *scales,
                     const int8_t *zeroPoints, int64_t rows, int64_t cols,
                     const Scheme &s, float *out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] =
          dequantizeElement(words, scales, zeroPoints, r, c, cols, s);
}

} // namespace qembed
