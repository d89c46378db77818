#!/usr/bin/env python3
"""Compares launch configurations of the generated kernel (the variants of
build_variants.sh) on the benchmark shapes, one process, one GPU."""

import glob
import os

import torch
from triton.testing import do_bench

import os as _os
import sys as _sys
_sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "..", "python", "tests", "gpu"))
from aot_library import Library

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENS = [int(t) for t in os.environ.get("TOKENS", "4096,32768").split(",")]


def main():
    torch.manual_seed(0)
    folders = sorted(glob.glob(os.path.join(HERE, "..", "..", "build", "gpu",
                                            "variants", "*", "")))
    libs = [(open(os.path.join(f, "config.txt")).read().strip(), Library(f))
            for f in folders]
    for v, d in ((128256, 4096), (152064, 8192)):
        for bits, group in ((4, 64), (8, 0), (2, 64)):
            name = "g_b%d_g%d_sym_sf16_of16_d%d" % (bits, group, d)
            cfg = libs[0][1].manifest[name]
            packed = torch.randint(-2**31, 2**31, (v, cfg["words"]),
                                   dtype=torch.int32, device="cuda")
            scales = torch.rand(v, cfg["groups"], device="cuda").half()
            for n in TOKENS:
                ids = torch.randint(0, v, (n,), device="cuda")
                out = torch.empty(n, d, dtype=torch.float16, device="cuda")
                nbytes = n * (cfg["words"] * 4 + cfg["groups"] * 2 + 8 + 2 * d)
                res = []
                for label, lib in libs:
                    lib.use_torch_stream()
                    fn = lib.function(name).prepare(packed, scales, ids, out)
                    t = do_bench(fn, warmup=25, rep=100, return_mode="median")
                    res.append((t * 1e3, label))
                res.sort()
                print("%dx%d W%d g%d n=%d: " % (v, d, bits, group, n) +
                      " | ".join("%.1fus %.0fGB/s [%s]" % (
                          t, nbytes / t / 1e3, l) for t, l in res[:4]),
                      flush=True)


if __name__ == "__main__":
    main()
