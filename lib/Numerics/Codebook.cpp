//===- Codebook.cpp - Codebook vector quantization of tables --------------===//
//
// Implements Codebook.h: per-row RMS scales, k-means++ / Lloyd training of
// residual codebooks on a deterministic row sample, greedy residual encoding
// of every row (threads over rows), a least-squares refit of each row's
// scale, bit packing of the codes, and the reference dequantization.
//
// Determinism: every random choice comes from a splitmix64 stream seeded by
// the scheme's seed; Lloyd's centroid sums are accumulated per fixed-size
// chunk of training vectors and reduced in chunk order, so the result does not
// depend on the number of threads.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/Codebook.h"
#include "FloatBits.h"
#include "Parallel.h"

#include <algorithm>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

namespace qembed {

namespace {

/// Training vectors per codebook at least (when the table has them): small
/// codebooks train on 2^18 vectors, which costs little and measurably helps
/// (all-MiniLM-L6-v2, d=4, 256 entries: mean cosine 0.980 -> 0.982).
constexpr int64_t kMinTrainVectors = int64_t(1) << 18;

/// splitmix64: a tiny, portable, seeded random stream.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n).
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

/// One codebook prepared for nearest-entry search: entries transposed
/// (dim x entries) and their squared norms.
struct SearchBook {
  int64_t entries = 0;
  unsigned dim = 0;
  std::vector<float> transposed; // dim x entries
  std::vector<float> norms;      // entries

  SearchBook(const float *book, int64_t k, unsigned d)
      : entries(k), dim(d), transposed(size_t(k) * d), norms(k) {
    for (int64_t e = 0; e < k; ++e) {
      float n = 0;
      for (unsigned j = 0; j < d; ++j) {
        float c = book[e * d + j];
        transposed[size_t(j) * k + e] = c;
        n += c * c;
      }
      norms[e] = n;
    }
  }

  /// Index of the entry minimising ||x - c||^2 (through ||c||^2 - 2 x.c;
  /// the first one on ties).
  uint32_t nearest(const float *x) const {
    constexpr int64_t kBlock = 256;
    float acc[kBlock];
    float best = std::numeric_limits<float>::infinity();
    uint32_t bestIdx = 0;
    for (int64_t e0 = 0; e0 < entries; e0 += kBlock) {
      int64_t n = std::min(kBlock, entries - e0);
      for (int64_t e = 0; e < n; ++e)
        acc[e] = norms[e0 + e];
      for (unsigned j = 0; j < dim; ++j) {
        float m = -2.0f * x[j];
        const float *col = transposed.data() + size_t(j) * entries + e0;
        for (int64_t e = 0; e < n; ++e)
          acc[e] += m * col[e];
      }
      for (int64_t e = 0; e < n; ++e)
        if (acc[e] < best) {
          best = acc[e];
          bestIdx = uint32_t(e0 + e);
        }
    }
    return bestIdx;
  }
};

/// Squared distance between two `d`-vectors.
inline double dist2(const float *a, const float *b, unsigned d) {
  double s = 0;
  for (unsigned j = 0; j < d; ++j) {
    double t = double(a[j]) - double(b[j]);
    s += t * t;
  }
  return s;
}

/// Writes `code` (entryBits wide) as code `index` of a packed row.
void putCode(uint32_t *row, int64_t index, unsigned bits, uint32_t code) {
  int64_t bit = index * bits;
  int64_t w = bit / 32;
  unsigned off = unsigned(bit % 32);
  row[w] |= code << off;
  if (off + bits > 32)
    row[w + 1] |= code >> (32 - off);
}

/// Row scale before the refit: the row's RMS rounded to the scale type.
float rmsScale(const TableView &t, int64_t r, FloatKind kind) {
  double s = 0;
  for (int64_t c = 0; c < t.cols; ++c) {
    double x = loadElement(t.kind, t.data, r * t.cols + c);
    s += x * x;
  }
  return roundTo(kind, float(std::sqrt(s / double(t.cols))));
}

/// k-means on `n` vectors `x` (n x d) into `k` centroids written to `book`
/// (k x d, f32). k-means++ initialisation, then `iters` Lloyd iterations.
void trainKMeans(const float *x, int64_t n, unsigned d, int64_t k,
                 unsigned iters, SplitMix &rng, unsigned threads, float *book) {
  if (n == 0) {
    std::fill(book, book + k * d, 0.0f);
    return;
  }
  // k-means++: D^2 sampling with incrementally updated minimum distances.
  std::vector<double> minD(n, std::numeric_limits<double>::infinity());
  int64_t first = int64_t(rng.below(uint64_t(n)));
  std::copy(x + first * d, x + (first + 1) * d, book);
  for (int64_t c = 1; c <= k; ++c) {
    const float *center = book + (c - 1) * d;
    detail::parallelFor(n, threads, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        minD[i] = std::min(minD[i], dist2(x + i * d, center, d));
    });
    if (c == k)
      break;
    double total = 0;
    for (int64_t i = 0; i < n; ++i)
      total += minD[i];
    int64_t pick;
    if (total <= 0) {
      pick = int64_t(rng.below(uint64_t(n))); // fewer distinct points than k
    } else {
      double target = rng.uniform() * total, run = 0;
      pick = n - 1;
      for (int64_t i = 0; i < n; ++i) {
        run += minD[i];
        if (run > target) {
          pick = i;
          break;
        }
      }
    }
    std::copy(x + pick * d, x + (pick + 1) * d, book + c * d);
  }

