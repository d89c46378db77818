//===- CodebookTest.cpp - Codebook VQ numerics unit tests -------*- C++ -*-===//
//
// Bit packing of codes (straddling words), the reference dequantization
// against hand-computed values, determinism across thread counts and seeds,
// and the table checks of the codebook vector quantizer.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Codebook.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace qembed;

namespace {

/// A rows x cols f32 table of normal values with varying row magnitudes.
std::vector<float> randomTable(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> t(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    float mag = 0.01f * float(1 + r % 7);
    for (int64_t c = 0; c < cols; ++c)
      t[r * cols + c] = mag * normal(gen);
  }
  return t;
}

CodebookScheme scheme(unsigned dim, unsigned entryBits, unsigned stages,
                      int64_t groups) {
  CodebookScheme s;
  s.dim = dim;
  s.entryBits = entryBits;
  s.stages = stages;
  s.groups = groups;
  s.iterations = 4;
  return s;
}

TEST(Codebook, FiveBitCodesStraddleWords) {
  // Codes 0..12 of 5 bits: code 6 sits at bits 30..34 of the row.
  std::vector<uint32_t> row(3, 0);
  std::vector<uint32_t> codes = {1, 31, 0, 17, 5, 9, 22, 30, 3, 0, 31, 8, 16};
  for (size_t i = 0; i < codes.size(); ++i) {
    uint64_t bit = i * 5;
    row[bit / 32] |= codes[i] << (bit % 32);
    if (bit % 32 + 5 > 32)
      row[bit / 32 + 1] |= codes[i] >> (32 - bit % 32);
  }
  for (size_t i = 0; i < codes.size(); ++i)
    EXPECT_EQ(unpackVQCode(row.data(), int64_t(i), 5), codes[i]) << i;
}

TEST(Codebook, ReferenceDequantizationByHand) {
  // One row of 4 columns, dim 2, 2 entries (1-bit codes), 2 stages:
  // codes (vector 0: stage 0 -> 1, stage 1 -> 0; vector 1: 0, 1) = bits
  // 1,0,0,1 -> word 0b1001.
  CodebookScheme s = scheme(2, 1, 2, 1);
  std::vector<uint32_t> words = {0x9};
  std::vector<float> scales = {2.0f};
  // books[0][stage][entry][lane]
  std::vector<float> books = {/*stage 0*/ 1.0f, 2.0f, 3.0f, -4.0f,
                              /*stage 1*/ 0.5f, 0.25f, -1.0f, 8.0f};
  float expect[4] = {2.0f * (3.0f + 0.5f), 2.0f * (-4.0f + 0.25f),
                     2.0f * (1.0f + -1.0f), 2.0f * (2.0f + 8.0f)};
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(dequantizeCodebookElement(words.data(), scales.data(),
                                        books.data(), 0, c, 4, s,
                                        FloatKind::F32),
              expect[c])
        << c;
  // Rounded once to f16 (exact here).
  EXPECT_EQ(dequantizeCodebookElement(words.data(), scales.data(),
                                      books.data(), 0, 1, 4, s,
                                      FloatKind::F16),
            -7.5f);
}

TEST(Codebook, SameBytesForAnyThreadCount) {
  std::vector<float> t = randomTable(2000, 32, 1);
  TableView view{t.data(), FloatKind::F32, 2000, 32};
  CodebookScheme s = scheme(4, 6, 2, 2);
  s.seed = 42;
  CodebookTable a = quantizeCodebook(view, s, 1);
  CodebookTable b = quantizeCodebook(view, s, 2);
  CodebookTable c = quantizeCodebook(view, s, 7);
  EXPECT_EQ(a.words, b.words);
  EXPECT_EQ(a.words, c.words);
  EXPECT_EQ(a.codebooks, c.codebooks);
  EXPECT_EQ(a.scales, c.scales);
  s.seed = 43;
  CodebookTable d = quantizeCodebook(view, s, 2);
  EXPECT_NE(a.codebooks, d.codebooks);
}

TEST(Codebook, MoreBitsLessError) {
  std::vector<float> t = randomTable(1500, 64, 2);
  TableView view{t.data(), FloatKind::F32, 1500, 64};
  double prev = 0;
  for (unsigned stages = 1; stages <= 3; ++stages) {
    CodebookTable q = quantizeCodebook(view, scheme(4, 6, stages, 1), 2);
    double sqnr = 10 * std::log10(q.signalPower / q.noisePower);
    EXPECT_GT(sqnr, prev + 1.0) << stages;
    prev = sqnr;
  }
  // Gaussian data at 6/4 = 1.5 bits per element: above 6 dB.
  EXPECT_GT(prev, 6.0);
}

TEST(Codebook, ZeroRowDequantizesToZero) {
  std::vector<float> t = randomTable(300, 8, 3);
  for (int c = 0; c < 8; ++c)
    t[5 * 8 + c] = 0.0f;
  TableView view{t.data(), FloatKind::F32, 300, 8};
  CodebookScheme s = scheme(4, 4, 1, 1);
  CodebookTable q = quantizeCodebook(view, s, 2);
  EXPECT_EQ(q.scales[5], 0.0f);
  for (int c = 0; c < 8; ++c)
    EXPECT_EQ(dequantizeCodebookElement(q.words.data(), q.scales.data(),
                                        q.codebooks.data(), 5, c, 8, s,
                                        FloatKind::F32),
              0.0f);
}

TEST(Codebook, SchemeAndTableChecks) {
  EXPECT_EQ(checkCodebookScheme(scheme(4, 8, 1, 1), 384), "");
  EXPECT_EQ(checkCodebookScheme(scheme(5, 8, 1, 1), 384),
            "vector dimension 5 does not divide the row length 384");
  EXPECT_EQ(checkCodebookScheme(scheme(4, 8, 1, 5), 384),
            "codebook groups 5 do not divide the 96 vectors of a row");
  EXPECT_NE(checkCodebookScheme(scheme(4, 17, 1, 1), 384), "");
  EXPECT_NE(checkCodebookScheme(scheme(4, 8, 9, 1), 384), "");
  std::vector<float> t = randomTable(4, 8, 4);
  t[2 * 8 + 3] = INFINITY;
  TableView view{t.data(), FloatKind::F32, 4, 8};
  auto problem = checkCodebookTable(view, scheme(4, 4, 1, 1));
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->kind, TableProblem::Kind::NonFinite);
  EXPECT_EQ(problem->row, 2);
  EXPECT_EQ(problem->col, 3);
}

} // namespace
