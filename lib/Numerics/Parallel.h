//===- Parallel.h - Row ranges on threads (private) -------------*- C++ -*-===//
//
// The one way the numerics library's .cpp files spread rows or tokens over
// threads: contiguous ranges, each handled exactly once, the calling thread
// taking the last one.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_LIB_NUMERICS_PARALLEL_H
#define QEMBED_LIB_NUMERICS_PARALLEL_H

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace qembed::detail {

/// `threads`, or every hardware thread when it is 0.
inline unsigned resolveThreads(unsigned threads) {
  return threads ? threads : std::max(1u, std::thread::hardware_concurrency());
}

/// Runs `fn(begin, end)` over [0, n) split into at most `parts` contiguous
/// ranges of equal size (the last shorter), one thread each; the calling
/// thread runs the last range. Callers keep results independent of the
/// split.
template <typename Fn> void parallelRanges(int64_t n, int64_t parts, Fn fn) {
  if (parts <= 1 || n <= 1) {
    fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  int64_t chunk = (n + parts - 1) / parts;
  int64_t b = 0;
  for (; b + chunk < n; b += chunk)
    pool.emplace_back(fn, b, b + chunk);
  fn(b, n);
  for (auto &t : pool)
    t.join();
}

/// parallelRanges on up to `threads` threads (0: all), with at least
/// `minPerThread` indices per thread.
template <typename Fn>
void parallelFor(int64_t n, unsigned threads, int64_t minPerThread, Fn fn) {
  parallelRanges(
      n,
      std::min<int64_t>(
          resolveThreads(threads),
          std::max<int64_t>(1, n / std::max<int64_t>(1, minPerThread))),
      fn);
}

} // namespace qembed::detail

#endif // QEMBED_LIB_NUMERICS_PARALLEL_H
