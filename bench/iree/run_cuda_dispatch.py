#!/usr/bin/env python3
"""GPU-machine half of bench/iree/make_cuda_dispatch.py: qembed's kernel as
an IREE CUDA custom dispatch, checked and timed.

  check   exact_*.vmfb: 0, 1, 7, 4096, 32768 tokens (ids 0 and V-1 included)
          bit for bit against qembed's reference dequantization (INT, float
          formats and, when built, codebook VQ with f16 and bf16 rows); the
          fx-imported Llama-like models against the CPU build's outputs.
  speed   iree-benchmark-module on the gather-only functions: (a) custom
          dispatch, (b) IREE's codegen of --qembed-to-linalg, (c) IREE's
          dense f16 gather; the same kernel launched directly (CuPy, driver
          API) in this process; copy bandwidth.
  direct  one direct launch loop (for ncu).

Usage: run_cuda_dispatch.py check | speed | direct TOKENS"""

import json
import os
import subprocess
import sys

import numpy as np

TOKENS = [int(t) for t in os.environ.get("QEMBED_TOKENS",
                                         "1,4096,32768").split(",")]
DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "build", "iree_cuda_dispatch")
V, D = 4096, 512


def benchmark_tool():
    import iree._runtime_libs as libs
    return os.path.join(os.path.dirname(libs.__file__),
                        "iree-benchmark-module")


def load(name):
    import iree.runtime as rt
    ctx = rt.SystemContext(config=rt.Config("cuda"))
    vmfb = open(os.path.join(DIR, name), "rb").read()
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    return ctx.modules.module


def ids_for(n, v, seed):
    ids = np.random.default_rng(seed).integers(0, v, size=n).astype(np.int64)
    if n >= 2:
        ids[0], ids[-1] = 0, v - 1
    return ids


def check_vq():
    """exact_vq_*.vmfb (codebook VQ through qembed's codebook kernel) bit for
    bit against qembed.dequantize_vq (uint16 bit patterns: f16 or bf16)."""
    ok = True
    names = sorted(f[len("exact_"):-len(".vmfb")] for f in os.listdir(DIR)
                   if f.startswith("exact_vq_") and f.endswith(".vmfb"))
    if not names:
        print("codebook VQ: not built (make_cuda_dispatch.py --vq-only)")
    for cfg in names:
        fn = load("exact_%s.vmfb" % cfg)["forward"]
        deq = np.load(os.path.join(DIR, "deq_%s.npy" % cfg))
        for n in (0, 1, 7, 4096, 32768):
            ids = ids_for(n, deq.shape[0], n)
            result = fn(ids)
            # IREE's Python binding cannot map an empty result to the host;
            # bf16 rows are compared as their bit patterns.
            out = np.asarray(result.to_host()).view(np.uint16) if n else \
                np.zeros(result.shape, np.uint16)
            want = deq[ids]
            bad = int(np.count_nonzero(out != want)) \
                if out.shape == want.shape else -1
            print("exact %-20s tokens %5d: shape %s, %s" % (
                cfg, n, out.shape, "bit-exact" if bad == 0 else
                "%d elements differ" % bad))
            ok &= bad == 0
    return ok


