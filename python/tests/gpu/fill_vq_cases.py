#!/usr/bin/env python3
"""Writes, on a machine with the compiler extension (no GPU needed), what
test_vq_cuda.py and bench/gpu/bench_vq.py need on the GPU machine, which
has no MLIR: for each test case a small table quantized with
qembed.quantize_vq (codes, scales, codebooks, ids and qembed's reference
dequantization of those ids, dequantize_vq) and the PTX of qembed's codebook
gather kernel; for the benchmark, the kernels for 128256 x 4096 and
152064 x 8192 tables (their data is random and made on the GPU).
Usage: python3 python/tests/gpu/fill_vq_cases.py [CHIP] [OUT]
(default sm_90, build/vq_gpu_cases; carry OUT to the GPU machine)."""

import json
import os
import sys

import numpy as np

import qembed

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "build", "vq_gpu_cases")

# name: (dim, entries, stages, groups, codebook dtype, out dtype, cols, ids)
CASES = {
    "d4k256_f16": (4, 256, 1, 1, "f16", "f16", 512, "i64"),
    "d4k256g8_bf16": (4, 256, 1, 8, "f16", "bf16", 512, "i32"),
    "d8k32x3g4_f32": (8, 32, 3, 4, "bf16", "f32", 512, "i64"),
    "d8k4096x2_global": (8, 4096, 2, 1, "f16", "f16", 256, "i64"),
}
BENCH = {  # the benchmark's kernels (f16 codebooks and output, i64 ids)
    "d4k256": (4, 256, 1, 1), "d4k256g8": (4, 256, 1, 8),
    "d8k256x2": (8, 256, 2, 1)}
# References for these token counts; 0 and 32768 tokens are checked on the
# GPU against test_vq_cuda.py's torch reference.
TOKENS = (1, 7, 4096)


# Unroll variants of the benchmark's kernels (0: the generator's choice,
# the kernel qembed ships; the others are for tuning it).
BENCH_UNROLLS = (1, 2, 4)
# Block-size variants (key suffix _bN; the generator's unroll choice; the
# other kernels take the generator's block size): with larger blocks fewer
# blocks stage the codebook into shared memory.
BENCH_BLOCKS = (512, 1024)


def kernel(dim, entries, stages, groups, book, out, cols, ids, chip,
           unroll=0, block_size=0):
    return qembed._native().gpu_codebook_kernel(
        dim, entries, stages, groups, "f16", book, out, cols, ids, chip,
        block_size=block_size, unroll=unroll)


def main():
    chip = sys.argv[1] if len(sys.argv) > 1 else "sm_90"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else OUT
    os.makedirs(out_dir, exist_ok=True)
    kernels = {}
    for name, (dim, entries, stages, groups, book, out, cols, ids) in \
            CASES.items():
        rng = np.random.default_rng(len(name))
        rows = 3000
        table = (rng.standard_normal((rows, cols)) * 0.02 *
                 rng.lognormal(0, 0.5, (rows, 1))).astype(np.float32)
        q = qembed.quantize_vq(table, dim=dim, entries=entries, stages=stages,
                               groups=groups, codebook_dtype=book,
                               iterations=4)
        arrays = dict(codes=q.codes, scales=q.scales.view(np.uint16),
                      codebooks=q.codebooks.view(np.uint16)
                      if book != "f32" else q.codebooks)
        for n in TOKENS:
            idv = rng.integers(-5, rows + 5, n)  # out of range ids clamp
            idv[0] = 0
            idv[-1] = rows - 1
            arrays["ids_%d" % n] = idv.astype(np.int32 if ids == "i32"
                                              else np.int64)
            ref = qembed.gather_vq(q, idv, out_dtype=out)
            arrays["ref_%d" % n] = ref.view(np.uint32 if out == "f32"
                                            else np.uint16)
        np.savez_compressed(os.path.join(out_dir, name + ".npz"), **arrays)
        kernels[name] = dict(kernel(dim, entries, stages, groups, book, out,
                                    cols, ids, chip), cols=cols, out=out,
                             ids=ids, book=book, dim=dim, entries=entries,
                             stages=stages, groups=groups)
    for name, (dim, entries, stages, groups) in BENCH.items():
        for cols in (4096, 8192):
            variants = [(u, 0) for u in (0,) + BENCH_UNROLLS] + [
                (0, b) for b in (256,) + BENCH_BLOCKS]
            for unroll, block in variants:
                key = "bench_%s_c%d" % (name, cols)
                if unroll:
                    key += "_u%d" % unroll
                if block:
                    key += "_b%d" % block
                kernels[key] = dict(
                    kernel(dim, entries, stages, groups, "f16", "f16", cols,
                           "i64", chip, unroll, block), cols=cols, out="f16",
                    ids="i64", book="f16", dim=dim, entries=entries,
                    stages=stages, groups=groups)
    with open(os.path.join(out_dir, "kernels.json"), "w") as f:
        json.dump(kernels, f)
    print("%d kernels for %s and %d cases in %s" % (len(kernels), chip,
                                                    len(CASES), out_dir))


if __name__ == "__main__":
    main()