  // Lloyd iterations; sums per fixed chunk, reduced in chunk order.
  constexpr int64_t kChunk = 8192;
  int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> sums(size_t(chunks) * k * d);
  std::vector<int64_t> counts(size_t(chunks) * k);
  for (unsigned it = 0; it < iters; ++it) {
    SearchBook sb(book, k, d);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    detail::parallelFor(chunks, threads, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t ch = cb; ch < ce; ++ch) {
        double *s = sums.data() + size_t(ch) * k * d;
        int64_t *cnt = counts.data() + size_t(ch) * k;
        for (int64_t i = ch * kChunk, e = std::min(n, i + kChunk); i < e; ++i) {
          uint32_t a = sb.nearest(x + i * d);
          ++cnt[a];
          for (unsigned j = 0; j < d; ++j)
            s[size_t(a) * d + j] += x[i * d + j];
        }
      }
    });
    for (int64_t c = 0; c < k; ++c) {
      double acc[64] = {0};
      int64_t cnt = 0;
      for (int64_t ch = 0; ch < chunks; ++ch) {
        cnt += counts[size_t(ch) * k + c];
        for (unsigned j = 0; j < d; ++j)
          acc[j] += sums[(size_t(ch) * k + c) * d + j];
      }
      if (cnt == 0)
        continue; // an empty cluster keeps its centroid
      for (unsigned j = 0; j < d; ++j)
        book[c * d + j] = float(acc[j] / double(cnt));
    }
  }
}

} // namespace

double CodebookScheme::bitsPerParam(int64_t rows, int64_t cols) const {
  double params = double(rows) * double(cols);
  if (params == 0)
    return 0;
  double bits = double(rows) * double(wordsPerRow(cols)) * 32 +
                double(rows) * byteWidth(scaleKind) * 8 +
                double(codebookElements()) * byteWidth(codebookKind) * 8;
  return bits / params;
}

std::string checkCodebookScheme(const CodebookScheme &s, int64_t cols) {
  if (s.dim < 1 || s.dim > 64)
    return "vector dimension must be in [1, 64], got " + std::to_string(s.dim);
  if (s.entryBits < 1 || s.entryBits > 16)
    return "codebook entries must be a power of two in [2, 65536]";
  if (s.stages < 1 || s.stages > 8)
    return "stages must be in [1, 8], got " + std::to_string(s.stages);
  if (s.groups < 1)
    return "codebook groups must be >= 1, got " + std::to_string(s.groups);
  if (s.iterations > 1000)
    return "k-means iterations must be <= 1000, got " +
           std::to_string(s.iterations);
  if (s.samplesPerEntry < 1)
    return "training samples per entry must be >= 1";
  if (cols <= 0)
    return "table must have at least one column";
  if (cols % s.dim != 0)
    return "vector dimension " + std::to_string(s.dim) +
           " does not divide the row length " + std::to_string(cols);
  if (s.vectorsPerRow(cols) % s.groups != 0)
    return "codebook groups " + std::to_string(s.groups) +
           " do not divide the " + std::to_string(s.vectorsPerRow(cols)) +
           " vectors of a row";
  return "";
}

