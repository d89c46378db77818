//===- BagsTest.cpp - EmbeddingBag reference unit tests ---------*- C++ -*-===//
//
// lookupBags on hand-checked values (bag bounds, empty bags, clamped offsets
// and ids, f32 accumulation of f16 rows, mean rounding) and gatherBags
// against lookupBags on the dequantized table, bit for bit, for several
// schemes and output types.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Bags.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

using namespace qembed;

namespace {

TEST(LookupBags, SumMeanEmptyAndClampedBounds) {
  // 3 x 2 table; ids [0, 1, 1, 7, -3]; offsets [0, 2, 2, -5, 9]:
  // bag 0 = ids[0..2) = rows 0, 1; bag 1 = [2, 2) empty; bag 2 = [2, 0)
  // empty (end before begin); bag 3 = [-5, 9) clamped to [0, 5): rows 0,
  // 1, 1, 2 (7 clamped), 0 (-3 clamped); bag 4 = [9, 5) clamped: empty.
  std::vector<float> table = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> ids = {0, 1, 1, 7, -3};
  std::vector<int64_t> offsets = {0, 2, 2, -5, 9};
  std::vector<float> sum(10), mean(10);
  lookupBags(table.data(), FloatKind::F32, 3, 2, ids.data(), IndexKind::I64, 5,
             offsets.data(), IndexKind::I64, 5, BagMode::Sum, sum.data());
  lookupBags(table.data(), FloatKind::F32, 3, 2, ids.data(), IndexKind::I64, 5,
             offsets.data(), IndexKind::I64, 5, BagMode::Mean, mean.data());
  std::vector<float> wantSum = {4, 6, 0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<float> wantMean = {2, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  wantSum[6] = 1 + 3 + 3 + 5 + 1;
  wantSum[7] = 2 + 4 + 4 + 6 + 2;
  wantMean[6] = wantSum[6] / 5;
  wantMean[7] = wantSum[7] / 5;
  EXPECT_EQ(sum, wantSum);
  EXPECT_EQ(mean, wantMean);
}

uint16_t f16Bits(float x) {
  _Float16 h = static_cast<_Float16>(x);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}

TEST(LookupBags, HalfRowsAccumulateInF32) {
  // f16 rows 2048, 1, 1: an f16 accumulator gives 2048 (2049 rounds to
  // even), PyTorch's CPU embedding_bag and this rule give 2050.
  std::vector<uint16_t> table = {f16Bits(2048), f16Bits(1)};
  std::vector<int32_t> ids = {0, 1, 1};
  std::vector<int32_t> offsets = {0};
  uint16_t out = 0;
  lookupBags(table.data(), FloatKind::F16, 2, 1, ids.data(), IndexKind::I32, 3,
             offsets.data(), IndexKind::I32, 1, BagMode::Sum, &out);
  EXPECT_EQ(out, f16Bits(2050));
  // mean: the f16 sum 2050 divided by 3 in f32 (683.33) rounded to f16
  // (683.5, the f16 ulp there is 0.5).
  lookupBags(table.data(), FloatKind::F16, 2, 1, ids.data(), IndexKind::I32, 3,
             offsets.data(), IndexKind::I32, 1, BagMode::Mean, &out);
  EXPECT_EQ(out, f16Bits(683.5f));
}

struct Case {
  unsigned bits;
  int64_t group;
  bool symmetric;
  FloatKind scaleKind, outKind;
};

TEST(GatherBags, EqualsLookupBagsOfTheDequantizedTable) {
  const int64_t rows = 37, cols = 64;
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(size_t(rows * cols));
  for (float &v : values)
    v = normal(gen);
  // 200 ids (some outside the table) in 40 bags of random sizes, with a
  // few decreasing and out-of-range offsets.
  std::uniform_int_distribution<int64_t> id(-3, rows + 3), off(-2, 205);
  std::vector<int64_t> ids(200), offsets(40);
  for (int64_t &i : ids)
    i = id(gen);
  for (int64_t &o : offsets)
    o = off(gen);
  std::sort(offsets.begin(), offsets.begin() + 30);
  for (Case c : {Case{4, 32, true, FloatKind::F32, FloatKind::F32},
                 Case{3, 0, false, FloatKind::F16, FloatKind::F16},
                 Case{8, 16, true, FloatKind::BF16, FloatKind::BF16},
                 Case{2, 64, false, FloatKind::BF16, FloatKind::F32},
                 Case{5, 0, true, FloatKind::F32, FloatKind::F16}}) {
    Scheme s;
    s.bits = c.bits;
    s.groupSize = c.group;
    s.symmetric = c.symmetric;
    s.scaleKind = c.scaleKind;
    PackedTable p =
        quantizeTable({values.data(), FloatKind::F32, rows, cols}, s, 1);
    std::vector<char> scales(p.scales.size() * byteWidth(c.scaleKind));
    for (size_t i = 0; i < p.scales.size(); ++i)
      storeElement(c.scaleKind, scales.data(), int64_t(i), p.scales[i]);
    PackedTableView view{p.words.data(),
                         scales.data(),
                         c.symmetric ? nullptr : p.zeroPoints.data(),
                         rows,
                         cols,
                         s};
    ASSERT_EQ(checkGather(view), "");
    std::vector<float> dq(size_t(rows * cols));
    dequantizeTable(p.words.data(), p.scales.data(),
                    c.symmetric ? nullptr : p.zeroPoints.data(), rows, cols, s,
                    dq.data());
    unsigned w = byteWidth(c.outKind);
    std::vector<char> dense(dq.size() * w);
    for (size_t i = 0; i < dq.size(); ++i)
      storeElement(c.outKind, dense.data(), int64_t(i), dq[i]);
    for (BagMode mode : {BagMode::Sum, BagMode::Mean}) {
      std::vector<char> got(offsets.size() * cols * w),
          want(offsets.size() * cols * w);
      gatherBags(view, ids.data(), IndexKind::I64, int64_t(ids.size()),
                 offsets.data(), IndexKind::I64, int64_t(offsets.size()), mode,
                 c.outKind, got.data());
      lookupBags(dense.data(), c.outKind, rows, cols, ids.data(),
                 IndexKind::I64, int64_t(ids.size()), offsets.data(),
                 IndexKind::I64, int64_t(offsets.size()), mode, want.data());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0)
          << "bits " << c.bits << " group " << c.group << " mode " << int(mode);
    }
  }
}

} // namespace
