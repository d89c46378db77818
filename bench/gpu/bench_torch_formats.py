#!/usr/bin/env python3
"""GPU per-call cost of qembed.torch's FloatFormatEmbedding (fp8 with f16
scales, nvfp4, mxfp4) and CodebookEmbedding (VQ d4 k256 and d8 k256 x2,
f16 codebooks) eager forwards, next to the same float-format kernels
launched directly (qembed.torch.float_format_gather: the module path's
overhead), the INT4 g64 QuantizedEmbedding (its launch-plan path) and
dense fp16 F.embedding, all in this process: a 128256x4096 table, f16
output, int64 ids, 1 / 16 / 4096 / 32768 uniform random tokens. Per call
= wall time of 200 back-to-back calls, then a synchronize, divided by 200
(median of 5). Each module is first checked bit-exact against the torch
references of python/tests/gpu/test_torch_formats_cuda.py.

Imports only torch and qembed.torch: the kernels come from
$QEMBED_CACHE_DIR (python/tests/gpu/fill_kernel_cache.py fills it).
Prints a markdown table; writes JSON to argv[1] if given."""

import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python", "tests", "gpu"))
from float_formats_ref import NVFP4_GLOBAL, random_table  # noqa: E402
from qembed import torch as qtorch  # noqa: E402
from qembed.torch import (  # noqa: E402
    CodebookEmbedding, FloatFormatEmbedding, QuantizedEmbedding)

V, D = 128256, 4096
TOKENS = [1, 16, 4096, 32768]
VQ = {"vq d4 k256": (4, 256, 1, 1), "vq d8 k256x2": (8, 256, 2, 1)}


def float_module(fmt, rows=V, device="cuda"):
    packed, scales = random_table(fmt, torch.float16, rows, D, seed=1)
    return FloatFormatEmbedding(
        packed, scales, embedding_dim=D, format=fmt,
        global_scale=NVFP4_GLOBAL if fmt == "nvfp4" else 1.0,
        dtype=torch.float16).to(device)


def vq_module(dim, entries, stages, groups, rows=V, device="cuda"):
    gen = torch.Generator().manual_seed(2)
    words = -(-(D // dim) * stages * (entries.bit_length() - 1) // 32)
    codes = torch.randint(-2 ** 31, 2 ** 31, (rows, words), generator=gen,
                          dtype=torch.int64).to(torch.int32)
    scales = (torch.rand(rows, 1, generator=gen) * 0.02 + 1e-4).half()
    books = torch.randn(groups, stages, entries, dim, generator=gen).half()
    return CodebookEmbedding(codes, scales, books, embedding_dim=D,
                             dtype=torch.float16).to(device)


def kernel_modules():
    """Small CPU modules with this benchmark's kernel parameters (for
    fill_kernel_cache.py)."""
    return [float_module(f, rows=4, device="cpu")
            for f in ("fp8", "nvfp4", "mxfp4")] + [
        vq_module(*cfg, rows=4, device="cpu") for cfg in VQ.values()]


def per_call_us(fn, calls=200):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(times)


def main():
    import test_torch_formats_cuda as ref
    torch.manual_seed(0)
    runs = {}
    dense = (torch.randn(V, D, device="cuda") * 0.02).half()
    runs["dense"] = lambda ids: F.embedding(ids, dense)
    gen = torch.Generator(device="cuda").manual_seed(4)
    runs["W4 g64 module"] = QuantizedEmbedding(
        torch.randint(-2 ** 31, 2 ** 31 - 1, (V, D // 8), dtype=torch.int32,
                      device="cuda", generator=gen),
        (torch.rand(V, D // 64, device="cuda", generator=gen) * 0.01).half(),
        embedding_dim=D, bits=4, group_size=64, dtype=torch.float16)
    check = torch.randint(0, V, (4096,), device="cuda")
    for fmt in ("fp8", "nvfp4", "mxfp4"):
        m = float_module(fmt)
        got = m(check).cpu()
        want = ref.dequant_rows(m.packed, m.scales, check, fmt, D,
                                torch.float16, global_scale=m.global_scale)
        if not torch.equal(got.view(torch.int16), want.view(torch.int16)):
            raise SystemExit("%s module: not bit-exact" % fmt)
        runs[fmt + " module"] = m
        runs[fmt + " direct"] = (
            lambda ids, m=m: qtorch.float_format_gather(
                m.packed, m.scales, ids, m.format, D, torch.float16,
                global_scale=m.global_scale))
    for name, cfg in VQ.items():
        m = vq_module(*cfg)
        entry = {"cols": D, "book": "f16", "out": "f16"}
        want = ref.torch_reference(entry, m.codes, m.scales.view(torch.int16),
                                   m.codebooks.view(torch.int16), check,
                                   cfg).cpu()
        if not torch.equal(m(check).cpu().view(torch.int16),
                           want.view(torch.int16)):
            raise SystemExit("%s module: not bit-exact" % name)
        runs[name + " module"] = m
    print("device %s; per call (us), %dx%d f16 output, int64 ids"
          % (torch.cuda.get_device_name(), V, D))
    results = []
    for n in TOKENS:
        ids = torch.randint(0, V, (n,), device="cuda")
        for kind, fn in runs.items():
            results.append(dict(kind=kind, tokens=n,
                                us=per_call_us(lambda: fn(ids))))
    kinds = list(runs)
    print("| tokens | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for n in TOKENS:
        cells = ["%.1f" % r["us"] for k in kinds for r in results
                 if r["kind"] == k and r["tokens"] == n]
        print("| %d | %s |" % (n, " | ".join(cells)))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