def check():
    ok = check_vq()
    for cfg in ("w4g64", "w8ch", "w2g32asym", "w3g64", "fp8", "nvfp4",
                "mxfp4"):
        if not os.path.exists(os.path.join(DIR, "exact_%s.vmfb" % cfg)):
            print("exact %s: not built (make_cuda_dispatch.py --vq-only)"
                  % cfg)
            continue
        fn = load("exact_%s.vmfb" % cfg)["forward"]
        deq = np.load(os.path.join(DIR, "deq_%s.npy" % cfg))
        for n in (0, 1, 7, 4096, 32768):
            ids = ids_for(n, V, n)
            result = fn(ids)
            # IREE's Python binding cannot map an empty result to the host.
            out = np.asarray(result.to_host()) if n else \
                np.zeros(result.shape, np.float16)
            want = deq[ids]
            bad = int(np.count_nonzero(out.view(np.uint16) !=
                                       want.view(np.uint16))) \
                if out.shape == want.shape else -1
            print("exact %-10s tokens %5d: shape %s, %s" % (
                cfg, n, out.shape, "bit-exact" if bad == 0 else
                "%d elements differ" % bad))
            ok &= bad == 0
    for tag in ("untied", "tied"):
        if not os.path.exists(os.path.join(DIR, "llama_%s.vmfb" % tag)):
            print("llama %s: not built (make_cuda_dispatch.py --exact-only)"
                  % tag)
            continue
        ids = np.load(os.path.join(DIR, "llama_%s_ids.npy" % tag))
        cpu = np.load(os.path.join(DIR, "llama_%s_cpu.npy" % tag))
        out = np.asarray(load("llama_%s.vmfb" % tag)["forward"](ids).to_host())
        err = float(np.max(np.abs(out - cpu)))
        close = np.allclose(out, cpu, rtol=1e-5, atol=1e-6)
        print("llama-like %-6s CUDA vs CPU build: max |diff| %.3g, %s" % (
            tag, err, "match (rtol 1e-5, atol 1e-6)" if close else "MISMATCH"))
        ok &= close
    print("IREE CUDA custom dispatch check:", "PASS" if ok else "FAIL")
    return ok


# IREE's CUDA HAL defaults trace every kernel (--cuda_tracing=2) and use
# stream-ordered allocations; the "lean" runs turn both off.
LEAN = ["--cuda_tracing=0", "--cuda_async_allocations=false"]


