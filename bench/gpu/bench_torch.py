#!/usr/bin/env python3
"""Benchmark of the PyTorch front door on one GPU, in one process: dense
fp16 F.embedding, the Triton baseline written after vLLM's design
(bench/gpu/triton_baseline.py, best of a block/warps sweep), qembed's kernel
launched directly through the runtime (prepared arguments, no custom op) and
qembed.torch.QuantizedEmbedding (f16 output) for a 128256x4096 table, W4 g64
and W8 channel, 1/16/4096/32768 uniform random tokens. Times are medians of many CUDA-event-timed launches (each timed
alone, after warm-up). Also the first-call cost of a module: JIT compile
(when the compiler extension is present) + load, and a first call served
from the disk cache, against the steady-state cached call.

Imports only torch and qembed.torch, so it runs on a machine without the
compiler extension when $QEMBED_CACHE_DIR holds the kernels. Prints a
markdown table; writes JSON to argv[1] if given."""

import functools
import json
import os
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qembed import torch as qtorch
from qembed.torch import QuantizedEmbedding
import timing  # noqa: E402  (bench/gpu/timing.py)

ROWS, COLS = 128256, 4096
SCHEMES = [("W4 g64", 4, 64), ("W8 channel", 8, 0)]
TOKENS = [1, 16, 4096, 32768]
REPS = 200
median_us = functools.partial(timing.median_us, reps=REPS)
# GPU time per call from a CUDA graph of 20 calls: the kernels' own cost,
# without Python or launch overhead.
graph_us = functools.partial(timing.graph_us, calls=20, reps=50)


def random_module(bits, group):
    gen = torch.Generator(device="cuda").manual_seed(bits)
    words = COLS * bits // 32
    groups = 1 if group == 0 else COLS // group
    packed = torch.randint(-2 ** 31, 2 ** 31 - 1, (ROWS, words),
                           dtype=torch.int32, device="cuda", generator=gen)
    scales = (torch.rand(ROWS, groups, device="cuda", generator=gen) *
              0.01).half()
    return QuantizedEmbedding(packed, scales, embedding_dim=COLS, bits=bits,
                              group_size=group, dtype=torch.float16)


def triton_config(m, ids, out, bits, group):
    """(median us, block, warps) of the best Triton baseline configuration."""
    import triton_baseline
    best = None
    for block in (256, 512, 1024):
        for warps in (4, 8):
            t = median_us(lambda: triton_baseline.gather(
                m.packed, m.scales, ids, out, bits, group, block, warps))
            if best is None or t < best[0]:
                best = (t, block, warps)
    return best


