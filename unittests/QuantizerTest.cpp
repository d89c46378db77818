//===- QuantizerTest.cpp - Numerics library unit tests ----------*- C++ -*-===//
//
// Hand-checked vectors of the compressed-tensors rules (shared/REFERENCE.md)
// for the quantizer, the packer and the reference dequantization.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <random>

using namespace qembed;

namespace {

/// Raw storage of `values` (each exact in `kind`).
std::vector<char> rawTable(const std::vector<float> &values, FloatKind kind) {
  std::vector<char> raw(values.size() * byteWidth(kind));
  for (size_t i = 0; i < values.size(); ++i)
    storeElement(kind, raw.data(), int64_t(i), values[i]);
  return raw;
}

Scheme scheme(unsigned bits, int64_t group, bool sym, FloatKind scale) {
  Scheme s;
  s.bits = bits;
  s.groupSize = group;
  s.symmetric = sym;
  s.scaleKind = scale;
  return s;
}

std::vector<int8_t> codesOf(const std::vector<float> &values, FloatKind kind,
                            int64_t rows, int64_t cols, const Scheme &s,
                            std::vector<float> *scales = nullptr,
                            std::vector<int8_t> *zps = nullptr) {
  std::vector<char> raw = rawTable(values, kind);
  std::vector<int8_t> codes(size_t(rows * cols));
  std::vector<float> sc(size_t(rows * s.groupsPerRow(cols)));
  std::vector<int8_t> zp(sc.size());
  quantizeCodes({raw.data(), kind, rows, cols}, s, codes.data(), sc.data(),
                zp.data(), 1);
  if (scales)
    *scales = sc;
  if (zps)
    *zps = zp;
  return codes;
}

} // namespace

TEST(Pack, Int4HandVectors) {
  std::vector<int8_t> neg = {-8, -7, -6, -5, -4, -3, -2, -1};
  std::vector<int8_t> pos = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<int8_t> zero(8, 0);
  uint32_t w;
  packCodes(neg.data(), 1, 8, 4, &w);
  EXPECT_EQ(w, 0x76543210u);
  packCodes(pos.data(), 1, 8, 4, &w);
  EXPECT_EQ(w, 0xFEDCBA98u);
  packCodes(zero.data(), 1, 8, 4, &w);
  EXPECT_EQ(w, 0x88888888u);
}

TEST(Pack, ThreeBitCodesStraddleWords) {
  // 11 codes of u = 7 fill 33 bits: one full word and bit 0 of the next.
  std::vector<int8_t> codes(11, 3);
  uint32_t w[2];
  packCodes(codes.data(), 1, 11, 3, w);
  EXPECT_EQ(w[0], 0xFFFFFFFFu);
  EXPECT_EQ(w[1], 0x1u);
  for (int64_t c = 0; c < 11; ++c)
    EXPECT_EQ(unpackCode(w, c, 3), 3);
}

TEST(Pack, RoundTripEveryWidthWithRowPadding) {
  std::mt19937 rng(1);
  for (unsigned bits = 2; bits <= 8; ++bits) {
    Scheme s = scheme(bits, 0, true, FloatKind::F32);
    int64_t rows = 3, cols = 37; // 37 * bits is never a multiple of 32
    std::vector<int8_t> codes(size_t(rows * cols));
    for (auto &c : codes)
      c = int8_t(int64_t(rng() % (1u << bits)) + s.qmin());
    std::vector<uint32_t> words(size_t(rows * s.wordsPerRow(cols)));
    packCodes(codes.data(), rows, cols, bits, words.data());
    for (int64_t r = 0; r < rows; ++r) {
      const uint32_t *row = words.data() + r * s.wordsPerRow(cols);
      for (int64_t c = 0; c < cols; ++c)
        ASSERT_EQ(unpackCode(row, c, bits), codes[r * cols + c])
            << "bits " << bits << " row " << r << " col " << c;
      // Padding bits past the last code are zero.
      int64_t used = cols * bits % 32;
      EXPECT_EQ(row[s.wordsPerRow(cols) - 1] >> used, 0u) << "bits " << bits;
    }
  }
}

