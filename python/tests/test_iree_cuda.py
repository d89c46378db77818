"""IREE CUDA with qembed's kernel as a custom dispatch, compiled with the real
iree-base-compiler (CI has no GPU: the run is bench/iree/run_cuda_dispatch.py
on the GPU machine). A Torch-MLIR-shaped module and the fx-imported
Llama-like models go iree-compile --compile-to=input -> --quantize-embeddings
+ --qembed-to-iree{target=cuda} -> iree-compile --compile-from=input for
CUDA; the lookups must become dispatches of qembed's PTX (nothing left for
IREE's codegen of the gather), and ptxas must accept that PTX."""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import qembed
from test_iree import torch_mlir_module
from test_torch_mlir import Stack  # embedding -> RMSNorm -> Linear / tied

iree_compiler = pytest.importorskip("iree.compiler")
torch = pytest.importorskip("torch")
fx = pytest.importorskip("torch_mlir.fx")

# iree-base-compiler 3.13: --iree-cuda-target=sm_90 fails ("missing GPU
# target in #hal.executable.target"); the test target flag works.
CUDA = ["--iree-hal-target-device=cuda", "--iree-gpu-test-target=sm_90"]
PTXAS = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"


def to_input(src):
    return iree_compiler.compile_str(
        src, target_backends=[],
        extra_args=["--compile-to=input", "--mlir-print-op-generic"]).decode()


def embedded_ptx(ir):
    return [bytes.fromhex(h).rstrip(b"\0").decode() for h in re.findall(
        r'#hal\.executable\.object<\{data = dense<"0x([0-9A-F]*)">', ir)]


def quantize_for_cuda(input_ir, opts):
    ir = qembed.run_pipeline(
        input_ir,
        "quantize-embeddings{%s},qembed-to-iree{target=cuda chip=sm_90}" % opts,
        allow_unregistered=True)
    assert "qembed." not in ir
    return ir


def compile_cuda(ir):
    return iree_compiler.compile_str(
        ir, target_backends=[], extra_args=["--compile-from=input"] + CUDA)


@pytest.mark.parametrize("opts,dispatches", [
    ("bits=4 group-size=64", 1), ("bits=8 group-size=0", 1),
    ("bits=2 group-size=32 symmetric=false", 1), ("bits=3 group-size=64", 1),
    ("format=fp8", 1), ("format=nvfp4", 1), ("format=mxfp4", 1)])
def test_torch_mlir_shaped_module_compiles_for_cuda(opts, dispatches,
                                                    tmp_path):
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(512, 256)) * 0.02).astype(np.float32)
    ir = quantize_for_cuda(to_input(torch_mlir_module(table)), opts)
    assert ir.count('"flow.dispatch"') == dispatches
    # The 2-D ids of the module are flattened around the dispatch.
    assert "tensor.collapse_shape" in ir and "tensor.expand_shape" in ir
    ptx = embedded_ptx(ir)
    assert len(ptx) == 1 and ".target sm_90" in ptx[0]
    vmfb = compile_cuda(ir)
    # The kernel itself travels in the module, under its own name.
    name = re.search(r"\.entry (qembed_gather_\w+)\(", ptx[0]).group(1)
    assert name.encode() in vmfb
    if os.path.exists(PTXAS):
        (tmp_path / "k.ptx").write_text(ptx[0])
        subprocess.run([PTXAS, "-arch=sm_90", str(tmp_path / "k.ptx"), "-o",
                        str(tmp_path / "k.cubin")], check=True)


def llama_like_input_ir(tied):
    torch.manual_seed(0)
    model = Stack(tied).eval()
    ids = torch.tensor([[0, 999, 17, 17, 512], [3, 1, 4, 1, 5]])
    module = fx.export_and_import(model, ids, output_type="linalg-on-tensors",
                                  func_name="forward")
    return model, ids, to_input(str(module))


@pytest.mark.parametrize("tied", [False, True])
def test_fx_llama_like_compiles_for_cuda(tied):
    _, _, input_ir = llama_like_input_ir(tied)
    ir = quantize_for_cuda(input_ir, "bits=4 group-size=64")
    assert ir.count('"flow.dispatch"') == 1
    # The tied lm_head keeps its dense table; the lookup reads the packed one.
    assert ("tensor<1000x128xf32>" in ir) == tied
    vmfb = compile_cuda(ir)
    assert b"qembed_gather_w4_g64_sym_f32_f32_i64_d128" in vmfb
