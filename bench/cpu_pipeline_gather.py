#!/usr/bin/env python3
"""The fused gather that `--qembed-cpu-pipeline` compiles, against numpy,
in one script on this machine: for W4 g64 and W8 per-channel tables (f16
scales, f16 output) of --rows x --cols, a module whose @main builds the
packed table, the scales and random ids, calls the gather once to warm up,
then --calls times, and prints the fastest call's seconds (rtclock), run with
mlir-runner -O3 (JIT for the host CPU). Two lowerings: --qembed-cpu-pipeline
(rows in vector chunks, --qembed-gather-to-vector) and the element-by-
element form (--qembed-to-linalg + upstream's bufferization and loops, what
the CPU pipeline did before). The baseline is numpy's `take` of a dense
fp16 table of the same shape into a preallocated output (best of --reps).
Both compiled forms run single-threaded; so does numpy's take. --threads
adds `--qembed-cpu-pipeline parallel=true` (the loop over ids as an OpenMP
loop), compiled once and run with OMP_NUM_THREADS=1 and =2 (LLVM's libomp),
next to the serial vector form in the same run. --async adds the same
gather through upstream's async runtime instead (--async-parallel-for,
libmlir_async_runtime.so: a thread pool of one thread per core).

The gather allocates its result on every call; glibc is told to keep freed
memory (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_) so each call reuses
it, as numpy's take reuses `out`.

Usage: python3 bench/cpu_pipeline_gather.py [--rows 128256] [--cols 4096]
           [--tokens 256,4096,32768] [--calls 7] [--reps 7]
           [--no-elementwise] [--threads 1,2] [--rows-per-task N] [--async]"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMBED_OPT = os.path.join(ROOT, "build", "bin", "qembed-opt")
LLVM = "/usr/lib/llvm-22"
UPSTREAM_CPU = (
    "--one-shot-bufferize=bufferize-function-boundaries "
    "--buffer-deallocation-pipeline --convert-linalg-to-loops "
    "--convert-scf-to-cf --expand-strided-metadata --lower-affine "
    "--arith-expand=include-bf16=true --finalize-memref-to-llvm "
    "--convert-to-llvm --reconcile-unrealized-casts").split()


def module(rows, cols, bits, group, tokens, calls):
    words = cols * bits // 32
    groups = cols // group if group else 1
    p = "tensor<%dx%dxi32>" % (rows, words)
    s = "tensor<%dx%dxf16>" % (rows, groups)
    o = "tensor<?x%dxf16>" % cols
    return f"""
