#!/usr/bin/env python3
"""GPU benchmark of the float formats (one process, one GPU): qembed's
generated gather kernel for FP8 (per-row f16 scales), NVFP4 and MXFP4
(qembed.torch.float_format_gather) next to its INT4 g64 and INT8 channel
kernels (qembed.torch.QuantizedEmbedding) and dense fp16 F.embedding, for
128256x4096 and 152064x8192 tables at 4096 and 32768 uniform random
tokens, f16 output. Speed is the bytes a lookup must move (packed rows +
scales read, ids read, output written) per second as % of the device's copy
bandwidth (1 GiB, read + write), all measured in this process. Every float
run is first checked bit-exact against the torch reference
(python/tests/gpu/float_formats_ref.py).

With --graph, each timing replays a CUDA graph of 10 captured calls (GPU
time only: no host launch latency, which at 4096 tokens is as long as the
kernels themselves).

Imports only torch and qembed.torch: the kernels come from
$QEMBED_CACHE_DIR (python/tests/gpu/fill_kernel_cache.py fills it).
Prints a markdown table; writes JSON to argv[1] if given."""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests", "gpu"))
from float_formats_ref import NVFP4_GLOBAL, dequant_rows, random_table  # noqa: E402
from qembed import torch as qtorch  # noqa: E402
from qembed.torch import QuantizedEmbedding  # noqa: E402
from timing import copy_gbs, graph_us, median_us  # noqa: E402

TABLES = [(128256, 4096), (152064, 8192)]
TOKENS = [4096, 32768]
FORMATS = ["fp8", "nvfp4", "mxfp4"]
INT_SCHEMES = [(4, 64), (8, 0)]
REPS = 100
GRAPH = "--graph" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--graph"]


def kernel_us(fn):
    return graph_us(fn) if GRAPH else median_us(fn, reps=REPS)


def row_bytes(kind, cols):
    """Bytes read per looked-up row (packed codes + scales)."""
    return {"fp8": cols + 2, "nvfp4": cols // 2 + cols // 16,
            "mxfp4": cols // 2 + cols // 32, "W4 g64": cols // 2 +
            cols // 64 * 2, "W8 ch": cols + 2, "dense": cols * 2}[kind]


def main():
    torch.manual_seed(0)
    copy = copy_gbs()
    print("device %s, copy %.0f GB/s (read+write, 1 GiB); timing: %s" % (
        torch.cuda.get_device_name(), copy,
        "CUDA graph of 10 calls" if GRAPH else "one call per event pair"))
    rows_out = []
    for v, d in TABLES:
        runs = {}
        dense = (torch.randn(v, d, device="cuda") * 0.02).half()
        runs["dense"] = lambda ids: F.embedding(ids, dense)
        for bits, group in INT_SCHEMES:
            gen = torch.Generator(device="cuda").manual_seed(bits)
            groups = 1 if group == 0 else d // group
            m = QuantizedEmbedding(
                torch.randint(-2 ** 31, 2 ** 31 - 1, (v, d * bits // 32),
                              dtype=torch.int32, device="cuda",
                              generator=gen),
                (torch.rand(v, groups, device="cuda", generator=gen) *
                 0.01).half(), embedding_dim=d, bits=bits, group_size=group,
                dtype=torch.float16)
            runs["W4 g64" if bits == 4 else "W8 ch"] = m
        tables = {}
        for fmt in FORMATS:
            packed, scales = random_table(fmt, torch.float16, v, d, seed=1,
                                          device="cuda")
            tables[fmt] = (packed, scales)
            runs[fmt] = (lambda ids, fmt=fmt, p=packed, s=scales:
                         qtorch.float_format_gather(
                             p, s, ids, fmt, d, torch.float16,
                             global_scale=NVFP4_GLOBAL))
        for n in TOKENS:
            ids = torch.randint(0, v, (n,), device="cuda")
            for fmt, (packed, scales) in tables.items():
                got = runs[fmt](ids)
                want = dequant_rows(packed, scales, ids, fmt, d,
                                    torch.float16)
                if not torch.equal(got.cpu().view(torch.int16),
                                   want.view(torch.int16)):
                    raise SystemExit("%s %dx%d: not bit-exact" % (fmt, v, d))
            for kind, fn in runs.items():
                t = kernel_us(lambda: fn(ids))
                moved = n * (row_bytes(kind, d) + 8 + d * 2)
                rows_out.append(dict(table="%dx%d" % (v, d), kind=kind,
                                     tokens=n, us=t,
                                     pct_copy=100 * moved / (t * 1e-6) /
                                     1e9 / copy))
        del runs, tables, dense
        torch.cuda.empty_cache()
    print("| table | tokens | " + " | ".join(
        ["dense", "W8 ch", "fp8", "W4 g64", "nvfp4", "mxfp4"]) + " |")
    print("|---|---|" + "---|" * 6)
    for v, d in TABLES:
        for n in TOKENS:
            cells = []
            for kind in ["dense", "W8 ch", "fp8", "W4 g64", "nvfp4", "mxfp4"]:
                r = next(r for r in rows_out if r["table"] == "%dx%d" % (v, d)
                         and r["tokens"] == n and r["kind"] == kind)
                cells.append("%.1f us, %.0f%%" % (r["us"], r["pct_copy"]))
            print("| %dx%d | %d | %s |" % (v, d, n, " | ".join(cells)))
    if ARGS:
        with open(ARGS[0], "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), copy_gbs=copy,
                           graph=GRAPH, rows=rows_out), f, indent=1)


if __name__ == "__main__":
    main()
