"""Codebook VQ (format=vq) through IREE with the real iree-base-compiler /
iree-base-runtime: iree-compile --compile-to=input -> --quantize-embeddings
format=vq + --qembed-to-linalg -> iree-compile --compile-from=input for the
local CPU, run with the IREE runtime: the result is exactly qembed's
reference dequantization (qembed.dequantize_vq) of the gathered rows. For
CUDA, --qembed-to-iree target=cuda makes the VQ gather a custom dispatch of
qembed's codebook kernel: the module must compile for sm_90 with that
kernel (the one qembed.torch launches) inside, and ptxas must accept it
(the run is bench/iree/run_cuda_dispatch.py on the GPU machine)."""

import os
import re
import subprocess

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


CUDA_SETTINGS = [  # packed path in shared memory; straddling codes; global
    dict(dim=4, entries=256, stages=1, groups=1),
    # 16 KiB of codebooks: the generator picks 1024-thread blocks
    dict(dim=4, entries=256, stages=1, groups=8),
    dict(dim=8, entries=32, stages=3, groups=4),
    dict(dim=8, entries=4096, stages=1, groups=1, iterations=2)]


@pytest.mark.parametrize("setting", CUDA_SETTINGS)
def test_iree_cuda_vq_custom_dispatch(setting, tmp_path):
    from test_iree_cuda import CUDA, PTXAS, embedded_ptx, to_input
    rng = np.random.default_rng(1)
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    input_ir = to_input(torch_mlir_module(table))
    opts = vq_options(setting)
    if "iterations" in setting:
        opts += " vq-iterations=%d" % setting["iterations"]
    ir, diags = qembed.run_pipeline(
        input_ir, "quantize-embeddings{%s},qembed-to-iree{target=cuda "
        "chip=sm_90}" % opts, allow_unregistered=True, diagnostics=True)
    assert "lowered to linalg" not in diags
    assert "qembed." not in ir
    # One dispatch of qembed's codebook kernel, nothing left for IREE's
    # codegen of the gather: the codebooks are a binding, not extracted.
    assert ir.count('"flow.dispatch"') == 1
    assert "linalg.generic" not in ir
    ptx = embedded_ptx(ir)
    assert len(ptx) == 1 and ".target sm_90" in ptx[0]
    name = re.search(r"\.entry (qembed_vq_gather_\w+)\(", ptx[0]).group(1)
    # The same kernel as qembed.torch's JIT (run on the device by
    # python/tests/gpu/test_vq_cuda.py): the generator's block size and
    # unroll (both 0, as qembed.torch asks), f32 rows of 2-D i64 ids.
    k = qembed._qembed.gpu_codebook_kernel(
        setting["dim"], setting["entries"], setting["stages"],
        setting["groups"], "f16", "f16", "f32", D, "i64", "sm_90",
        block_size=0, unroll=0)
    assert k["name"] == name and k["ptx"] == ptx[0]
    if setting["groups"] == 8:
        assert k["block_size"] == 1024 and name.endswith("_b1024")
    assert k["shared_memory"] == (setting["entries"] <= 2048)
    vmfb = iree_compiler.compile_str(
        ir, target_backends=[], extra_args=["--compile-from=input"] + CUDA)
    assert name.encode() in vmfb
    if os.path.exists(PTXAS):
        (tmp_path / "k.ptx").write_text(ptx[0])
        subprocess.run([PTXAS, "-arch=sm_90", str(tmp_path / "k.ptx"), "-o",
                        str(tmp_path / "k.cubin")], check=True)


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_iree_cpu_vq_half_tables_bit_exact(dtype):
    """The modules of bench/iree/make_cuda_dispatch.py's VQ check (f16 and
    bf16 tables, rows of the table's type) compiled for the CPU instead:
    bit-exact with qembed.dequantize_vq of the table, so the device check
    compares against the right reference."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                    "bench", "iree"))
    from make_cuda_dispatch import embedding_module
    from test_iree_cuda import to_input
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    table = x.astype(np.float16) if dtype == "f16" else \
        (x.view(np.uint32) >> 16).astype(np.uint16)  # bf16 bit patterns
    s = dict(dim=8, entries=256, stages=2, groups=2)
    ir = qembed.run_pipeline(
        to_input(embedding_module(table, dtype)),
        "quantize-embeddings{%s},qembed-to-iree{target=cpu}" % vq_options(s),
        allow_unregistered=True)
    # `host`: the generic CPU's software f32-to-f16 conversion flushes f16
    # subnormals to zero (this table has one); the VQ arithmetic has no
    # multiply-add for an FMA CPU to contract.
    vmfb = iree_compiler.compile_str(
        ir, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input", "--iree-llvmcpu-target-cpu=host"])
    ids = np.array([0, V - 1, 5, 5, 77], dtype=np.int64)
    out = run(vmfb, ids)
    q = qembed.quantize_vq(table, seed=0, dtype=dtype, **s)
    want = qembed.dequantize_vq(q, out_dtype=dtype).view(np.uint16)[ids]
    assert out.shape == (5, D) and out.dtype.itemsize == 2
    assert np.array_equal(out.view(np.uint16), want)
