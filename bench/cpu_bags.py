#!/usr/bin/env python3
"""CPU EmbeddingBag: in one process, PyTorch's CPU F.embedding_bag on the
dense table and qembed.gather_bags on W4 g64 and W8 per-row quantized copies
(scales and output in the table's dtype), for a few bag shapes. Prints bags/s
(best of the repetitions) and the ratio qembed / PyTorch. Both run on one
thread (torch.set_num_threads(1); gather_bags is single-threaded).

Usage: PYTHONPATH=<qembed install> python3 bench/cpu_bags.py
           [--rows 32000] [--cols 1024] [--dtype f32|f16]
           [--bags 256] [--bag-sizes 1,20,100] [--reps 5]
"""

import argparse
import time

import numpy as np
import torch

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=32000)
    ap.add_argument("--cols", type=int, default=1024)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--bags", type=int, default=256)
    ap.add_argument("--bag-sizes", default="1,20,100")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    np_dtype = np.float32 if a.dtype == "f32" else np.float16
    table = (rng.standard_normal((a.rows, a.cols), dtype=np.float32)
             * 0.02).astype(np_dtype)
    dense = torch.from_numpy(table)
    quantized = {"W4 g64": qembed.quantize(table, bits=4, group_size=64,
                                           error_stats=False),
                 "W8 row": qembed.quantize(table, bits=8, group_size=0,
                                           error_stats=False)}
    print("table %dx%d %s, %d bags, 1 thread" % (a.rows, a.cols, a.dtype,
                                                 a.bags))
    print("%9s %6s %14s %14s %8s" % ("bag size", "table", "torch bags/s",
                                     "qembed bags/s", "ratio"))
    for size in (int(s) for s in a.bag_sizes.split(",")):
        ids = rng.integers(0, a.rows, size=a.bags * size).astype(np.int64)
        offsets = np.arange(0, a.bags * size, size, dtype=np.int64)
        tids, toffs = torch.from_numpy(ids), torch.from_numpy(offsets)
        t_torch = best_seconds(lambda: torch.nn.functional.embedding_bag(
            tids, dense, toffs, mode="sum"), a.reps)
        for name, q in quantized.items():
            t_q = best_seconds(lambda: qembed.gather_bags(
                q, ids, offsets, mode="sum", out_dtype=a.dtype), a.reps)
            print("%9d %6s %14.0f %14.0f %7.2fx" % (
                size, name, a.bags / t_torch, a.bags / t_q, t_torch / t_q))


if __name__ == "__main__":
    main()
