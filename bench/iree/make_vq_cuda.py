#!/usr/bin/env python3
"""Builds, on the CPU machine, what bench/iree/run_vq_cuda.py needs on the
GPU machine to check and time codebook VQ (format=vq) gathers compiled by
IREE for CUDA (--qembed-to-iree target=cuda makes a qembed.codebook_gather
a custom dispatch of qembed's codebook kernel; --qembed-to-linalg leaves it
to IREE's codegen):

  vq_<cfg>.vmfb + vqdeq_<cfg>.npy   Torch-MLIR-shaped f32 embedding modules
      (4096 x 512 table) quantized with format=vq, and qembed's reference
      dequantization (qembed.dequantize_vq) of their tables;
  vqspeed_<cfg>.vmfb, vqspeed_dispatch_<cfg>.vmfb, vqspeed_dense.vmfb   the
      gather alone on a 128256 x 4096 table, f16 output (tables as
      arguments): IREE's codegen of the VQ gather, qembed's codebook kernel
      as a custom dispatch, and IREE's dense f16 gather, for
      iree-benchmark-module.

Output: build/iree_vq_cuda/ (carry it and the cp312 iree-base-runtime wheel
to the device)."""

import os
import sys

import numpy as np
from iree import compiler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests"))
from test_iree import torch_mlir_module  # noqa: E402
from test_iree_cuda import CUDA, to_input  # noqa: E402

import qembed  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "build", "iree_vq_cuda")
CONFIGS = {  # name: (dim, entries, stages, groups)
    "d4k256": (4, 256, 1, 1), "d8k32x3g4": (8, 32, 3, 4),
    "d4k256g8": (4, 256, 1, 8)}
ROWS, COLS = 128256, 4096


def options(dim, entries, stages, groups):
    return ("format=vq vq-dim=%d vq-entries=%d vq-stages=%d vq-groups=%d "
            "seed=0" % (dim, entries, stages, groups))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def exact_modules():
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(4096, 512)) * 0.02).astype(np.float32)
    input_ir = to_input(torch_mlir_module(table))
    for name, (dim, entries, stages, groups) in CONFIGS.items():
        ir = qembed.run_pipeline(
            input_ir, "quantize-embeddings{%s},qembed-to-iree{target=cuda "
            "chip=sm_90}" % options(dim, entries, stages, groups),
            allow_unregistered=True)
        assert "qembed." not in ir
        write("vq_%s.vmfb" % name, compiler.compile_str(
            ir, target_backends=[],
            extra_args=["--compile-from=input"] + CUDA))
        q = qembed.quantize_vq(table, dim=dim, entries=entries, stages=stages,
                               groups=groups, seed=0)
        np.save(os.path.join(OUT, "vqdeq_%s.npy" % name),
                qembed.dequantize_vq(q))


def speed_modules():
    for name, (dim, entries, stages, groups) in CONFIGS.items():
        words = (COLS // dim * stages * (entries.bit_length() - 1) + 31) // 32
        src = (
            "func.func @gather(%%c: tensor<%dx%dxi32>, %%s: tensor<%dx1xf16>,"
            " %%b: tensor<%dx%dx%dx%dxf16>, %%ids: tensor<?xi64>) -> "
            "tensor<?x%dxf16> {\n  %%r = qembed.codebook_gather %%c[%%ids] "
            "scales(%%s) codebooks(%%b) codebook <dim = %d, entries = %d, "
            "stages = %d, groups = %d> : tensor<%dx%dxi32>, tensor<%dx1xf16>,"
            " tensor<%dx%dx%dx%dxf16>, tensor<?xi64> -> tensor<?x%dxf16>\n"
            "  return %%r : tensor<?x%dxf16>\n}\n" % (
                ROWS, words, ROWS, groups, stages, entries, dim, COLS, dim,
                entries, stages, groups, ROWS, words, ROWS, groups, stages,
                entries, dim, COLS, COLS))
        ir = qembed.run_pipeline(src, "qembed-to-linalg")
        write("vqspeed_%s.vmfb" % name, compiler.compile_str(
            ir, target_backends=[], extra_args=CUDA))
        ir = qembed.run_pipeline(src, "qembed-to-iree{target=cuda chip=sm_90}",
                                 allow_unregistered=True)
        assert ir.count('"flow.dispatch"') == 1
        write("vqspeed_dispatch_%s.vmfb" % name, compiler.compile_str(
            ir, target_backends=[], extra_args=CUDA))
    dense = ("func.func @gather(%%t: tensor<%dx%dxf16>, %%ids: tensor<?xi64>)"
             " -> tensor<?x%dxf16> {\n  %%r = qembed.lookup %%t[%%ids] : "
             "tensor<%dx%dxf16>, tensor<?xi64> -> tensor<?x%dxf16>\n"
             "  return %%r : tensor<?x%dxf16>\n}\n" % (
                 ROWS, COLS, COLS, ROWS, COLS, COLS, COLS))
    write("vqspeed_dense.vmfb", compiler.compile_str(
        qembed.run_pipeline(dense, "qembed-to-linalg"), target_backends=[],
        extra_args=CUDA))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    exact_modules()
    speed_modules()
    print("wrote", sorted(os.listdir(OUT)))