std::optional<TableProblem> checkCodebookTable(const TableView &t,
                                               const CodebookScheme &s,
                                               unsigned threads) {
  (void)threads;
  for (int64_t r = 0; r < t.rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < t.cols; ++c) {
      float x = loadElement(t.kind, t.data, r * t.cols + c);
      if (!std::isfinite(x))
        return TableProblem{TableProblem::Kind::NonFinite, r, c, double(x),
                            s.scaleKind};
      sum += double(x) * x;
    }
    double rms = std::sqrt(sum / double(t.cols));
    if (!std::isfinite(roundTo(s.scaleKind, float(rms))))
      return TableProblem{TableProblem::Kind::ScaleOverflow, r, 0, rms,
                          s.scaleKind};
  }
  return std::nullopt;
}

uint32_t unpackVQCode(const uint32_t *row, int64_t index, unsigned bits) {
  int64_t bit = index * bits;
  int64_t w = bit / 32;
  unsigned off = unsigned(bit % 32);
  uint64_t v = row[w];
  if (off + bits > 32)
    v |= uint64_t(row[w + 1]) << 32;
  return uint32_t((v >> off) & ((uint64_t(1) << bits) - 1));
}

CodebookTable quantizeCodebook(const TableView &t, const CodebookScheme &s,
                               unsigned threads) {
  CodebookTable out;
  out.rows = t.rows;
  out.cols = t.cols;
  out.scheme = s;
  const unsigned d = s.dim;
  const int64_t k = s.entries(), vpr = s.vectorsPerRow(t.cols),
                vpg = s.vectorsPerGroup(t.cols), wpr = s.wordsPerRow(t.cols);
  out.words.assign(size_t(t.rows) * wpr, 0);
  out.scales.resize(t.rows);
  out.codebooks.assign(s.codebookElements(), 0.0f);

  detail::parallelFor(t.rows, threads, 256, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      out.scales[r] = rmsScale(t, r, s.scaleKind);
  });
  auto divisor = [&](int64_t r) {
    float sc = out.scales[r];
    return sc == 0.0f ? 1.0f : sc;
  };

  // Deterministic row sample: a partial Fisher-Yates shuffle, then sorted.
  SplitMix rng{s.seed};
  int64_t wantVectors =
      std::max<int64_t>(int64_t(s.samplesPerEntry) * k, kMinTrainVectors);
  int64_t sampleRows = std::min<int64_t>(t.rows, (wantVectors + vpg - 1) /
                                                     std::max<int64_t>(1, vpg));
  std::vector<int64_t> rowsSample;
  if (sampleRows == t.rows) {
    rowsSample.resize(t.rows);
    for (int64_t r = 0; r < t.rows; ++r)
      rowsSample[r] = r;
  } else {
    std::vector<int64_t> perm(t.rows);
    for (int64_t r = 0; r < t.rows; ++r)
      perm[r] = r;
    for (int64_t i = 0; i < sampleRows; ++i)
      std::swap(perm[i], perm[i + int64_t(rng.below(uint64_t(t.rows - i)))]);
    rowsSample.assign(perm.begin(), perm.begin() + sampleRows);
    std::sort(rowsSample.begin(), rowsSample.end());
  }

  // Training: per group, residual stages on the sample's normalized vectors.
  const int64_t n = sampleRows * vpg;
  std::vector<float> residual(size_t(n) * d);
  for (int64_t g = 0; g < s.groups; ++g) {
    for (int64_t i = 0; i < sampleRows; ++i) {
      int64_t r = rowsSample[i];
      float div = divisor(r);
      for (int64_t v = 0; v < vpg; ++v)
        for (unsigned j = 0; j < d; ++j)
          residual[(i * vpg + v) * d + j] =
              loadElement(t.kind, t.data, r * t.cols + (g * vpg + v) * d + j) /
              div;
    }
    for (unsigned st = 0; st < s.stages; ++st) {
      float *book = out.codebooks.data() + (size_t(g) * s.stages + st) * k * d;
      trainKMeans(residual.data(), n, d, k, s.iterations, rng, threads, book);
      for (int64_t e = 0; e < k * d; ++e)
        book[e] = roundTo(s.codebookKind, book[e]);
      SearchBook sb(book, k, d);
      detail::parallelFor(n, threads, 4096, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          float *x = residual.data() + i * d;
          const float *c = book + size_t(sb.nearest(x)) * d;
          for (unsigned j = 0; j < d; ++j)
            x[j] -= c[j];
        }
      });
    }
  }

  // Encoding of every row, then the least-squares refit of its scale.
  std::vector<SearchBook> books;
  books.reserve(size_t(s.groups) * s.stages);
  for (int64_t b = 0; b < s.groups * int64_t(s.stages); ++b)
    books.emplace_back(out.codebooks.data() + size_t(b) * k * d, k, d);
  detail::parallelFor(t.rows, threads, 64, [&](int64_t b, int64_t e) {
    std::vector<float> x(t.cols), y(t.cols);
    for (int64_t r = b; r < e; ++r) {
      float div = divisor(r);
      for (int64_t c = 0; c < t.cols; ++c)
        x[c] = loadElement(t.kind, t.data, r * t.cols + c);
      uint32_t *row = out.words.data() + r * wpr;
      float res[64];
      for (int64_t v = 0; v < vpr; ++v) {
        int64_t g = v / vpg;
        for (unsigned j = 0; j < d; ++j) {
          res[j] = x[v * d + j] / div;
          y[v * d + j] = 0.0f;
        }
        for (unsigned st = 0; st < s.stages; ++st) {
          const SearchBook &sb = books[size_t(g) * s.stages + st];
          uint32_t code = sb.nearest(res);
          putCode(row, v * s.stages + st, s.entryBits, code);
          const float *c = out.codebooks.data() +
                           ((size_t(g) * s.stages + st) * k + code) * d;
          for (unsigned j = 0; j < d; ++j) {
            res[j] -= c[j];
            y[v * d + j] = y[v * d + j] + c[j];
          }
        }
      }
      double xy = 0, yy = 0;
      for (int64_t c = 0; c < t.cols; ++c) {
        xy += double(x[c]) * y[c];
        yy += double(y[c]) * y[c];
      }
      float refit = yy > 0 ? roundTo(s.scaleKind, float(xy / yy)) : 0.0f;
      if (std::isfinite(refit))
        out.scales[r] = refit;
    }
  });

  // Error statistics against the f32 reference dequantization.
  std::vector<double> sig(t.rows), noise(t.rows);
  detail::parallelFor(t.rows, threads, 64, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      double ss = 0, nn = 0;
      for (int64_t c = 0; c < t.cols; ++c) {
        double x = loadElement(t.kind, t.data, r * t.cols + c);
        double q = dequantizeCodebookElement(
            out.words.data(), out.scales.data(), out.codebooks.data(), r, c,
            t.cols, s, FloatKind::F32);
        ss += x * x;
        nn += (x - q) * (x - q);
      }
      sig[r] = ss;
      noise[r] = nn;
    }
  });
  for (int64_t r = 0; r < t.rows; ++r) {
    out.signalPower += sig[r];
    out.noisePower += noise[r];
  }
  return out;
}

