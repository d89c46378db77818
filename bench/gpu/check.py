#!/usr/bin/env python3
"""GPU correctness of qembed's generated kernels (run on the GPU machine):
random packed tables, scales and zero points for every entry point of
gen_entry_points.py, token counts 1 ... 32768, ids 0 and V-1, repeated and
out-of-range ids (clamped); the output must equal reference.py bit for bit
and every element must be written. `--big` adds a table over 2^31 bytes."""

import argparse
import sys

import torch

from qembed_gpu import DTYPES, Library
from reference import dequant_rows


def make_inputs(cfg, rows, gen):
    dev = "cuda"
    packed = torch.randint(-2**31, 2**31, (rows, cfg["words"]),
                           dtype=torch.int32, device=dev, generator=gen)
    scales = (torch.randn(rows, cfg["groups"], device=dev, generator=gen)
              * 0.01).to(DTYPES[cfg["scale"]])
    zps = None
    if not cfg["symmetric"]:
        lo, hi = -(1 << (cfg["bits"] - 1)), (1 << (cfg["bits"] - 1))
        zps = torch.randint(lo, hi, (rows, cfg["groups"]), dtype=torch.int8,
                            device=dev, generator=gen)
    return packed, scales, zps


def make_ids(n, rows, gen):
    ids = torch.randint(0, rows, (n,), dtype=torch.int64, device="cuda",
                        generator=gen)
    special = torch.tensor([0, rows - 1, 3 % rows, 3 % rows, -5, rows + 7],
                           device="cuda")
    k = min(n, special.numel())
    ids[:k] = special[:k]
    return ids


def run_one(lib, name, rows, n, gen):
    fn = lib.function(name)
    cfg = fn.cfg
    packed, scales, zps = make_inputs(cfg, rows, gen)
    ids = make_ids(n, rows, gen)
    out_dtype = DTYPES[cfg["out"]]
    out = torch.full((n, cfg["d"]), float("nan"), dtype=out_dtype,
                     device="cuda")
    fn(packed, scales, ids, out, zps)
    torch.cuda.synchronize()
    ref = dequant_rows(packed, scales, zps, ids, cfg, out_dtype,
                       DTYPES[cfg["scale"]])
    ibits = torch.int32 if out_dtype == torch.float32 else torch.int16
    bad = (out.view(ibits) != ref.view(ibits)).sum().item()
    unwritten = torch.isnan(out).sum().item() - torch.isnan(ref).sum().item()
    return bad, unwritten


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="few token counts (for compute-sanitizer)")
    a = ap.parse_args()
    lib = Library()
    gen = torch.Generator(device="cuda")
    gen.manual_seed(2026)
    failures, runs = 0, 0
    counts = (1, 5, 64) if a.quick else (1, 5, 64, 1000, 32768)
    for name, cfg in sorted(lib.manifest.items()):
        if cfg["d"] > 4096 and name != "g_b4_g64_sym_sf16_of16_d8192":
            continue  # the other wide ones are covered by the benchmark shapes
        rows = 1000 if cfg["d"] <= 4096 else 300
        for n in counts:
            if cfg["d"] >= 4096 and n > 4096:
                n = 4096
            bad, unwritten = run_one(lib, name, rows, n, gen)
            runs += 1
            if bad or unwritten:
                failures += 1
                print("FAIL %s tokens=%d: %d mismatches, %d unwritten"
                      % (name, n, bad, unwritten))
    if a.big:
        # W8 per-row, D = 8192, 300000 rows: 2.46e9 bytes of packed words.
        name = "g_b8_g0_sym_sbf16_obf16_d8192"
        cfg = lib.function(name).cfg
        rows = 300000
        gen2 = torch.Generator(device="cuda")
        gen2.manual_seed(7)
        bad, unwritten = run_one(lib, name, rows, 4096, gen2)
        runs += 1
        print("big table %d x %d words (%d bytes): %d mismatches" % (
            rows, cfg["words"], rows * cfg["words"] * 4, bad))
        failures += bool(bad or unwritten)
    print("%d passed, %d failed" % (runs - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
