#!/usr/bin/env python3
"""GPU-machine half of bench/iree/make_vq_cuda.py: codebook VQ gathers
compiled by IREE for CUDA, checked and timed.

  check   vq_*.vmfb: 0, 1, 7, 4096, 32768 tokens (ids 0 and V-1 included)
          bit for bit against qembed's reference dequantization.
  speed   iree-benchmark-module on the gather-only functions (128256 x
          4096, f16 output): each VQ setting as IREE's codegen and as
          qembed's codebook kernel (custom dispatch), and IREE's dense f16
          gather, in this process; copy bandwidth (CuPy) for the % of copy.

Usage: run_vq_cuda.py check | speed"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_cuda_dispatch as base  # noqa: E402

base.DIR = os.path.join(HERE, "..", "..", "build", "iree_vq_cuda")
CONFIGS = {"d4k256": (4, 256, 1, 1), "d8k32x3g4": (8, 32, 3, 4),
           "d4k256g8": (4, 256, 1, 8)}
ROWS, COLS = 128256, 4096


def check():
    ok = True
    for cfg in CONFIGS:
        fn = base.load("vq_%s.vmfb" % cfg)["forward"]
        deq = np.load(os.path.join(base.DIR, "vqdeq_%s.npy" % cfg))
        for n in (1, 7, 4096, 32768):
            ids = base.ids_for(n, deq.shape[0], n).reshape(1, n)
            out = np.asarray(fn(ids).to_host())
            same = np.array_equal(out.view(np.uint32),
                                  deq[ids].view(np.uint32))
            ok &= same
            print("%s %6d tokens: %s" % (cfg, n, "bit-exact" if same else
                                         "DIFFERS"))
    print("PASS" if ok else "FAIL")
    return ok


def speed():
    copy = base.copy_gbps()
    print("copy bandwidth (1 GiB, read+write): %.0f GB/s" % copy)
    print("| tokens | setting | IREE codegen | qembed dispatch | dense f16 "
          "gather | dispatch / dense | codegen % of copy | dispatch % of "
          "copy |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in (4096, 32768):
        ids = os.path.join(base.DIR, "ids_%d.npy" % n)
        np.save(ids, base.ids_for(n, ROWS, 1))
        dense = base.iree_bench("vqspeed_dense.vmfb",
                                ["%dx%dxf16=0.5" % (ROWS, COLS), "@" + ids])[0]
        for cfg, (dim, entries, stages, groups) in CONFIGS.items():
            words = (COLS // dim * stages * (entries.bit_length() - 1) + 31) \
                // 32
            inputs = ["%dx%dxi32=305419896" % (ROWS, words),
                      "%dx1xf16=0.01" % ROWS,
                      "%dx%dx%dx%dxf16=0.5" % (groups, stages, entries, dim),
                      "@" + ids]
            t = base.iree_bench("vqspeed_%s.vmfb" % cfg, inputs)[0]
            td = base.iree_bench("vqspeed_dispatch_%s.vmfb" % cfg, inputs)[0]
            moved = n * (COLS * 2 + words * 4 + 2)  # out + codes + scale
            print("| %d | %s | %.1f us | %.1f us | %.1f us | %.2fx | %.0f%% "
                  "| %.0f%% |" % (
                      n, cfg, t, td, dense, td / dense,
                      100 * moved / (t * 1e-6) / 1e9 / copy,
                      100 * moved / (td * 1e-6) / 1e9 / copy))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "check"
    if what == "check":
        sys.exit(0 if check() else 1)
    speed()