float dequantizeCodebookElement(const uint32_t *words, const float *scales,
                                const float *codebooks, int64_t row,
                                int64_t col, int64_t cols,
                                const CodebookScheme &s, FloatKind outKind) {
  const int64_t k = s.entries(), vpg = s.vectorsPerGroup(cols);
  const uint32_t *rowWords = words + row * s.wordsPerRow(cols);
  int64_t v = col / s.dim, g = v / vpg, lane = col % s.dim;
  float acc = 0.0f;
  for (unsigned st = 0; st < s.stages; ++st) {
    uint32_t code = unpackVQCode(rowWords, v * s.stages + st, s.entryBits);
    float c =
        codebooks[((size_t(g) * s.stages + st) * k + code) * s.dim + lane];
    acc = st == 0 ? c : acc + c;
  }
  float prod = scales[row] * acc;
  return roundTo(outKind, prod);
}

void dequantizeCodebookTable(const uint32_t *words, const float *scales,
                             const float *codebooks, int64_t rows, int64_t cols,
                             const CodebookScheme &s, FloatKind outKind,
                             float *out, unsigned threads) {
  detail::parallelFor(rows, threads, 64, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < cols; ++c)
        out[r * cols + c] = dequantizeCodebookElement(words, scales, codebooks,
                                                      r, c, cols, s, outKind);
  });
}