TEST(Quantize, Bf16GroupHandVector) {
  std::vector<float> w = {7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25};
  Scheme s = scheme(4, 8, true, FloatKind::BF16);
  std::vector<float> scales;
  std::vector<int8_t> q = codesOf(w, FloatKind::BF16, 1, 8, s, &scales);
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{7, -8, 2, -2, 0, 0, 2, 3}));
  std::vector<char> raw = rawTable(w, FloatKind::BF16);
  PackedTable t = quantizeTable({raw.data(), FloatKind::BF16, 1, 8}, s, 1);
  ASSERT_EQ(t.words.size(), 1u);
  EXPECT_EQ(t.words[0], 0xBA886A0Fu);
}

TEST(Quantize, Bf16ArithmeticTrap) {
  // amax 1.0 at 8 bits: scale = bf16(1/127.5) = 0.00787353515625. In bf16,
  // 0.75 / scale rounds to 95.5 and then to 96; fp32 arithmetic gives 95.
  std::vector<float> w = {1.0f, 0.75f};
  Scheme bf = scheme(8, 0, true, FloatKind::BF16);
  std::vector<float> scales;
  std::vector<int8_t> q = codesOf(w, FloatKind::BF16, 1, 2, bf, &scales);
  EXPECT_EQ(scales[0], 0.00787353515625f);
  EXPECT_EQ(q[1], 96);
  // With f32 scales the same bf16 scale value is divided in fp32 (torch
  // promotes bf16 / f32 to f32): 95.26 -> 95.
  Scheme f32 = scheme(8, 0, true, FloatKind::F32);
  EXPECT_EQ(codesOf(w, FloatKind::BF16, 1, 2, f32, &scales)[1], 95);
  EXPECT_EQ(scales[0], 0.00787353515625f);
}

TEST(Quantize, AllZeroGroupGetsDtypeEps) {
  std::vector<float> zeros(8, 0.0f);
  struct Case {
    FloatKind kind;
    float eps;
  } cases[] = {{FloatKind::BF16, 0x1p-7f},
               {FloatKind::F16, 0x1p-10f},
               {FloatKind::F32, 0x1p-23f}};
  for (const Case &c : cases) {
    for (bool sym : {true, false}) {
      Scheme s = scheme(4, 8, sym, c.kind);
      std::vector<float> scales;
      std::vector<int8_t> zps;
      std::vector<int8_t> q = codesOf(zeros, c.kind, 1, 8, s, &scales, &zps);
      EXPECT_EQ(scales[0], c.eps) << kindName(c.kind);
      std::vector<char> raw = rawTable(zeros, c.kind);
      PackedTable t = quantizeTable({raw.data(), c.kind, 1, 8}, s, 1);
      for (int64_t i = 0; i < 8; ++i)
        EXPECT_EQ(dequantizeElement(t.words.data(), t.scales.data(),
                                    t.zeroPoints.data(), 0, i, 8, s),
                  0.0f);
      if (sym)
        EXPECT_EQ(t.words[0], 0x88888888u);
    }
  }
}

TEST(Quantize, ClampBeforeRound) {
  // +amax maps to 7.5 -> clamp 7; -amax to -7.5 -> round-half-even -8.
  std::vector<float> w = {3.0f, -3.0f, 0.2f, 0, 0, 0, 0, 0};
  Scheme s = scheme(4, 8, true, FloatKind::F32);
  std::vector<int8_t> q = codesOf(w, FloatKind::F32, 1, 8, s);
  EXPECT_EQ(q[0], 7);
  EXPECT_EQ(q[1], -8);
  EXPECT_EQ(q[2], 0); // 0.2 / 0.4 = 0.5 -> ties to even -> 0
}

TEST(Quantize, AsymmetricZeroPoint) {
  // min 0 (forced), max 15: scale 1, zp = -8 - 0/1 = -8, q = x - 8.
  std::vector<float> w;
  for (int i = 0; i < 16; ++i)
    w.push_back(float(i));
  Scheme s = scheme(4, 16, false, FloatKind::F32);
  std::vector<float> scales;
  std::vector<int8_t> zps;
  std::vector<int8_t> q = codesOf(w, FloatKind::F32, 1, 16, s, &scales, &zps);
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(zps[0], -8);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(q[i], i - 8);
  // min -1, max 2: scale 0.2, zp = -8 - (-1 / 0.2) = -3.
  std::vector<float> v = {-1.0f, 2.0f, 0.5f, 0, 0, 0, 0, 0};
  s.groupSize = 8;
  codesOf(v, FloatKind::F32, 1, 8, s, &scales, &zps);
  EXPECT_FLOAT_EQ(scales[0], 0.2f);
  EXPECT_EQ(zps[0], -3);
}