def direct_launcher(m, ids, out):
    """qembed's kernel launched through the runtime with arguments built
    once: the kernel's cost without the custom op's per-call work."""
    import ctypes
    from qembed import _cuda
    spr, sms, variants = qtorch._launcher(
        ids.device.index or 0, m.bits, m.group_size, m.symmetric,
        m.scales.dtype, m.dtype, m.embedding_dim, ids.dtype)
    n = ids.numel()
    function, block, per_block = variants[qtorch.choose_unroll(n, spr)]
    args = [ctypes.c_void_p(m.packed.data_ptr()),
            ctypes.c_void_p(m.scales.data_ptr()),
            ctypes.c_void_p(ids.data_ptr()), ctypes.c_void_p(out.data_ptr()),
            ctypes.c_int32(n), ctypes.c_int32(m.num_embeddings)]
    grid = (-(-n * spr // per_block), 1, 1)
    rt = _cuda.runtime()
    stream = torch.cuda.current_stream().cuda_stream
    return lambda: rt.launch(function, grid, (block, 1, 1), stream, args)


def copy_gbps():
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    return 2 * a.numel() / (median_us(lambda: b.copy_(a), reps=20) * 1e-6) \
        / 1e9


def forget_kernels():
    """Drops the in-process kernel caches (memory PTX and loaded modules)."""
    qtorch._ptx.clear()
    qtorch._loaded.clear()
    qtorch._launchers.clear()


def timed_first_call(m, ids):
    torch.cuda.synchronize()
    t = time.perf_counter()
    m(ids)
    torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1e3


def main():
    torch.manual_seed(0)
    device = torch.cuda.get_device_name()
    have_jit = qtorch.qembed.extension_available() and hasattr(
        qtorch.qembed._qembed, "gpu_gather_kernel")
    dense = (torch.randn(ROWS, COLS, device="cuda") * 0.02).half()
    results = {"device": device, "rows": ROWS, "cols": COLS, "runs": []}
    ids_of = {n: torch.randint(0, ROWS, (n,), device="cuda") for n in TOKENS}

    # One-time process costs (loading the runtime library, the driver's
    # first module load) are paid here, on a small module of another scheme,
    # so that the first calls below are those of a new scheme.
    t = time.perf_counter()
    warm = QuantizedEmbedding(
        torch.zeros(8, 32, dtype=torch.int32, device="cuda"),
        torch.ones(8, 8, dtype=torch.float16, device="cuda"),
        embedding_dim=512, bits=2, group_size=64)
    warm(ids_of[16] % 8)
    torch.cuda.synchronize()
    results["process_first_use_ms"] = (time.perf_counter() - t) * 1e3

    for label, bits, group in SCHEMES:
        m = random_module(bits, group)
        first = {}
        if have_jit:  # cold: a fresh cache folder, the JIT runs
            saved = os.environ.get("QEMBED_CACHE_DIR")
            with tempfile.TemporaryDirectory() as cold:
                os.environ["QEMBED_CACHE_DIR"] = cold
                forget_kernels()
                first["jit_ms"] = timed_first_call(m, ids_of[16])
                forget_kernels()
                first["disk_cache_ms"] = timed_first_call(m, ids_of[16])
            if saved is None:
                del os.environ["QEMBED_CACHE_DIR"]
            else:
                os.environ["QEMBED_CACHE_DIR"] = saved
        forget_kernels()
        first["first_call_ms"] = timed_first_call(m, ids_of[16])
        t = time.perf_counter()
        for _ in range(100):
            m(ids_of[16])
        torch.cuda.synchronize()
        first["cached_call_us"] = (time.perf_counter() - t) * 1e4
        results.setdefault("first_calls", {})[label] = first
        for n in TOKENS:
            ids = ids_of[n]
            out = torch.empty(n, COLS, dtype=torch.float16, device="cuda")
            t_dense = median_us(lambda: F.embedding(ids, dense))
            t_q = median_us(lambda: m(ids))
            direct = direct_launcher(m, ids, out)
            direct()
            assert torch.equal(out, m(ids)), "direct launch differs"
            t_direct = median_us(direct)
            t_tri, block, warps = triton_config(m, ids, out, bits, group)
            run = {"scheme": label, "tokens": n, "dense_us": t_dense,
                   "qembed_us": t_q, "direct_us": t_direct,
                   "triton_us": t_tri}
            if n <= 16:  # GPU time alone, from CUDA graph replay
                import triton_baseline
                run["graph_qembed_us"] = graph_us(lambda: m(ids))
                run["graph_triton_us"] = graph_us(
                    lambda: triton_baseline.gather(m.packed, m.scales, ids,
                                                   out, bits, group, block,
                                                   warps))
                run["graph_dense_us"] = graph_us(
                    lambda: F.embedding(ids, dense))
            results["runs"].append(run)

    results["copy_gbps"] = copy_gbps()
    print("device: %s; table %dx%d, f16 output; copy %.0f GB/s" % (
        device, ROWS, COLS, results["copy_gbps"]))
    print()
    print("| scheme | tokens | F.embedding fp16 us | Triton us | qembed "
          "kernel direct us | QuantizedEmbedding us | module / direct | "
          "module / Triton | dense / module |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["runs"]:
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2fx |"
              % (r["scheme"], r["tokens"], r["dense_us"], r["triton_us"],
                 r["direct_us"], r["qembed_us"],
                 r["qembed_us"] / r["direct_us"],
                 r["qembed_us"] / r["triton_us"],
                 r["dense_us"] / r["qembed_us"]))
    print()
    print()
    print("CUDA graph replay (GPU time per call, no launch overhead):")
    for r in results["runs"]:
        if "graph_qembed_us" in r:
            print("  %s, %d tokens: QuantizedEmbedding %.2f us, Triton %.2f "
                  "us, F.embedding %.2f us" % (
                      r["scheme"], r["tokens"], r["graph_qembed_us"],
                      r["graph_triton_us"], r["graph_dense_us"]))
    print("first use in the process (runtime library, driver): %.1f ms"
          % results["process_first_use_ms"])
    for label, first in results["first_calls"].items():
        print("%s: %s" % (label, ", ".join("%s %.2f" % kv
                                           for kv in first.items())))
    if len(sys.argv) > 1:
        json.dump(results, open(sys.argv[1], "w"), indent=2)


if __name__ == "__main__":
    main()