def iree_bench(vmfb, inputs, reps=20, flags=()):
    """Median time per call of iree-benchmark-module (microseconds) and the
    per-dispatch rows of IREE's own profiling (--dispatch_statistics)."""
    cmd = [benchmark_tool(), "--device=cuda", "--device_allocator=caching",
           "--module=" + os.path.join(DIR, vmfb), "--function=gather",
           "--benchmark_repetitions=%d" % reps, "--benchmark_format=json",
           "--benchmark_min_warmup_time=0.2"] + list(flags) + [
               "--input=" + i for i in inputs]
    # IREE's per-dispatch profiling is not available on every backend: fall
    # back to the plain run (and say why) if it fails.
    run = subprocess.run(cmd + ["--dispatch_statistics=true"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print("  (--dispatch_statistics failed: %s)" %
              run.stderr.strip().splitlines()[-1:])
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError("iree-benchmark-module failed: " + run.stderr)
    out = run.stdout
    unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}
    bench = json.loads(out)["benchmarks"]
    runs = sorted(b["real_time"] * unit[b["time_unit"]] for b in bench
                  if b.get("run_type") == "iteration" and
                  b["name"].startswith("BM_"))
    rows = ["%s %.1f us" % (b["name"], b["real_time"] * unit[b["time_unit"]])
            for b in bench if not b["name"].startswith("BM_")]
    return runs[len(runs) // 2], rows


class Direct:
    """The custom dispatch's kernel (kernel.ptx) launched with CuPy."""

    def __init__(self):
        import cupy as cp
        self.cp = cp
        self.k = json.load(open(os.path.join(DIR, "kernel.json")))
        self.fn = cp.RawModule(path=os.path.join(DIR, "kernel.ptx")) \
            .get_function(self.k["name"])
        rng = cp.random.default_rng(0)
        self.packed = rng.integers(0, 2**31, size=(self.k["rows"],
                                                   self.k["words"]),
                                   dtype=cp.int32)
        self.scales = (rng.random((self.k["rows"], self.k["groups"]),
                                  dtype=cp.float32) * 0.01).astype(cp.float16)

    def prepare(self, n):
        cp = self.cp
        ids = cp.asarray(ids_for(n, self.k["rows"], 1))
        out = cp.empty((n, self.k["cols"]), dtype=cp.float16)
        work = n * self.k["slices_per_row"]
        blocks = -(-work // (self.k["block_size"] * self.k["unroll"]))
        args = (self.packed, self.scales, ids, out, np.int32(n),
                np.int32(self.k["rows"]))
        return lambda: self.fn((blocks,), (self.k["block_size"],), args), out

    def time(self, n, reps=200):
        cp = self.cp
        launch, _ = self.prepare(n)
        for _ in range(10):
            launch()
        times = []
        for _ in range(5):
            start, stop = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            for _ in range(reps):
                launch()
            stop.record()
            stop.synchronize()
            times.append(cp.cuda.get_elapsed_time(start, stop) * 1e3 / reps)
        return sorted(times)[2]


def copy_gbps():
    import cupy as cp
    a = cp.empty(1 << 30, dtype=cp.uint8)
    b = cp.empty_like(a)
    for _ in range(3):
        b[...] = a
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    start.record()
    for _ in range(10):
        b[...] = a
    stop.record()
    stop.synchronize()
    return 2 * a.nbytes * 10 / (cp.cuda.get_elapsed_time(start, stop) * 1e-3) \
        / 1e9


def speed():
    rows, d, w, g = 128256, 4096, 512, 64
    copy = copy_gbps()
    print("copy bandwidth (1 GiB, read+write): %.0f GB/s" % copy)
    direct = Direct()
    print("| tokens | (a) IREE + qembed dispatch | (b) IREE codegen of "
          "qembed W4 g64 | (c) IREE dense f16 gather | qembed kernel direct "
          "| (b)/(a) |")
    print("|---:|---:|---:|---:|---:|---:|")
    profile = []
    for n in TOKENS:
        ids = os.path.join(DIR, "ids_%d.npy" % n)
        np.save(ids, ids_for(n, rows, 1))
        quant = ["%dx%dxi32=305419896" % (rows, w), "%dx%dxf16=0.01" % (rows, g),
                 "@" + ids]
        a, rows_a = iree_bench("speed_dispatch.vmfb", quant)
        b, rows_b = iree_bench("speed_codegen.vmfb", quant)
        c, rows_c = iree_bench("speed_dense.vmfb",
                               ["%dx%dxf16=0.5" % (rows, d), "@" + ids])
        profile.append("%d tokens: (a) %s; (b) %s; (c) %s" % (
            n, rows_a[:4], rows_b[:4], rows_c[:4]))
        k = direct.time(n)
        print("| %d | %.1f us | %.1f us | %.1f us | %.1f us (%.0f%% of copy) "
              "| %.1fx |" % (n, a, b, c, k, 100 * n * (d * 2 + w * 4 + g * 2)
                             / (k * 1e-6) / 1e9 / copy, b / a))
    print("Same, iree-benchmark-module with %s:" % " ".join(LEAN))
    print("| tokens | (a) dispatch | (b) codegen | (c) dense | (b)/(a) |")
    print("|---:|---:|---:|---:|---:|")
    for n in TOKENS:
        ids = "@" + os.path.join(DIR, "ids_%d.npy" % n)
        quant = ["%dx%dxi32=305419896" % (rows, w),
                 "%dx%dxf16=0.01" % (rows, g), ids]
        a = iree_bench("speed_dispatch.vmfb", quant, flags=LEAN)[0]
        b = iree_bench("speed_codegen.vmfb", quant, flags=LEAN)[0]
        c = iree_bench("speed_dense.vmfb", ["%dx%dxf16=0.5" % (rows, d), ids],
                       flags=LEAN)[0]
        print("| %d | %.1f us | %.1f us | %.1f us | %.1fx |" % (n, a, b, c,
                                                             b / a))
    print("IREE dispatch statistics (per dispatch function, per call):")
    for line in profile:
        print("  " + line)


def direct_loop(n):
    import cupy as cp
    direct = Direct()
    launch, _ = direct.prepare(n)
    for _ in range(30):
        launch()
    cp.cuda.Device().synchronize()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "check"
    if what == "check":
        sys.exit(0 if check() else 1)
    elif what == "speed":
        speed()
    elif what == "direct":
        direct_loop(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