#if defined(__x86_64__) || defined(__i386__)
/// `scale * x[i]` rounded to f16 bits with F16C (8 lanes at a time);
/// the same IEEE round-to-nearest-even as the portable path.
__attribute__((target("avx,f16c"))) static void
scaleToF16F16C(const float *x, float scale, uint16_t *o, int64_t n) {
  __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 p = _mm256_mul_ps(s, _mm256_loadu_ps(x + i));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(o + i),
                     _mm256_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i)
    o[i] = detail::toF16Bits(scale * x[i]);
}
#endif

/// `scale * x[i]` rounded to f16 bits (F16C when the CPU has it: without
/// it, the compiler's f16 conversion is a library call per element).
static void scaleToF16(const float *x, float scale, uint16_t *o, int64_t n) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool f16c = __builtin_cpu_supports("f16c") &&
                           __builtin_cpu_supports("avx");
  if (f16c)
    return scaleToF16F16C(x, scale, o, n);
#endif
  for (int64_t i = 0; i < n; ++i)
    o[i] = detail::toF16Bits(scale * x[i]);
}

void gatherCodebookRows(const uint32_t *words, const float *scales,
                        const float *codebooks, int64_t rows, int64_t cols,
                        const CodebookScheme &s, const int64_t *ids,
                        int64_t tokens, FloatKind outKind, void *out,
                        unsigned threads) {
  const int64_t k = s.entries(), vpg = s.vectorsPerGroup(cols),
                vpr = s.vectorsPerRow(cols), wpr = s.wordsPerRow(cols);
  const unsigned d = s.dim;
  detail::parallelFor(tokens, threads, 16, [&](int64_t b, int64_t e) {
    std::vector<float> line(cols);
    for (int64_t t = b; t < e; ++t) {
      int64_t r = std::min(std::max<int64_t>(ids[t], 0), rows - 1);
      const uint32_t *row = words + r * wpr;
      float scale = scales[r];
      for (int64_t v = 0; v < vpr; ++v) {
        const float *base = codebooks + size_t(v / vpg) * s.stages * k * d;
        float *acc = line.data() + v * d;
        const float *c =
            base + size_t(unpackVQCode(row, v * s.stages, s.entryBits)) * d;
        for (unsigned j = 0; j < d; ++j)
          acc[j] = c[j];
        for (unsigned st = 1; st < s.stages; ++st) {
          c = base +
              (st * k + unpackVQCode(row, v * s.stages + st, s.entryBits)) * d;
          for (unsigned j = 0; j < d; ++j)
            acc[j] = acc[j] + c[j];
        }
      }
      // One multiplication and one rounding per element, as in
      // dequantizeCodebookElement; inline conversions.
      if (outKind == FloatKind::F32) {
        float *o = static_cast<float *>(out) + t * cols;
        for (int64_t c = 0; c < cols; ++c)
          o[c] = scale * line[c];
      } else {
        uint16_t *o = static_cast<uint16_t *>(out) + t * cols;
        if (outKind == FloatKind::F16)
          scaleToF16(line.data(), scale, o, cols);
        else
          for (int64_t c = 0; c < cols; ++c)
            o[c] = detail::toBF16Bits(scale * line[c]);
      }
    }
  });
}

} // namespace qembed