TEST(Quantize, FusedPathMatchesCodesAndStaysWithinHalfStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int64_t rows = 17, cols = 64;
  std::vector<float> values(size_t(rows * cols));
  for (auto &v : values)
    v = dist(rng);
  for (bool sym : {true, false})
    for (unsigned bits : {2u, 3u, 4u, 8u}) {
      Scheme s = scheme(bits, 16, sym, FloatKind::F32);
      std::vector<float> scales;
      std::vector<int8_t> zps;
      std::vector<int8_t> codes =
          codesOf(values, FloatKind::F32, rows, cols, s, &scales, &zps);
      std::vector<char> raw = rawTable(values, FloatKind::F32);
      PackedTable t =
          quantizeTable({raw.data(), FloatKind::F32, rows, cols}, s, 3);
      std::vector<uint32_t> words(size_t(rows * s.wordsPerRow(cols)));
      packCodes(codes.data(), rows, cols, bits, words.data());
      ASSERT_EQ(t.words, words);
      ASSERT_EQ(t.scales, scales);
      double worst = 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          float x = values[r * cols + c];
          float d = dequantizeElement(t.words.data(), t.scales.data(),
                                      t.zeroPoints.data(), r, c, cols, s);
          float step = t.scales[r * 4 + c / 16];
          EXPECT_LE(std::fabs(x - d), 0.5f * step * 1.0001f);
          worst = std::max(worst, double(std::fabs(x - d)));
        }
      EXPECT_EQ(t.maxAbsError, worst);
    }
}

/// The vectorized quantizeTable against quantizeCodes + packCodes (the
/// scalar quantizeValue with nearbyint) for every table and scale type,
/// every bit width, symmetric or not, per-row and per-group scales (also a
/// row length that is not a multiple of 8) and values that land on ties and
/// on the clamp; with and without the error statistics, which are 0 when
/// not asked for.
TEST(Quantize, FusedPathMatchesCodesForEveryKind) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const FloatKind kinds[] = {FloatKind::F32, FloatKind::F16, FloatKind::BF16};
  struct Shape {
    int64_t cols, group;
  };
  const Shape shapes[] = {{64, 16}, {64, 0}, {60, 12}, {13, 0}};
  for (const Shape &shape : shapes) {
    int64_t rows = 7, cols = shape.cols;
    std::vector<float> values(size_t(rows * cols));
    for (auto &v : values)
      v = dist(rng);
    // Multiples of 1/8 of a group's maximum: x / scale hits .5 ties.
    for (int64_t c = 0; c < cols; ++c)
      values[size_t(c)] = float(c % 17 - 8) / 8.0f;
    for (FloatKind kind : kinds)
      for (FloatKind scaleKind : kinds)
        for (bool sym : {true, false})
          for (unsigned bits = 2; bits <= 8; ++bits) {
            SCOPED_TRACE(::testing::Message()
                         << "cols " << cols << " group " << shape.group
                         << " table " << kindName(kind) << " scale "
                         << kindName(scaleKind) << " sym " << sym << " bits "
                         << bits);
            Scheme s = scheme(bits, shape.group, sym, scaleKind);
            std::vector<float> scales;
            std::vector<int8_t> zps;
            std::vector<int8_t> codes =
                codesOf(values, kind, rows, cols, s, &scales, &zps);
            std::vector<uint32_t> words(size_t(rows * s.wordsPerRow(cols)));
            packCodes(codes.data(), rows, cols, bits, words.data());
            std::vector<char> raw = rawTable(values, kind);
            TableView view{raw.data(), kind, rows, cols};
            for (bool stats : {true, false}) {
              PackedTable t = quantizeTable(view, s, 2, stats);
              ASSERT_EQ(t.words, words);
              ASSERT_EQ(t.scales, scales);
              if (!sym)
                ASSERT_EQ(t.zeroPoints, zps);
              if (!stats) {
                EXPECT_EQ(t.maxAbsError, 0);
                EXPECT_EQ(t.signalPower, 0);
                EXPECT_EQ(t.noisePower, 0);
              } else {
                EXPECT_GT(t.signalPower, 0);
              }
            }
          }
  }
}

TEST(Floats, RoundingToHalfTypes) {
  EXPECT_EQ(roundTo(FloatKind::BF16, 1.0f + 0x1p-8f), 1.0f); // tie -> even
  EXPECT_EQ(roundTo(FloatKind::BF16, 1.0f + 0x1p-8f + 0x1p-20f),
            1.0f + 0x1p-7f);
  EXPECT_EQ(roundTo(FloatKind::F16, 1.0f + 0x1p-11f), 1.0f);
  EXPECT_EQ(roundTo(FloatKind::F16, 70000.0f), INFINITY);
  char buf[2];
  storeElement(FloatKind::BF16, buf, 0, 0.75f);
  EXPECT_EQ(loadElement(FloatKind::BF16, buf, 0), 0.75f);
}

