#!/usr/bin/env python3
"""CPU fused gather of codebook-VQ tables (qembed.gather_vq) against numpy:
in one process, numpy's `take` of the dense fp16 table (the rows an
unquantized model copies) and qembed.gather_vq of VQ tables of the same
shape (f16 output), for several token counts, on 1 thread and on all cores.
Prints rows/s (best of the repetitions) and the ratio qembed / numpy.

The VQ tables hold random codes, scales and codebooks (the gather's speed
does not depend on the values), so no quantization is needed.

Usage: PYTHONPATH=<qembed install> python3 bench/cpu_gather_vq.py
           [--rows 32000] [--cols 4096] [--tokens 256,4096] [--reps 5]
"""

import argparse
import os
import time

import numpy as np

import qembed

SETTINGS = [  # (label, dim, entries, stages, groups)
    ("VQ d4 K256", 4, 256, 1, 1), ("VQ d4 K256 g8", 4, 256, 1, 8),
    ("VQ d8 K256x2", 8, 256, 2, 1), ("VQ d8 K4096", 8, 4096, 1, 1)]


def best_seconds(fn, reps):
    """The fastest of `reps` calls of fn (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def random_vq(rng, rows, cols, dim, entries, stages, groups):
    bits = entries.bit_length() - 1
    words = (cols // dim * stages * bits + 31) // 32
    codes = rng.integers(-2**31, 2**31, (rows, words), dtype=np.int64)
    return qembed.CodebookTable(
        codes.astype(np.int32),
        rng.uniform(0.5, 2, (rows, 1)).astype(np.float16),
        rng.standard_normal((groups, stages, entries, dim)).astype(
            np.float16), cols, dim, entries, stages, groups, "f16")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=32000)
    p.add_argument("--cols", type=int, default=4096)
    p.add_argument("--tokens", default="256,4096")
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((a.rows, a.cols)).astype(np.float16)
    print("table %d x %d, %d cores, load average %s" % (
        a.rows, a.cols, os.cpu_count(), os.getloadavg()))
    for tokens in [int(t) for t in a.tokens.split(",")]:
        ids = rng.integers(0, a.rows, tokens)
        base = best_seconds(lambda: np.take(dense, ids, axis=0), a.reps)
        print("tokens %6d  numpy take f16: %10.0f rows/s" % (tokens,
                                                             tokens / base))
        for label, dim, entries, stages, groups in SETTINGS:
            q = random_vq(rng, a.rows, a.cols, dim, entries, stages, groups)
            for threads in (1, 0):
                t = best_seconds(lambda: qembed.gather_vq(
                    q, ids, out_dtype="f16", threads=threads), a.reps)
                print("tokens %6d  %-14s threads=%-3s %10.0f rows/s  "
                      "%.2fx numpy" % (tokens, label, threads or "all",
                                       tokens / t, base / t))


if __name__ == "__main__":
    main()
