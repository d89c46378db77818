#!/usr/bin/env python3
"""Builds (on the CPU machine) the IREE CUDA modules for the GPU hand-off
check: a Torch-MLIR-shaped embedding module (4096 x 1024 f32 table) compiled
by iree-compile for CUDA sm_90, unquantized and after
`--compile-to=input` -> qembed --quantize-embeddings + --qembed-to-linalg ->
`--compile-from=input`; plus the ids and the expected outputs (the table's
rows, and qembed's reference dequantization of them) as .npy files.
Output: build/iree_cuda/. Run bench/iree/run_cuda.py there with the device
tool (carry build/iree_cuda and the iree-base-runtime wheel)."""

import os
import sys

import numpy as np
from iree import compiler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "python", "tests"))
from test_iree import torch_mlir_module  # noqa: E402

import qembed  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "build", "iree_cuda")
# iree-base-compiler 3.13.0: --iree-cuda-target=sm_90 fails with "missing GPU
# target in #hal.executable.target"; the GPU target flag below works.
CUDA = ["--iree-hal-target-device=cuda", "--iree-gpu-test-target=sm_90"]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(4096, 1024)) * 0.02).astype(np.float32)
    ids = rng.integers(0, 4096, size=(4, 64)).astype(np.int64)
    ids[0, :3] = [0, 4095, 0]
    src = torch_mlir_module(table)
    dense = compiler.compile_str(src, target_backends=[], extra_args=CUDA)
    input_ir = compiler.compile_str(src, target_backends=[], extra_args=[
        "--compile-to=input", "--mlir-print-op-generic"])
    q_ir = qembed.run_pipeline(
        input_ir, "quantize-embeddings{bits=4 group-size=64},qembed-to-linalg",
        allow_unregistered=True)
    quant = compiler.compile_str(q_ir, target_backends=[],
                                 extra_args=["--compile-from=input"] + CUDA)
    q = qembed.quantize(table, bits=4, group_size=64)
    open(os.path.join(OUT, "dense.vmfb"), "wb").write(dense)
    open(os.path.join(OUT, "quant.vmfb"), "wb").write(quant)
    np.save(os.path.join(OUT, "ids.npy"), ids)
    np.save(os.path.join(OUT, "ref_dense.npy"), table[ids])
    np.save(os.path.join(OUT, "ref_quant.npy"), qembed.dequantize(q)[ids])
    print("dense.vmfb %d bytes, quant.vmfb %d bytes (table %d bytes, packed "
          "%d + scales %d)" % (len(dense), len(quant), table.nbytes,
                               q.packed.nbytes, q.scales.nbytes))


if __name__ == "__main__":
    main()
