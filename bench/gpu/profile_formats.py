#!/usr/bin/env python3
"""Runs qembed's INT8 per-channel and FP8 gather kernels (and optionally
more formats) twice each on a 128256x4096 f16 table for N tokens, for Nsight
Compute: `ncu -k regex:qembed python3 bench/gpu/profile_formats.py 4096`.
Kernels come from $QEMBED_CACHE_DIR (fill_kernel_cache.py)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python", "tests", "gpu"))
from float_formats_ref import NVFP4_GLOBAL, random_table  # noqa: E402
from qembed import torch as qtorch  # noqa: E402
from qembed.torch import QuantizedEmbedding  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    formats = sys.argv[2].split(",") if len(sys.argv) > 2 else ["fp8"]
    v, d = 128256, 4096
    torch.manual_seed(0)
    w8 = QuantizedEmbedding(
        torch.randint(-2 ** 31, 2 ** 31 - 1, (v, d // 4), dtype=torch.int32,
                      device="cuda"),
        (torch.rand(v, 1, device="cuda") * 0.01).half(), embedding_dim=d,
        bits=8, group_size=0, dtype=torch.float16)
    ids = torch.randint(0, v, (n,), device="cuda")
    for _ in range(2):
        w8(ids)
    for fmt in formats:
        packed, scales = random_table(fmt, torch.float16, v, d, seed=1,
                                      device="cuda")
        for _ in range(2):
            qtorch.float_format_gather(packed, scales, ids, fmt, d,
                                       torch.float16,
                                       global_scale=NVFP4_GLOBAL)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