TEST(Scheme, Checks) {
  EXPECT_EQ(checkScheme(scheme(4, 64, true, FloatKind::F32), 128), "");
  EXPECT_NE(checkScheme(scheme(9, 64, true, FloatKind::F32), 128), "");
  EXPECT_NE(checkScheme(scheme(1, 64, true, FloatKind::F32), 128), "");
  EXPECT_EQ(checkScheme(scheme(4, 48, true, FloatKind::F32), 128),
            "group size 48 does not divide the row length 128");
  EXPECT_NE(checkScheme(scheme(4, -1, true, FloatKind::F32), 128), "");
}

TEST(CheckTable, FindsTheFirstNonFiniteElement) {
  // 3 x 8 f32; NaN at (2, 1) and -Inf at (1, 6): the first in row order is
  // the -Inf, whichever thread scans which rows.
  std::vector<float> w(24, 0.5f);
  w[2 * 8 + 1] = NAN;
  w[1 * 8 + 6] = -INFINITY;
  std::vector<char> raw = rawTable(w, FloatKind::F32);
  Scheme s = scheme(4, 8, true, FloatKind::F32);
  std::optional<TableProblem> p;
  for (unsigned threads : {1u, 3u}) {
    p = checkTable({raw.data(), FloatKind::F32, 3, 8}, s, threads);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->kind, TableProblem::Kind::NonFinite);
    EXPECT_EQ(p->row, 1);
    EXPECT_EQ(p->col, 6);
    EXPECT_EQ(p->message(), "element at row 1, column 6 is -Inf; tables "
                            "with NaN or Inf are not quantized");
  }
  // 4000 rows scanned by 4 threads: problems in rows 3500 and 1200 (each
  // in a different thread's chunk) give row 1200.
  std::vector<float> big(4000 * 8, 0.25f);
  big[3500 * 8 + 2] = NAN;
  big[1200 * 8 + 7] = INFINITY;
  std::vector<char> bigRaw = rawTable(big, FloatKind::F32);
  p = checkTable({bigRaw.data(), FloatKind::F32, 4000, 8}, s, 4);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->row, 1200);
  EXPECT_EQ(p->col, 7);
  w[1 * 8 + 6] = 0.5f;
  raw = rawTable(w, FloatKind::F32);
  p = checkTable({raw.data(), FloatKind::F32, 3, 8}, s, 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->row, 2);
  EXPECT_EQ(p->col, 1);
  EXPECT_NE(p->message().find("is NaN"), std::string::npos);
}

TEST(CheckTable, NonFiniteInEveryKind) {
  // bf16 and f16 Inf/NaN bit patterns are found as well.
  for (FloatKind kind : {FloatKind::BF16, FloatKind::F16}) {
    std::vector<float> w = {1.0f, INFINITY, 0, 0};
    std::vector<char> raw = rawTable(w, kind);
    std::optional<TableProblem> p =
        checkTable({raw.data(), kind, 1, 4}, scheme(8, 0, false, kind), 1);
    ASSERT_TRUE(p.has_value()) << kindName(kind);
    EXPECT_EQ(p->col, 1);
    EXPECT_NE(p->message().find("+Inf"), std::string::npos);
  }
  std::vector<float> ok = {1.0f, -2.0f, 0, 65504.0f};
  std::vector<char> raw = rawTable(ok, FloatKind::F16);
  EXPECT_FALSE(checkTable({raw.data(), FloatKind::F16, 1, 4},
                          scheme(4, 0, true, FloatKind::F16), 1));
}

