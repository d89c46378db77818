"""Codebook VQ (format=vq) through IREE with the real iree-base-compiler /
iree-base-runtime: iree-compile --compile-to=input -> --quantize-embeddings
format=vq + --qembed-to-linalg -> iree-compile --compile-from=input for the
local CPU, run with the IREE runtime: the result is exactly qembed's
reference dequantization (qembed.dequantize_vq) of the gathered rows. For
CUDA, --qembed-to-iree target=cuda leaves the VQ gather to IREE's codegen
(qembed's VQ kernel is not a custom dispatch yet): the module must compile
for sm_90
(the run is bench/iree/run_vq_cuda.py on the GPU machine)."""

import numpy as np
import pytest

import qembed
from test_iree import CPU, V, D, run, torch_mlir_module

iree_compiler = pytest.importorskip("iree.compiler")
iree_runtime = pytest.importorskip("iree.runtime")

SETTINGS = [dict(dim=4, entries=256, stages=1, groups=1),
            dict(dim=8, entries=32, stages=3, groups=4)]  # codes straddle


def vq_options(s, seed=0):
    return ("format=vq vq-dim=%d vq-entries=%d vq-stages=%d vq-groups=%d "
            "seed=%d" % (s["dim"], s["entries"], s["stages"], s["groups"],
                         seed))


@pytest.mark.parametrize("setting", SETTINGS)
def test_iree_cpu_vq_bit_exact(setting):
    rng = np.random.default_rng(setting["dim"])
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    src = torch_mlir_module(table)
    ids = np.array([[0, V - 1, 7, 7, 300], [1, 2, 3, V - 1, 0]],
                   dtype=np.int64)
    input_ir = iree_compiler.compile_str(
        src, target_backends=["llvm-cpu"],
        extra_args=["--compile-to=input", "--mlir-print-op-generic"])
    quantized_ir = qembed.run_pipeline(
        input_ir, "quantize-embeddings{%s},qembed-to-linalg"
        % vq_options(setting), allow_unregistered=True)
    assert "qembed." not in quantized_ir
    q_vmfb = iree_compiler.compile_str(
        quantized_ir, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input",
                    "--iree-llvmcpu-target-cpu=generic"])
    out = run(q_vmfb, ids)
    q = qembed.quantize_vq(table, seed=0, **setting)
    ref = qembed.dequantize_vq(q)[ids]
    assert out.dtype == np.float32 and out.shape == (2, 5, D)
    assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))
    # The codes + codebooks replace the dense table in the compiled module.
    saved = table.nbytes - (q.codes.nbytes + q.scales.nbytes +
                            q.codebooks.nbytes)
    dense_vmfb = iree_compiler.compile_str(src, **CPU)
    assert len(dense_vmfb) - len(q_vmfb) >= 0.9 * saved


def test_iree_cuda_vq_compiles():
    rng = np.random.default_rng(1)
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    input_ir = iree_compiler.compile_str(
        torch_mlir_module(table), target_backends=[],
        extra_args=["--compile-to=input", "--mlir-print-op-generic"]).decode()
    ir, diags = qembed.run_pipeline(
        input_ir, "quantize-embeddings{%s},qembed-to-iree{target=cuda "
        "chip=sm_90}" % vq_options(SETTINGS[0]), allow_unregistered=True,
        diagnostics=True)
    assert "codebook VQ gather lowered to linalg for IREE's codegen" in diags
    assert "qembed." not in ir
    vmfb = iree_compiler.compile_str(
        ir, target_backends=[],
        extra_args=["--compile-from=input", "--iree-hal-target-device=cuda",
                    "--iree-gpu-test-target=sm_90"])
    assert len(vmfb) > 0
