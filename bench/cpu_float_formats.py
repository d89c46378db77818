#!/usr/bin/env python3
"""CPU speed of qembed.gather (the numerics library's fused gather) for the
float formats FP8 / NVFP4 / MXFP4 against INT4 g64 and INT8 channel, in one
process, on one thread: a 32000x4096 bf16 table, 4096 random ids, bf16
output; best of 5. FP8 decodes each code with integer operations in a
loop compiled for AVX-512 / AVX2 + F16C (picked at run time); NVFP4 / MXFP4
use per-group tables of the 16 output values (scalar lookups); the INT path
has AVX2/AVX-512 code.
Usage: PYTHONPATH=<qembed install> python3 bench/cpu_float_formats.py"""
import time, numpy as np, qembed
rng = np.random.default_rng(0)
V, D, N = 32000, 4096, 4096
t = (rng.standard_normal((V, D)) * 0.02).astype(np.float32).view(np.uint32)
t = ((t + 0x7FFF + ((t >> 16) & 1)) >> 16).astype(np.uint16)  # bf16 bits
ids = rng.integers(0, V, N).astype(np.int64)
def best(fn, reps=5):
    fn(); ts = []
    for _ in range(reps):
        s = time.perf_counter(); fn(); ts.append(time.perf_counter() - s)
    return min(ts)
res = {}
for label, kw in [("INT8 channel", dict(bits=8, group_size=0)), ("INT4 g64", dict(bits=4, group_size=64)),
                  ("FP8", dict(format="fp8")), ("NVFP4", dict(format="nvfp4")), ("MXFP4", dict(format="mxfp4"))]:
    q = qembed.quantize(t, dtype="bf16", error_stats=False, **kw)
    out = np.empty((N, D), np.uint16)
    for th in (1,):
        res[label] = best(lambda: qembed.gather(q, ids, out_dtype="bf16", out=out, threads=th))
base = res["INT4 g64"]
for k, v in res.items():
    print("%-13s %8.2f ms  %6.1f GB/s written  %.2fx INT4 g64 time" % (k, v * 1e3, N * D * 2 / v / 1e9, v / base))