TEST(CheckTable, ScaleOverflowNamesTheRow) {
  // Row 1 has amax 2e6: its 4-bit scale 2e6 / 7.5 = 266667 overflows f16
  // (max 65504), while row 0's fits. With f32 scales both rows are fine.
  std::vector<float> w = {1.0f, 2.0f, 3.0f, 4.0f, 1e6f, -2e6f, 3.0f, 4.0f};
  std::vector<char> raw = rawTable(w, FloatKind::F32);
  TableView view{raw.data(), FloatKind::F32, 2, 4};
  std::optional<TableProblem> p =
      checkTable(view, scheme(4, 0, true, FloatKind::F16), 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, TableProblem::Kind::ScaleOverflow);
  EXPECT_EQ(p->row, 1);
  EXPECT_EQ(p->col, 0);
  EXPECT_EQ(p->message(), "the scale of row 1 (group starting at column 0) "
                          "is 266667, which overflows the scale type f16");
  EXPECT_FALSE(checkTable(view, scheme(4, 0, true, FloatKind::F32), 1));
  // Largest f32 values: max - min overflows f32 itself in the asymmetric
  // scale, not in the symmetric one.
  std::vector<float> big = {3e38f, -3e38f};
  raw = rawTable(big, FloatKind::F32);
  TableView bigView{raw.data(), FloatKind::F32, 1, 2};
  EXPECT_FALSE(checkTable(bigView, scheme(8, 0, true, FloatKind::F32), 1));
  p = checkTable(bigView, scheme(8, 0, false, FloatKind::F32), 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, TableProblem::Kind::ScaleOverflow);
}

TEST(CheckTable, NonFiniteIsReportedBeforeAnOverflow) {
  // The overflow is in row 0, the NaN in row 1: the NaN is reported.
  std::vector<float> w = {1e6f, 0, 0, NAN};
  std::vector<char> raw = rawTable(w, FloatKind::F32);
  std::optional<TableProblem> p =
      checkTable({raw.data(), FloatKind::F32, 2, 2},
                 scheme(4, 0, true, FloatKind::F16), 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, TableProblem::Kind::NonFinite);
  EXPECT_EQ(p->row, 1);
}

TEST(Quantize, NonFiniteInputIsDefined) {
  // Quantizing a table checkTable refuses must not run into undefined
  // float-to-int casts (-fsanitize=float-cast-overflow reports them); NaN
  // and Inf/Inf become code 0, an infinite scale gives zero point qmin.
  std::vector<float> w = {NAN, 1.0f, INFINITY, -1.0f};
  for (bool sym : {true, false}) {
    Scheme s = scheme(4, 2, sym, FloatKind::F32);
    std::vector<int8_t> zps;
    std::vector<int8_t> q = codesOf(w, FloatKind::F32, 2, 2, s, nullptr, &zps);
    EXPECT_EQ(q, sym ? (std::vector<int8_t>{0, 7, 0, 0})
                     : (std::vector<int8_t>{0, 7, 0, -8}));
    if (!sym)
      EXPECT_EQ(zps, (std::vector<int8_t>{-8, -8}));
    std::vector<char> raw = rawTable(w, FloatKind::F32);
    PackedTable t = quantizeTable({raw.data(), FloatKind::F32, 2, 2}, s, 1);
    std::vector<uint32_t> words(2);
    packCodes(q.data(), 2, 2, 4, words.data());
    EXPECT_EQ(t.words, words);
  }
}

namespace {
/// Runs quantizeTableInto on `view` with storage sized for `s`; returns
/// the problem it found and fills `out` with what it wrote (the scales
/// decoded to floats) and `rowsSeen` with the rows it reported done.
std::optional<TableProblem> quantizeInto(const TableView &view, const Scheme &s,
                                         unsigned threads,
                                         QuantizeErrorStats *stats,
                                         PackedTable &out,
                                         std::vector<int> &rowsSeen) {
  int64_t groups = s.groupsPerRow(view.cols);
  // Garbage in the storage: quantizeTableInto must overwrite every byte.
  out.words.assign(size_t(view.rows * s.wordsPerRow(view.cols)), 0xa5a5a5a5u);
  std::vector<char> scales(size_t(view.rows * groups) * byteWidth(s.scaleKind),
                           char(0x5a));
  out.zeroPoints.assign(s.symmetric ? 0 : size_t(view.rows * groups), 99);
  rowsSeen.assign(size_t(view.rows), 0);
  struct Seen {
    std::vector<int> *rows;
    std::mutex mu;
  } seen{&rowsSeen, {}};
  std::optional<TableProblem> p = quantizeTableInto(
      view, s,
      {out.words.data(), scales.data(),
       s.symmetric ? nullptr : out.zeroPoints.data()},
      threads, stats,
      [](void *ctx, int64_t r0, int64_t r1) {
        auto *seen = static_cast<Seen *>(ctx);
        std::lock_guard<std::mutex> lock(seen->mu);
        for (int64_t r = r0; r < r1; ++r)
          ++(*seen->rows)[size_t(r)];
      },
      &seen);
  out.scales.resize(size_t(view.rows * groups));
  for (size_t i = 0; i < out.scales.size(); ++i)
    out.scales[i] = loadElement(s.scaleKind, scales.data(), int64_t(i));
  return p;
}
} // namespace

