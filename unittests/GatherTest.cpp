//===- GatherTest.cpp - CPU fused gather unit tests -------------*- C++ -*-===//
//
// gatherRows against dequantizeElement, bit for bit: every bit width, per-row
// and per-group scales, symmetric and asymmetric, every scale and output
// type, int32 and int64 ids, clamping of out-of-range ids, the threaded path
// and the checks of malformed tables; each of them for every implementation
// this CPU runs (portable C++, AVX2, AVX-512).
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Gather.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace qembed;

namespace {

struct Table {
  PackedTable packed;
  std::vector<char> scaleStorage;
  PackedTableView view() const {
    return {packed.words.data(),
            scaleStorage.data(),
            packed.scheme.symmetric ? nullptr : packed.zeroPoints.data(),
            packed.rows,
            packed.cols,
            packed.scheme};
  }
};

Table makeTable(int64_t rows, int64_t cols, const Scheme &s, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> values(size_t(rows * cols));
  for (float &v : values)
    v = normal(gen);
  Table t;
  t.packed = quantizeTable({values.data(), FloatKind::F32, rows, cols}, s, 1);
  t.scaleStorage.resize(t.packed.scales.size() * byteWidth(s.scaleKind));
  for (size_t i = 0; i < t.packed.scales.size(); ++i)
    storeElement(s.scaleKind, t.scaleStorage.data(), int64_t(i),
                 t.packed.scales[i]);
  return t;
}

/// Expected output bytes: dequantizeElement of the clamped rows, stored in
/// `out`.
std::vector<char> expected(const Table &t, const std::vector<int64_t> &ids,
                           FloatKind out) {
  const PackedTable &p = t.packed;
  std::vector<char> bytes(ids.size() * size_t(p.cols) * byteWidth(out));
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t row = std::min(std::max<int64_t>(ids[i], 0), p.rows - 1);
    for (int64_t c = 0; c < p.cols; ++c)
      storeElement(
          out, bytes.data(), int64_t(i) * p.cols + c,
          dequantizeElement(p.words.data(), p.scales.data(),
                            p.scheme.symmetric ? nullptr : p.zeroPoints.data(),
                            row, c, p.cols, p.scheme));
  }
  return bytes;
}

/// The implementations this CPU can run.
std::vector<GatherImpl> impls() {
  std::vector<GatherImpl> result = {GatherImpl::Portable};
  if (gatherImplSupported(GatherImpl::AVX2))
    result.push_back(GatherImpl::AVX2);
  if (gatherImplSupported(GatherImpl::AVX512))
    result.push_back(GatherImpl::AVX512);
  return result;
}

const char *implName(GatherImpl impl) {
  switch (impl) {
  case GatherImpl::AVX2:
    return "avx2";
  case GatherImpl::AVX512:
    return "avx512";
  default:
    return "portable";
  }
}

/// Gathers `ids` with every implementation and both id types; expects the
/// bytes of `expected`.
void expectAllImpls(const Table &t, const std::vector<int64_t> &ids,
                    FloatKind out, unsigned threads = 1) {
  std::vector<char> want = expected(t, ids, out);
  std::vector<int32_t> ids32(ids.begin(), ids.end());
  for (GatherImpl impl : impls()) {
    std::vector<char> got(want.size(), 0x55);
    gatherRows(t.view(), ids.data(), IndexKind::I64, int64_t(ids.size()), out,
               got.data(), threads, impl);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0)
        << implName(impl) << ", i64 ids";
    std::vector<char> got32(want.size(), 0x55);
    gatherRows(t.view(), ids32.data(), IndexKind::I32, int64_t(ids.size()), out,
               got32.data(), threads, impl);
    EXPECT_EQ(std::memcmp(got32.data(), want.data(), want.size()), 0)
        << implName(impl) << ", i32 ids";
  }
}

struct Case {
  unsigned bits;
  int64_t group;
  bool symmetric;
  FloatKind scale;
  FloatKind out;
};

class GatherTest : public ::testing::TestWithParam<Case> {};

TEST_P(GatherTest, BitExactWithDequantizeElement) {
  Case c = GetParam();
  Scheme s;
  s.bits = c.bits;
  s.groupSize = c.group;
  s.symmetric = c.symmetric;
  s.scaleKind = c.scale;
  int64_t rows = 37, cols = 96;
  Table t = makeTable(rows, cols, s, c.bits * 7 + unsigned(c.group));
  ASSERT_EQ(checkGather(t.view()), "");
  std::vector<int64_t> ids = {0, rows - 1, 5, 5, -4, rows, 1000, 17};
  for (int64_t i = 0; i < 300; ++i)
    ids.push_back((i * 13) % rows);
  expectAllImpls(t, ids, c.out);
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, GatherTest,
    ::testing::Values(Case{2, 32, true, FloatKind::F32, FloatKind::F32},
                      Case{2, 16, false, FloatKind::F16, FloatKind::F16},
                      Case{3, 32, true, FloatKind::BF16, FloatKind::BF16},
                      Case{3, 0, false, FloatKind::F32, FloatKind::BF16},
                      Case{4, 32, true, FloatKind::F16, FloatKind::F32},
                      Case{4, 0, false, FloatKind::BF16, FloatKind::F16},
                      Case{5, 48, true, FloatKind::F32, FloatKind::F16},
                      Case{6, 0, true, FloatKind::F16, FloatKind::F16},
                      Case{7, 96, false, FloatKind::F32, FloatKind::F32},
                      Case{8, 0, true, FloatKind::BF16, FloatKind::BF16},
                      Case{8, 32, false, FloatKind::F32, FloatKind::F16}));

