#!/usr/bin/env python3
"""IREE llvm-cpu, one process: torch.nn.EmbeddingBag(mode="sum") exported by
torch-mlir's fx importer (a generic that visits every id for every bag) and
the same module after --quantize-embeddings + --qembed-to-linalg (each bag
loops over its own ids, reading packed rows), both compiled by
iree-base-compiler for the local CPU (generic target) and run with
iree-base-runtime (local-sync, one thread). Prints the best time of each
and the ratio.

Usage: PYTHONPATH=<qembed install> python3 bench/iree/cpu_bags.py
           [--rows 32000] [--cols 256] [--ids 4096] [--bags 256]
           [--bits 4] [--group 64] [--reps 5]
"""

import argparse
import time

import numpy as np
import torch
from iree import compiler, runtime
from torch_mlir import fx

import qembed


class Bag(torch.nn.Module):
    def __init__(self, rows, cols):
        super().__init__()
        self.bag = torch.nn.EmbeddingBag(rows, cols, mode="sum")

    def forward(self, ids, offsets):
        return self.bag(ids, offsets)


def load(text):
    vmfb = compiler.compile_str(text, target_backends=["llvm-cpu"],
                                extra_args=["--iree-llvmcpu-target-cpu=generic"])
    ctx = runtime.SystemContext(config=runtime.Config("local-sync"))
    ctx.add_vm_module(runtime.VmModule.copy_buffer(ctx.instance, vmfb))
    return ctx.modules.module["forward"]


def best(fn, reps):
    fn()
    t = float("inf")
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - s)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=32000)
    ap.add_argument("--cols", type=int, default=256)
    ap.add_argument("--ids", type=int, default=4096)
    ap.add_argument("--bags", type=int, default=256)
    ap.add_argument("--bits", type=int, default=4)
    ap.add_argument("--group", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.manual_seed(0)
    model = Bag(a.rows, a.cols).eval()
    ids = torch.randint(0, a.rows, (a.ids,))
    offsets = torch.arange(0, a.ids, a.ids // a.bags)[:a.bags]
    module = fx.export_and_import(model, ids, offsets,
                                  output_type="linalg-on-tensors",
                                  func_name="forward")
    dense = load(str(module))
    quantized = qembed.run_pipeline(
        module, "quantize-embeddings{bits=%d group-size=%d},qembed-to-linalg"
        % (a.bits, a.group), allow_unregistered=True)
    fused = load(quantized)
    args = (ids.numpy(), offsets.numpy())
    t_dense = best(lambda: dense(*args).to_host(), a.reps)
    t_fused = best(lambda: fused(*args).to_host(), a.reps)
    print("EmbeddingBag sum, %dx%d f32 table, %d ids in %d bags, IREE "
          "llvm-cpu (generic), local-sync" % (a.rows, a.cols, a.ids, a.bags))
    print("torch-mlir generic (dense table): %.3f ms" % (t_dense * 1e3))
    print("qembed W%d g%d gather_bags:       %.3f ms" % (a.bits, a.group,
                                                         t_fused * 1e3))
    print("speed-up: %.1fx" % (t_dense / t_fused))


if __name__ == "__main__":
    main()
