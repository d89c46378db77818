#!/usr/bin/env python3
"""Before/after GPU benchmark of qembed's gather kernels in one process:
bench_float_formats.py's tables, tokens and kernels (INT8 channel, INT4 g64,
FP8, NVFP4, MXFP4; dense fp16 once), each timed with the kernels of two disk
caches -- "before" ($QEMBED_CACHE_DIR_BEFORE, e.g. filled from main) and
"after" ($QEMBED_CACHE_DIR) -- alternating per table and token count, on the
same tables and ids (5 alternating rounds, median), with the copy bandwidth measured in the same process.
Every float-format run of both caches is first checked bit-exact against
the torch reference (float_formats_ref.py).

Imports only torch and qembed.torch. Usage:
  QEMBED_CACHE_DIR_BEFORE=DIR1 QEMBED_CACHE_DIR=DIR2 \\
      bench_float_formats_ab.py [out.json]
Prints a markdown table (us and % of copy, before -> after)."""

import json
import os
import statistics
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python", "tests", "gpu"))
import bench_float_formats as bf  # noqa: E402
from float_formats_ref import NVFP4_GLOBAL, dequant_rows, random_table  # noqa: E402
from qembed import torch as qtorch  # noqa: E402
from qembed.torch import QuantizedEmbedding  # noqa: E402

KINDS = ["W8 ch", "fp8", "W4 g64", "nvfp4", "mxfp4"]
ROUNDS = 5


def use_cache(directory, modules):
    """Makes qembed.torch load kernels from `directory` from now on: drops
    every loaded kernel and launch plan (process-wide and per module)."""
    os.environ["QEMBED_CACHE_DIR"] = directory
    with qtorch._lock:
        qtorch._ptx.clear()
        qtorch._loaded.clear()
        qtorch._launchers.clear()
    for m in modules:
        m._plans = {}


def main():
    sides = {"before": os.environ["QEMBED_CACHE_DIR_BEFORE"],
             "after": os.environ["QEMBED_CACHE_DIR"]}
    torch.manual_seed(0)
    copy = bf.copy_gbs()
    print("device %s, copy %.0f GB/s (read+write, 1 GiB)" % (
        torch.cuda.get_device_name(), copy), flush=True)
    rows_out = []
    for v, d in bf.TABLES:
        runs, modules = {}, []
        dense = (torch.randn(v, d, device="cuda") * 0.02).half()
        for bits, group in bf.INT_SCHEMES:
            gen = torch.Generator(device="cuda").manual_seed(bits)
            groups = 1 if group == 0 else d // group
            m = QuantizedEmbedding(
                torch.randint(-2 ** 31, 2 ** 31 - 1, (v, d * bits // 32),
                              dtype=torch.int32, device="cuda",
                              generator=gen),
                (torch.rand(v, groups, device="cuda", generator=gen) *
                 0.01).half(), embedding_dim=d, bits=bits, group_size=group,
                dtype=torch.float16)
            modules.append(m)
            runs["W4 g64" if bits == 4 else "W8 ch"] = m
        tables = {}
        for fmt in bf.FORMATS:
            packed, scales = random_table(fmt, torch.float16, v, d, seed=1,
                                          device="cuda")
            tables[fmt] = (packed, scales)
            runs[fmt] = (lambda ids, fmt=fmt, p=packed, s=scales:
                         qtorch.float_format_gather(
                             p, s, ids, fmt, d, torch.float16,
                             global_scale=NVFP4_GLOBAL))
        for n in bf.TOKENS:
            ids = torch.randint(0, v, (n,), device="cuda")
            t = bf.median_us(lambda: F.embedding(ids, dense))
            moved = n * (bf.row_bytes("dense", d) + 8 + d * 2)
            rows_out.append(dict(table="%dx%d" % (v, d), kind="dense",
                                 side="both", tokens=n, us=t,
                                 pct_copy=100 * moved / (t * 1e-6) / 1e9 /
                                 copy))
            for side, directory in sides.items():
                use_cache(directory, modules)
                for fmt, (packed, scales) in tables.items():
                    got = runs[fmt](ids)
                    want = dequant_rows(packed, scales, ids, fmt, d,
                                        torch.float16)
                    if not torch.equal(got.cpu().view(torch.int16),
                                       want.view(torch.int16)):
                        raise SystemExit("%s %s %dx%d: not bit-exact"
                                         % (side, fmt, v, d))
            # ROUNDS alternating rounds of both sides; each kind's time is
            # the median over rounds of its per-round median.
            times = {}
            for _ in range(ROUNDS):
                for side, directory in sides.items():
                    use_cache(directory, modules)
                    for kind in KINDS:
                        fn = runs[kind]
                        times.setdefault((side, kind), []).append(
                            bf.median_us(lambda: fn(ids)))
            for (side, kind), ts in times.items():
                t = statistics.median(ts)
                moved = n * (bf.row_bytes(kind, d) + 8 + d * 2)
                rows_out.append(dict(table="%dx%d" % (v, d), kind=kind,
                                     side=side, tokens=n, us=t,
                                     rounds_us=ts,
                                     pct_copy=100 * moved / (t * 1e-6) /
                                     1e9 / copy))
            print("%dx%d %d tokens done" % (v, d, n), flush=True)
        del runs, tables, dense, modules
        torch.cuda.empty_cache()

    def cell(table, n, kind, side):
        r = next(r for r in rows_out if r["table"] == table and
                 r["tokens"] == n and r["kind"] == kind and r["side"] == side)
        return r
    print("| table | tokens | dense f16 | " + " | ".join(
        "%s before -> after" % k for k in KINDS) + " |")
    print("|---|---|---|" + "---|" * len(KINDS))
    for v, d in bf.TABLES:
        table = "%dx%d" % (v, d)
        for n in bf.TOKENS:
            dn = cell(table, n, "dense", "both")
            cells = ["%.1f us, %.0f%%" % (dn["us"], dn["pct_copy"])]
            for kind in KINDS:
                b, a = cell(table, n, kind, "before"), cell(table, n, kind,
                                                            "after")
                cells.append("%.1f us, %.0f%% -> %.1f us, %.0f%%" % (
                    b["us"], b["pct_copy"], a["us"], a["pct_copy"]))
            print("| %s | %d | %s |" % (table, n, " | ".join(cells)))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(dict(device=torch.cuda.get_device_name(), copy_gbs=copy,
                           rows=rows_out), f, indent=1)


if __name__ == "__main__":
    main()
