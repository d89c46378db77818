#!/usr/bin/env python3
"""CPU fused gather against numpy: in one process, numpy's `take` of the
dense fp16 table (the rows an unquantized model would copy) and
qembed.gather of W4 g64 and W8 per-channel tables (f16 scales, f16 output)
of the same shape, for several token counts, on 1 thread and on all cores.
Prints rows/s (best of the repetitions) and the ratio qembed / numpy.

The tables hold random codes and scales: the gather's speed does not
depend on the values. numpy's take is single-threaded, so its one number is
the reference for both thread counts.

Usage: PYTHONPATH=<qembed install> python3 bench/cpu_gather.py
           [--rows 128256] [--cols 4096] [--tokens 256,4096,32768] [--reps 7]
"""

import argparse
import os
import platform
import time

import numpy as np

import qembed


def best_seconds(fn, reps):
    """The fastest of `reps` calls of fn (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=128256)
    ap.add_argument("--cols", type=int, default=4096)
    ap.add_argument("--tokens", default="256,4096,32768")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    rows, cols = args.rows, args.cols
    tokens = [int(t) for t in args.tokens.split(",")]
    rng = np.random.default_rng(0)

    # The dense fp16 table, filled in slices to bound the temporaries.
    dense = np.empty((rows, cols), dtype=np.float16)
    for r in range(0, rows, 8192):
        dense[r:r + 8192] = rng.standard_normal(
            (min(8192, rows - r), cols), dtype=np.float32) * 0.02

    def table(bits, group):
        words = (cols * bits + 31) // 32
        groups = cols // group if group else 1
        packed = rng.integers(-2**31, 2**31, size=(rows, words),
                              dtype=np.int64).astype(np.int32)
        scales = (rng.random((rows, groups), dtype=np.float32) * 0.01
                  + 1e-4).astype(np.float16)
        return qembed.QuantizedTable(packed, scales, None, cols, bits, group,
                                     True, "f16")

    tables = [("W4 g64", table(4, 64)), ("W8 channel", table(8, 0))]
    cores = os.cpu_count()
    print("CPU: %s, %d cores; load average %s" % (
        cpu_model(), cores, " ".join("%.2f" % x for x in os.getloadavg())))
    print("table %dx%d, f16 output, best of %d; numpy %s, take of the dense "
          "fp16 table (single-threaded)" % (rows, cols, args.reps,
                                            np.__version__))
    header = "%-11s %7s %8s %14s %14s %7s" % (
        "table", "tokens", "threads", "numpy rows/s", "qembed rows/s",
        "ratio")
    print(header)
    print("-" * len(header))
    for n in tokens:
        ids = rng.integers(0, rows, size=n, dtype=np.int64)
        out = np.empty((n, cols), dtype=np.float16)
        reps = args.reps if n <= 4096 else max(3, args.reps // 2)
        t_np = best_seconds(lambda: np.take(dense, ids, axis=0, out=out), reps)
        for name, q in tables:
            for threads in (1, 0):
                t_q = best_seconds(
                    lambda: qembed.gather(q, ids, out_dtype="f16", out=out,
                                          threads=threads), reps)
                print("%-11s %7d %8s %14.3g %14.3g %7.2f" % (
                    name, n, "1" if threads == 1 else "all (%d)" % cores,
                    n / t_np, n / t_q, t_np / t_q))
    print("load average after: %s" % " ".join(
        "%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
