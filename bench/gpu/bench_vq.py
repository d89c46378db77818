#!/usr/bin/env python3
"""GPU speed of qembed's codebook VQ gather kernel (PTX from
python/tests/gpu/fill_vq_cases.py, carried in build/vq_gpu_cases), in one
process: device copy bandwidth (torch, 1 GiB clone, read + write), the
dense f16 gather (torch.nn.functional.embedding) and the VQ kernel, on
128256 x 4096 and 152064 x 8192 tables of random codes, scales and
codebooks (the speed does not depend on the values), f16 output, for 4096
and 32768 tokens. Prints microseconds per call (CUDA events, median of 20
after warm-up) and % of copy bandwidth (bytes: output + code words + scales
per token).

With --before DIR (the kernels.json of fill_vq_cases.py run with an older
build), the older kernels run on the same data in the same process, and
the unroll and block-size variants in the cases folder (key suffixes _uN,
_bN) are timed too.

Usage (GPU machine): python3 bench/gpu/bench_vq.py [--before DIR]
[--batch N | --graph]"""

import json

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python", "tests", "gpu"))
import test_vq_cuda as t  # noqa: E402

TABLES = [(128256, 4096), (152064, 8192)]
TOKENS = [4096, 32768]
# Calls per timed batch (--batch N; 1 is the earlier single-call timing).
BATCH = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in \
    sys.argv else 1
# --graph: 10 calls captured in a CUDA graph per timing instead.
GRAPH = "--graph" in sys.argv


def time_us(fn, reps=20, batch=BATCH):
    """Median over `reps` of the time of `batch` back-to-back calls between
    two events, divided by `batch` (batch 1: one call between the events,
    which then also counts the host's launch latency when the GPU idles)."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(True), torch.cuda.Event(True)
        start.record()
        for _ in range(batch):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1e3 / batch)
    return sorted(times)[len(times) // 2]


def graph_us(fn, calls=10):
    """Time per call of `calls` calls captured in one CUDA graph and
    replayed (no host launch latency in the measurement)."""
    fn()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(calls):
            fn()
    us = time_us(graph.replay, batch=1) / calls
    del graph
    return us


def kernel_us(fn):
    return graph_us(fn) if GRAPH else time_us(fn)


def copy_gbps():
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    us = time_us(lambda: b.copy_(a), reps=10, batch=1)
    return 2 * a.numel() / (us * 1e-6) / 1e9


def main():
    before = {}
    if "--before" in sys.argv:
        with open(os.path.join(sys.argv[sys.argv.index("--before") + 1],
                               "kernels.json")) as f:
            before = {"before_" + k: v for k, v in json.load(f).items()
                      if k.startswith("bench_")}
    torch.manual_seed(0)
    copy = copy_gbps()
    print("%s, copy bandwidth (1 GiB, read+write): %.0f GB/s; timing: %s" % (
        torch.cuda.get_device_name(), copy,
        "CUDA graph of 10 calls" if GRAPH else "%d calls per event pair" %
        BATCH))
    print("| table | tokens | setting | VQ kernel | % of copy | dense f16 "
          "F.embedding | VQ / dense | before | speed-up | variants |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    entries = t.kernels()
    for rows, cols in TABLES:
        dense = torch.randn(rows, cols, dtype=torch.float16, device="cuda")
        for n in TOKENS:
            ids = torch.randint(0, rows, (n,), device="cuda")
            d_us = kernel_us(
                lambda: torch.nn.functional.embedding(ids, dense))
            for name in ("d4k256", "d4k256g8", "d8k256x2"):
                key = "bench_%s_c%d" % (name, cols)
                e = entries[key]
                bits = e["entries"].bit_length() - 1
                words = (cols // e["dim"] * e["stages"] * bits + 31) // 32
                codes = torch.randint(-2 ** 31, 2 ** 31, (rows, words),
                                      dtype=torch.int64,
                                      device="cuda").to(torch.int32)
                scales = torch.rand(rows, 1, device="cuda").half()
                books = torch.randn(e["groups"], e["stages"], e["entries"],
                                    e["dim"], device="cuda").half()
                out = torch.empty(n, cols, dtype=torch.float16, device="cuda")

                def run(k, entry):
                    return kernel_us(lambda: t.launch(k, entry, codes, scales,
                                                      books, ids, out, rows))
                us = run(key, e)
                ref = out.clone()
                old_us, variants = float("nan"), []
                if "before_" + key in before:
                    old_us = run("before_" + key, before["before_" + key])
                    # The older kernel computes the same bits.
                    assert torch.equal(out.view(torch.int16),
                                       ref.view(torch.int16))
                for k in sorted(entries):
                    if k.startswith(key + "_"):
                        variants.append("%s %.1f" % (k[len(key) + 1:],
                                                     run(k, entries[k])))
                        assert torch.equal(out.view(torch.int16),
                                           ref.view(torch.int16))
                moved = n * (cols * 2 + words * 4 + 2)
                print("| %dx%d | %d | %s | %.1f us | %.0f%% | %.1f us | "
                      "%.2fx | %.1f us | %.2fx | %s |" % (
                          rows, cols, n, name, us,
                          100 * moved / (us * 1e-6) / 1e9 / copy,
                          d_us, us / d_us, old_us, old_us / us,
                          ", ".join(variants)), flush=True)
                del codes


if __name__ == "__main__":
    main()