/// quantizeTableInto writes exactly quantizeTable's words, scales and zero
/// points (and error statistics) into caller storage, for every table and
/// scale type, bit width, symmetry, group shape and thread count, and
/// reports every row done exactly once.
TEST(Quantize, IntoStorageMatchesQuantizeTable) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const FloatKind kinds[] = {FloatKind::F32, FloatKind::F16, FloatKind::BF16};
  struct Shape {
    int64_t rows, cols, group;
  };
  const Shape shapes[] = {{300, 64, 16}, {7, 64, 0}, {130, 60, 12}, {9, 13, 0}};
  for (const Shape &shape : shapes) {
    std::vector<float> values(size_t(shape.rows * shape.cols));
    for (auto &v : values)
      v = dist(rng);
    for (int64_t c = 0; c < shape.cols; ++c)
      values[size_t(c)] = float(c % 17 - 8) / 8.0f;
    for (FloatKind kind : kinds) {
      std::vector<char> raw = rawTable(values, kind);
      TableView view{raw.data(), kind, shape.rows, shape.cols};
      for (FloatKind scaleKind : kinds)
        for (bool sym : {true, false})
          for (unsigned bits = 2; bits <= 8; ++bits)
            for (unsigned threads : {1u, 3u}) {
              SCOPED_TRACE(::testing::Message()
                           << "shape " << shape.rows << "x" << shape.cols
                           << " group " << shape.group << " table "
                           << kindName(kind) << " scale " << kindName(scaleKind)
                           << " sym " << sym << " bits " << bits << " threads "
                           << threads);
              Scheme s = scheme(bits, shape.group, sym, scaleKind);
              PackedTable want = quantizeTable(view, s, 1, true);
              PackedTable got;
              QuantizeErrorStats stats;
              std::vector<int> rowsSeen;
              ASSERT_FALSE(
                  quantizeInto(view, s, threads, &stats, got, rowsSeen));
              ASSERT_EQ(got.words, want.words);
              ASSERT_EQ(got.scales, want.scales);
              ASSERT_EQ(got.zeroPoints, want.zeroPoints);
              EXPECT_EQ(stats.maxAbsError, want.maxAbsError);
              EXPECT_EQ(stats.signalPower, want.signalPower);
              EXPECT_EQ(stats.noisePower, want.noisePower);
              EXPECT_EQ(rowsSeen, std::vector<int>(size_t(shape.rows), 1));
            }
    }
  }
}

/// quantizeTableInto reports the problem checkTable reports: the first
/// NaN/Inf in row-major order even when a scale overflows in an earlier
/// row, else the first overflowing scale, whatever the thread count.
TEST(Quantize, IntoStorageFindsWhatCheckTableFinds) {
  int64_t rows = 400, cols = 16;
  std::vector<float> values(size_t(rows * cols), 0.01f);
  Scheme s = scheme(4, 8, true, FloatKind::F16);
  auto same = [&](const std::vector<float> &v) {
    std::vector<char> raw = rawTable(v, FloatKind::F32);
    TableView view{raw.data(), FloatKind::F32, rows, cols};
    for (unsigned threads : {1u, 2u, 4u}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads);
      std::optional<TableProblem> want = checkTable(view, s, 1);
      PackedTable got;
      std::vector<int> rowsSeen;
      std::optional<TableProblem> p =
          quantizeInto(view, s, threads, nullptr, got, rowsSeen);
      ASSERT_EQ(p.has_value(), want.has_value());
      if (!want)
        continue;
      EXPECT_EQ(int(p->kind), int(want->kind));
      EXPECT_EQ(p->row, want->row);
      EXPECT_EQ(p->col, want->col);
      EXPECT_EQ(p->message(), want->message());
    }
  };
  same(values);
  std::vector<float> v = values;
  v[size_t(350 * cols + 3)] = 1e9f; // overflows f16 scales (row 350)
  same(v);
  v[size_t(390 * cols + 11)] = -INFINITY; // a later Inf comes first
  same(v);
  v[size_t(390 * cols + 9)] = NAN;
  same(v);
  v[size_t(10 * cols + 1)] = 2e9f; // an earlier overflow
  same(v);
}
