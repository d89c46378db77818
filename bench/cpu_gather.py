#!/usr/bin/env python3
"""CPU fused gather against numpy: in one process, numpy's `take` of the
dense fp16 table (the rows an unquantized model would copy) and
qembed.gather of W4 g64 and W8 per-channel tables (f16 scales, f16 output)
of the same shape, for several token counts, on 1 thread and on all cores.
Prints rows/s (best of the repetitions) and the ratio qembed / numpy.

With iree-base-compiler/runtime installed (unless --no-iree), more
columns run the same gather compiled by IREE for llvm-cpu (the host CPU)
from qembed's `--qembed-to-linalg` output (the packed table and scales as
function arguments, kept on the device): the `local-sync` driver for 1
thread, `local-task` for all cores; its time includes fetching the result
to the host (`to_host`). "IREE" is the default lowering (2/4/8-bit gathers
in 16-value chunks), "IREE elem" the element-by-element form
(`chunked-gathers=false`, the lowering before the chunks), "IREE floor" a
function that only fills its [tokens, cols] f16 result: what any IREE call
returning the rows pays (call, result allocation, to_host). Every IREE
gather result is checked bit-identical to qembed.gather's.

IREE allocates its result on every call while numpy's take writes into a
preallocated `out`; glibc returns large freed blocks to the kernel, so
each call would page-fault a fresh result in. The script re-runs itself
with MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ set (as
bench/cpu_pipeline_gather.py does) so freed results are reused, unless
--fresh-malloc is given.

The tables hold random codes and scales: the gather's speed does not
depend on the values. numpy's take is single-threaded, so its one number is
the reference for both thread counts.

Usage: PYTHONPATH=<qembed install> python3 bench/cpu_gather.py
           [--rows 128256] [--cols 4096] [--tokens 256,4096,32768] [--reps 7]
           [--no-iree] [--fresh-malloc]
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

import qembed


def best_seconds(fn, reps):
    """The fastest of `reps` calls of fn (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


IREE_FORMS = (("IREE", "qembed-to-linalg"),
              ("IREE elem", "qembed-to-linalg{chunked-gathers=false}"),
              ("IREE floor", None))


def iree_source(q, pipeline):
    """The module IREE compiles for table q: @gather(packed, scales, ids)
    lowered by `pipeline`, or (pipeline None) a function of the same
    signature that only fills its result."""
    rows, words = q.packed.shape
    groups = q.scales.shape[1]
    packed_t = "tensor<%dx%dxi32>" % (rows, words)
    scales_t = "tensor<%dx%dxf16>" % (rows, groups)
    out_t = "tensor<?x%dxf16>" % q.cols
    head = ("func.func @gather(%%packed: %s, %%scales: %s, %%ids: "
            "tensor<?xi64>) -> %s {\n" % (packed_t, scales_t, out_t))
    if pipeline is None:
        return head + (
            "  %%c0 = arith.constant 0 : index\n"
            "  %%n = tensor.dim %%ids, %%c0 : tensor<?xi64>\n"
            "  %%e = tensor.empty(%%n) : %s\n"
            "  %%one = arith.constant 1.0 : f16\n"
            "  %%r = linalg.fill ins(%%one : f16) outs(%%e : %s) -> %s\n"
            "  return %%r : %s\n}\n" % (out_t, out_t, out_t, out_t))
    src = head + (
        "  %%r = qembed.gather %%packed[%%ids] scales(%%scales) scheme "
        "<bits = %d, group_size = %d, symmetric, scale_type = f16> : "
        "%s, %s, tensor<?xi64> -> %s\n"
        "  return %%r : %s\n}\n" % (q.bits, q.group_size, packed_t,
                                      scales_t, out_t, out_t))
    return qembed.run_pipeline(src, pipeline)


def iree_gathers(tables):
    """For each (name, QuantizedTable): {form: {threads: ids -> call}}
    running the IREE_FORMS compiled by IREE for llvm-cpu (threads 1:
    local-sync, 0: local-task); None when IREE is not installed."""
    try:
        from iree import compiler, runtime
    except ImportError:
        print("IREE not installed: no IREE columns")
        return None
    result = {}
    for name, q in tables:
        vmfbs = {form: compiler.compile_str(
            iree_source(q, pipeline), target_backends=["llvm-cpu"],
            extra_args=["--iree-llvmcpu-target-cpu=host"])
            for form, pipeline in IREE_FORMS}
        forms = {form: {} for form, _ in IREE_FORMS}
        for threads, driver in ((1, "local-sync"), (0, "local-task")):
            # One device (and one copy of the table on it) per driver.
            config = runtime.Config(driver)
            packed = runtime.asdevicearray(config.device, q.packed)
            scales = runtime.asdevicearray(config.device, q.scales)
            for form, vmfb in vmfbs.items():
                ctx = runtime.SystemContext(config=config)
                ctx.add_vm_module(
                    runtime.VmModule.copy_buffer(ctx.instance, vmfb))
                fn = ctx.modules.module["gather"]

                def make(ids, fn=fn, packed=packed, scales=scales,
                         device=config.device):
                    dev_ids = runtime.asdevicearray(device, ids)
                    return lambda: np.asarray(
                        fn(packed, scales, dev_ids).to_host())
                forms[form][threads] = make
        result[name] = forms
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=128256)
    ap.add_argument("--cols", type=int, default=4096)
    ap.add_argument("--tokens", default="256,4096,32768")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--no-iree", action="store_true",
                    help="leave out the IREE llvm-cpu columns")
    ap.add_argument("--fresh-malloc", action="store_true",
                    help="leave glibc's malloc settings alone (IREE's "
                         "results are then fresh, page-faulted memory)")
    args = ap.parse_args()
    if not args.fresh_malloc and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 40),
                   MALLOC_TRIM_THRESHOLD_=str(1 << 40))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    rows, cols = args.rows, args.cols
    tokens = [int(t) for t in args.tokens.split(",")]
    rng = np.random.default_rng(0)

    # The dense fp16 table, filled in slices to bound the temporaries.
    dense = np.empty((rows, cols), dtype=np.float16)
    for r in range(0, rows, 8192):
        dense[r:r + 8192] = rng.standard_normal(
            (min(8192, rows - r), cols), dtype=np.float32) * 0.02

    def table(bits, group):
        words = (cols * bits + 31) // 32
        groups = cols // group if group else 1
        packed = rng.integers(-2**31, 2**31, size=(rows, words),
                              dtype=np.int64).astype(np.int32)
        scales = (rng.random((rows, groups), dtype=np.float32) * 0.01
                  + 1e-4).astype(np.float16)
        return qembed.QuantizedTable(packed, scales, None, cols, bits, group,
                                     True, "f16")

    tables = [("W4 g64", table(4, 64)), ("W8 channel", table(8, 0))]
    iree = None if args.no_iree else iree_gathers(tables)
    cores = os.cpu_count()
    print("CPU: %s, %d cores; load average %s" % (
        cpu_model(), cores, " ".join("%.2f" % x for x in os.getloadavg())))
    print("table %dx%d, f16 output, best of %d; numpy %s, take of the dense "
          "fp16 table (single-threaded)" % (rows, cols, args.reps,
                                            np.__version__))
    header = "%-11s %7s %8s %14s %14s %7s" % (
        "table", "tokens", "threads", "numpy rows/s", "qembed rows/s",
        "ratio")
    if iree:
        print("malloc: %s" % (
            "glibc defaults (fresh results)" if args.fresh_malloc else
            "MALLOC_MMAP_THRESHOLD_=%s (freed results reused)"
            % os.environ.get("MALLOC_MMAP_THRESHOLD_")))
        for form, _ in IREE_FORMS:
            header += " %16s %6s" % (form + " rows/s", "ratio")
    print(header)
    print("-" * len(header))
    for n in tokens:
        ids = rng.integers(0, rows, size=n, dtype=np.int64)
        out = np.empty((n, cols), dtype=np.float16)
        reps = args.reps if n <= 4096 else max(3, args.reps // 2)
        t_np = best_seconds(lambda: np.take(dense, ids, axis=0, out=out), reps)
        for name, q in tables:
            for threads in (1, 0):
                t_q = best_seconds(
                    lambda: qembed.gather(q, ids, out_dtype="f16", out=out,
                                          threads=threads), reps)
                line = "%-11s %7d %8s %14.3g %14.3g %7.2f" % (
                    name, n, "1" if threads == 1 else "all (%d)" % cores,
                    n / t_np, n / t_q, t_np / t_q)
                if iree:
                    for form, pipeline in IREE_FORMS:
                        call = iree[name][form][threads](ids)
                        got = call()
                        if pipeline is not None and not np.array_equal(
                                got.view(np.uint16), out.view(np.uint16)):
                            raise SystemExit(
                                "%s's %s gather of %d tokens differs from "
                                "qembed.gather's" % (form, name, n))
                        t_i = best_seconds(call, reps)
                        line += " %16.3g %6.2f" % (n / t_i, t_np / t_i)
                print(line)
    print("load average after: %s" % " ".join(
        "%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