func.func @gather(%p: {p}, %s: {s}, %ids: tensor<?xi64>) -> {o} {{
  %r = qembed.gather %p[%ids] scales(%s) scheme <bits = {bits}, group_size = {group}, symmetric, scale_type = f16> : {p}, {s}, tensor<?xi64> -> {o}
  return %r : {o}
}}
func.func private @rtclock() -> f64
func.func private @printF64(f64)
func.func private @printNewline()
func.func @main() {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %calls = arith.constant {calls} : index
  %packed = tensor.generate {{
  ^bb0(%i: index, %j: index):
    %a = arith.index_cast %i : index to i32
    %b = arith.index_cast %j : index to i32
    %m = arith.constant -1640531535 : i32
    %x = arith.muli %a, %m : i32
    %y = arith.xori %x, %b : i32
    %z = arith.muli %y, %m : i32
    tensor.yield %z : i32
  }} : {p}
  %scales = tensor.generate {{
  ^bb0(%i: index, %j: index):
    %v = arith.constant 0.0123 : f16
    tensor.yield %v : f16
  }} : {s}
  %n = arith.constant {tokens} : index
  %idsStatic = tensor.generate {{
  ^bb0(%i: index):
    %a = arith.index_cast %i : index to i64
    %m = arith.constant 2654435761 : i64
    %x = arith.muli %a, %m : i64
    %r = arith.constant {rows} : i64
    %y = arith.remui %x, %r : i64
    tensor.yield %y : i64
  }} : tensor<{tokens}xi64>
  %ids = tensor.cast %idsStatic : tensor<{tokens}xi64> to tensor<?xi64>
  %warm = func.call @gather(%packed, %scales, %ids) : ({p}, {s}, tensor<?xi64>) -> {o}
  %z = arith.constant 0.0 : f32
  %inf = arith.constant 1.0e30 : f64
  %res:2 = scf.for %k = %c0 to %calls step %c1 iter_args(%acc = %z, %best = %inf) -> (f32, f64) {{
    %t0 = func.call @rtclock() : () -> f64
    %r = func.call @gather(%packed, %scales, %ids) : ({p}, {s}, tensor<?xi64>) -> {o}
    %t1 = func.call @rtclock() : () -> f64
    %dt = arith.subf %t1, %t0 : f64
    %b = arith.minimumf %best, %dt : f64
    %e = tensor.extract %r[%c1, %c1] : {o}
    %ef = arith.extf %e : f16 to f32
    %a = arith.addf %acc, %ef : f32
    scf.yield %a, %b : f32, f64
  }}
  %sum = arith.addf %res#0, %z : f32
  func.call @printF64(%res#1) : (f64) -> ()
  func.call @printNewline() : () -> ()
  %w = tensor.extract %warm[%c1, %c1] : {o}
  %wf = arith.extf %w : f16 to f32
  %all = arith.addf %sum, %wf : f32
  %sf = arith.extf %all : f32 to f64
  func.call @printF64(%sf) : (f64) -> ()
  func.call @printNewline() : () -> ()
  return
}}
"""


LIBOMP = LLVM + "/lib/libomp.so"
ASYNC_RT = LLVM + "/lib/libmlir_async_runtime.so"
# The async-runtime route compared with OpenMP (--async): the same
# parallel=true gather, bufferized, its scf.forall as scf.parallel, then
# upstream's --async-parallel-for (one task per block of ids) and the async
# runtime lowering; the runtime's thread pool has one thread per core.
ASYNC_LOWERING = (
    "--qembed-to-linalg --canonicalize "
    "--one-shot-bufferize=bufferize-function-boundaries"
    "+function-boundary-type-conversion=identity-layout-map "
    "--buffer-deallocation-pipeline --scf-forall-to-parallel "
    "--async-parallel-for=async-dispatch=true+num-workers=%d+min-task-size=1 "
    "--async-to-async-runtime --async-runtime-ref-counting "
    "--async-runtime-ref-counting-opt --convert-linalg-to-loops "
    "--convert-scf-to-cf --expand-strided-metadata --lower-affine "
    "--arith-expand=include-bf16=true --convert-async-to-llvm "
    "--convert-vector-to-llvm --finalize-memref-to-llvm --convert-to-llvm "
    "--reconcile-unrealized-casts")


def run(src, vectorized, omp_threads=None, rows_per_task=0, use_async=False):
    """The best call's seconds; omp_threads: compile with parallel=true (and
    rows_per_task, 0: the pass's default) and run on that many OpenMP
    threads; use_async: the async-runtime route instead of OpenMP."""
    if use_async:
        opts = "parallel=true"
        if rows_per_task:
            opts += " rows-per-task=%d" % rows_per_task
        args = ["--qembed-gather-to-vector=" + opts] + [
            a.replace("+", " ") for a in
            (ASYNC_LOWERING % os.cpu_count()).split()]
        ll = subprocess.run([QEMBED_OPT] + args, input=src,
                            capture_output=True, text=True,
                            check=True).stdout
    elif omp_threads is not None:
        opts = "parallel=true"
        if rows_per_task:
            opts += " rows-per-task=%d" % rows_per_task
        ll = subprocess.run([QEMBED_OPT, "--qembed-cpu-pipeline=" + opts],
                            input=src, capture_output=True, text=True,
                            check=True).stdout
    elif vectorized:
        ll = subprocess.run([QEMBED_OPT, "--qembed-cpu-pipeline"], input=src,
                            capture_output=True, text=True, check=True).stdout
    else:
        lin = subprocess.run([QEMBED_OPT, "--qembed-to-linalg"], input=src,
                             capture_output=True, text=True,
                             check=True).stdout
        ll = subprocess.run([LLVM + "/bin/mlir-opt"] + UPSTREAM_CPU,
                            input=lin, capture_output=True, text=True,
                            check=True).stdout
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 40),
               MALLOC_TRIM_THRESHOLD_=str(1 << 40))
    libs = ",".join(LLVM + "/lib/" + l for l in (
        "libmlir_runner_utils.so", "libmlir_c_runner_utils.so"))
    if omp_threads is not None:
        env["OMP_NUM_THREADS"] = str(omp_threads)
        libs += "," + LIBOMP
    if use_async:
        libs += "," + ASYNC_RT
    out = subprocess.run([LLVM + "/bin/mlir-runner", "-O3", "-e", "main",
                          "-entry-point-result=void", "-shared-libs=" + libs],
                         input=ll, capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    return float(out[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=128256)
    ap.add_argument("--cols", type=int, default=4096)
    ap.add_argument("--tokens", default="256,4096,32768")
    ap.add_argument("--calls", type=int, default=7)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--no-elementwise", action="store_true",
                    help="leave out the element-by-element lowering")
    ap.add_argument("--threads", default="",
                    help="OpenMP thread counts for parallel=true columns "
                         "(e.g. 1,2; empty: none)")
    ap.add_argument("--rows-per-task", type=int, default=0,
                    help="rows-per-task of the parallel=true columns (0: the "
                         "pipeline's default)")
    ap.add_argument("--async", dest="use_async", action="store_true",
                    help="add the async-runtime route (upstream "
                         "--async-parallel-for, all cores)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",") if t]
    if threads and not os.path.exists(LIBOMP):
        sys.exit("--threads needs LLVM's OpenMP runtime %s "
                 "(apt-get install libomp-22-dev)" % LIBOMP)
    rng = np.random.default_rng(0)
    dense = np.empty((a.rows, a.cols), dtype=np.float16)
    for r in range(0, a.rows, 8192):
        dense[r:r + 8192] = rng.standard_normal(
            (min(8192, a.rows - r), a.cols), dtype=np.float32) * 0.02
    print("load average %s; table %dx%d, f16 output; numpy %s take of the "
          "dense fp16 table (best of %d); compiled gathers: best of %d calls "
          "after a warm-up, 1 thread%s; %d cores" % (
              " ".join("%.2f" % x for x in os.getloadavg()), a.rows, a.cols,
              np.__version__, a.reps, a.calls,
              "".join(", omp%d: parallel=true%s on %d OpenMP threads" % (
                  t, " rows-per-task=%d" % a.rows_per_task
                  if a.rows_per_task else "", t) for t in threads),
              os.cpu_count()) + (
                  "; async: the async-runtime route, %d workers"
                  % os.cpu_count() if a.use_async else ""))
    head = "%-11s %7s %13s %15s %7s" % ("table", "tokens", "numpy rows/s",
                                        "vector rows/s", "ratio")
    if not a.no_elementwise:
        head += " %15s %7s" % ("element rows/s", "ratio")
    for t in threads:
        head += " %15s %7s" % ("omp%d rows/s" % t, "ratio")
    if a.use_async:
        head += " %15s %7s" % ("async rows/s", "ratio")
    print(head)
    print("-" * len(head))
    for n in (int(t) for t in a.tokens.split(",")):
        ids = rng.integers(0, a.rows, size=n, dtype=np.int64)
        out = np.empty((n, a.cols), dtype=np.float16)
        best = float("inf")
        np.take(dense, ids, axis=0, out=out)
        for _ in range(a.reps):
            t = time.perf_counter()
            np.take(dense, ids, axis=0, out=out)
            best = min(best, time.perf_counter() - t)
        for name, bits, group in (("W4 g64", 4, 64), ("W8 channel", 8, 0)):
            src = module(a.rows, a.cols, bits, group, n, a.calls)
            tv = run(src, True)
            line = "%-11s %7d %13.3g %15.3g %7.2f" % (name, n, n / best,
                                                      n / tv, best / tv)
            if not a.no_elementwise:
                te = run(src, False)
                line += " %15.3g %7.2f" % (n / te, best / te)
            for t in threads:
                tp = run(src, True, omp_threads=t,
                         rows_per_task=a.rows_per_task)
                line += " %15.3g %7.2f" % (n / tp, best / tp)
            if a.use_async:
                ta = run(src, True, rows_per_task=a.rows_per_task,
                         use_async=True)
                line += " %15.3g %7.2f" % (n / ta, best / ta)
            print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