/// Every bit width, symmetric or not, every scale and output type, with
/// groups of whole 16- or 8-code chunks, groups that are not (4, 6, 12, 20)
/// and rows whose length is not a multiple of 8 (the unpacking's tail).
TEST(Gather, EverySpecialization) {
  struct Shape {
    int64_t cols;
    std::vector<int64_t> groups;
  };
  const Shape shapes[] = {{96, {0, 6, 8, 12, 16, 32, 48, 96}},
                          {100, {0, 20, 4}},
                          {160, {0, 16, 80}},
                          {5, {0}}};
  const FloatKind kinds[] = {FloatKind::F32, FloatKind::F16, FloatKind::BF16};
  for (unsigned bits = 2; bits <= 8; ++bits)
    for (const Shape &shape : shapes)
      for (int64_t group : shape.groups)
        for (bool symmetric : {true, false})
          for (FloatKind scale : kinds) {
            Scheme s;
            s.bits = bits;
            s.groupSize = group;
            s.symmetric = symmetric;
            s.scaleKind = scale;
            int64_t rows = 9;
            Table t = makeTable(rows, shape.cols, s,
                                bits * 131 + unsigned(group + shape.cols));
            ASSERT_EQ(checkGather(t.view()), "");
            // The last row is gathered too: its loads must stay inside it.
            std::vector<int64_t> ids = {rows - 1, 0, 3, -1, rows + 5, 7, 2};
            for (FloatKind out : kinds) {
              SCOPED_TRACE(::testing::Message()
                           << "bits " << bits << " cols " << shape.cols
                           << " group " << group << " symmetric " << symmetric
                           << " scale " << kindName(scale) << " out "
                           << kindName(out));
              expectAllImpls(t, ids, out);
            }
          }
}

/// Scales that are NaN or that overflow the output type: the roundings of
/// NaN and infinity agree too.
TEST(Gather, NonFiniteScales) {
  const FloatKind kinds[] = {FloatKind::F32, FloatKind::F16, FloatKind::BF16};
  for (FloatKind scale : kinds) {
    Scheme s;
    s.bits = 4;
    s.groupSize = 16;
    s.symmetric = false;
    s.scaleKind = scale;
    Table t = makeTable(3, 64, s, 11);
    float big = scale == FloatKind::F16 ? 60000.0f : 0x1p100f; // exact
    t.packed.scales[1] = std::nanf("");
    t.packed.scales[2] = big;
    t.packed.scales[5] = -big;
    for (size_t i = 0; i < t.packed.scales.size(); ++i)
      storeElement(s.scaleKind, t.scaleStorage.data(), int64_t(i),
                   t.packed.scales[i]);
    for (FloatKind out : kinds) {
      SCOPED_TRACE(kindName(scale) + std::string(" -> ") + kindName(out));
      expectAllImpls(t, {0, 1, 2}, out);
    }
  }
}

TEST(Gather, ThreadedEqualsSingleThreaded) {
  Scheme s;
  s.bits = 4;
  s.groupSize = 64;
  s.scaleKind = FloatKind::F16;
  Table t = makeTable(50, 256, s, 3);
  std::vector<int64_t> ids(4099);
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = int64_t((i * 31) % 50);
  std::vector<char> one(ids.size() * 256 * 2), many(one.size());
  gatherRows(t.view(), ids.data(), IndexKind::I64, int64_t(ids.size()),
             FloatKind::F16, one.data(), 1);
  gatherRows(t.view(), ids.data(), IndexKind::I64, int64_t(ids.size()),
             FloatKind::F16, many.data(), 4);
  EXPECT_EQ(one, many);
  EXPECT_EQ(one, expected(t, ids, FloatKind::F16));
  expectAllImpls(t, ids, FloatKind::F16, 3);
}

TEST(Gather, ChecksMalformedTables) {
  Scheme s;
  s.bits = 4;
  s.groupSize = 32;
  Table t = makeTable(4, 64, s, 1);
  PackedTableView v = t.view();
  v.rows = 0;
  EXPECT_NE(checkGather(v).find("at least one row"), std::string::npos);
  v = t.view();
  v.scheme.symmetric = false;
  EXPECT_NE(checkGather(v).find("needs zero points"), std::string::npos);
  v = t.view();
  v.scheme.groupSize = 48;
  EXPECT_NE(checkGather(v).find("does not divide"), std::string::npos);
  v = t.view();
  v.scheme.bits = 9;
  EXPECT_NE(checkGather(v).find("bits must be"), std::string::npos);
}

} // namespace
