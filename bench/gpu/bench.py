#!/usr/bin/env python3
"""GPU benchmark (one process, one GPU): device copy bandwidth, qembed's
generated kernel, the Triton fused baseline (best of several block sizes),
dense fp16 F.embedding, and dequantize-the-whole-table-then-gather, for the
tables 128256x4096 and 152064x8192, W4 g64 / W8 channel / W2 g64, f16
output, 1 .. 32768 uniform random tokens. Times are do_bench medians (CUDA
events). Effective bandwidth counts packed + scale bytes and ids read and
output written. Prints a markdown table; writes JSON to argv[1] if given."""

import json
import sys

import torch
import torch.nn.functional as F
import triton
from triton.testing import do_bench

import os as _os
import sys as _sys
_sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "..", "python", "tests", "gpu"))
import triton_baseline
from aot_library import Library
from reference import dequant_rows

TABLES = [(128256, 4096), (152064, 8192)]
SCHEMES = [(4, 64), (8, 0), (2, 64)]
TOKENS = [1, 16, 256, 4096, 32768]
BLOCKS = [256, 512, 1024, 2048]


def bench(fn):
    return do_bench(fn, warmup=25, rep=100, return_mode="median") * 1e3  # us


def copy_bandwidth():
    n = 1 << 30
    x = torch.empty(n, dtype=torch.uint8, device="cuda").random_()
    y = torch.empty_like(x)
    t = bench(lambda: y.copy_(x))
    return 2 * n / (t * 1e-6) / 1e9


def main():
    torch.manual_seed(0)
    lib = Library()
    lib.use_torch_stream()
    copy = copy_bandwidth()
    print("device %s, copy %.0f GB/s (read+write, 1 GiB)" % (
        torch.cuda.get_device_name(), copy))
    rows_out = []
    for v, d in TABLES:
        dense = (torch.randn(v, d, device="cuda") * 0.02).half()
        for bits, group in SCHEMES:
            name = "g_b%d_g%d_sym_sf16_of16_d%d" % (bits, group, d)
            fn = lib.function(name)
            cfg = fn.cfg
            packed = torch.randint(-2**31, 2**31, (v, cfg["words"]),
                                   dtype=torch.int32, device="cuda")
            scales = (torch.rand(v, cfg["groups"], device="cuda") * 0.01
                      ).half()
            for n in TOKENS:
                ids = torch.randint(0, v, (n,), device="cuda")
                out = torch.empty(n, d, dtype=torch.float16, device="cuda")
                # Correctness of both fused kernels on these inputs.
                fn(packed, scales, ids, out)
                ref = dequant_rows(packed, scales, None, ids, cfg,
                                   torch.float16, torch.float16)
                ok = torch.equal(out.view(torch.int16), ref.view(torch.int16))
                t_q = bench(fn.prepare(packed, scales, ids, out))
                best = None
                for blk in BLOCKS:
                    if blk > d:
                        continue
                    for warps in (4, 8):
                        run = (lambda blk=blk, warps=warps: triton_baseline.gather(
                            packed, scales, ids, out, bits, group, blk, warps))
                        t = bench(run)
                        if best is None or t < best[0]:
                            best = (t, blk, warps)
                triton_baseline.gather(packed, scales, ids, out, bits, group,
                                       best[1], best[2])
                ok_tri = torch.equal(out.view(torch.int16),
                                     ref.view(torch.int16))
                t_dense = bench(lambda: F.embedding(ids, dense))
                all_ids = torch.arange(v, device="cuda")
                table = torch.empty(v, d, dtype=torch.float16, device="cuda")

                def dequant_then_gather():
                    triton_baseline.gather(packed, scales, all_ids, table,
                                           bits, group, best[1], best[2])
                    return F.embedding(ids, table)
                t_deq = bench(dequant_then_gather) if n >= 4096 else None
                q_bytes = n * (cfg["words"] * 4 + cfg["groups"] * 2 + 8 +
                               d * 2)
                d_bytes = n * (d * 2 + 8 + d * 2)
                row = dict(table="%dx%d" % (v, d), scheme="W%d %s" % (
                    bits, "ch" if group == 0 else "g%d" % group), tokens=n,
                    qembed_us=t_q, triton_us=best[0],
                    triton_cfg="BLOCK=%d warps=%d" % best[1:],
                    dense_us=t_dense, dequant_gather_us=t_deq,
                    qembed_pct=100 * q_bytes / (t_q * 1e-6) / 1e9 / copy,
                    triton_pct=100 * q_bytes / (best[0] * 1e-6) / 1e9 / copy,
                    dense_pct=100 * d_bytes / (t_dense * 1e-6) / 1e9 / copy,
                    qembed_gbs=q_bytes / (t_q * 1e-6) / 1e9,
                    exact=ok, triton_exact=ok_tri)
                rows_out.append(row)
                print("%-12s %-6s %6d  qembed %8.2f us (%5.1f%%)  triton %8.2f"
                      " us (%5.1f%%, %s)  dense %8.2f us (%5.1f%%)  deq+gather"
                      " %s  exact=%s/%s" % (
                          row["table"], row["scheme"], n, t_q,
                          row["qembed_pct"], best[0], row["triton_pct"],
                          row["triton_cfg"], t_dense, row["dense_pct"],
                          "%.1f us" % t_deq if t_deq else "-", ok, ok_tri),
                      flush=True)
            del packed, scales
        del dense
    if len(sys.argv) > 1:
        json.dump(dict(device=torch.cuda.get_device_name(), copy_gbs=copy,
                       rows=rows_out), open(sys.argv[1], "w"), indent=1)


if __name__ == "__main__":
    main()
