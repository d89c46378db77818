#!/usr/bin/env python3
"""Builds (on the CPU machine) the iree-turbine modules for the GPU check of
--qembed-quantize-globals: the tiny Llama of python/tests/test_iree_turbine.py
exported with inline globals and with an IRPA parameter file, quantized
(W4 g64) with each gather a dispatch of qembed's kernel
(--qembed-to-iree="target=cuda chip=sm_90"), compiled by iree-compile for
CUDA; plus the ids, the archives, and the expected outputs: the same
modules lowered with --qembed-to-linalg, compiled for the CPU and run here.
Also the embedding alone (python/tests/test_iree_turbine_formats.py's
Lookup, its table an IRPA parameter) quantized with format=fp8 / nvfp4 /
mxfp4 and codebook VQ (lookup_<fmt>.cuda.vmfb, lookup_<fmt>.qembed.irpa),
with qembed's reference dequantization of the table as the expected rows
(lookup_<fmt>_expected.npy, bit patterns) for a bit-exactness check.
Output: build/iree_turbine_cuda/. Run bench/iree/run_turbine_cuda.py on the
GPU machine (carry build/iree_turbine_cuda and the iree-base-runtime
wheel)."""

import os
import shutil
import sys

import numpy as np
import torch
from iree import compiler
from iree.turbine import aot

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "python", "tests"))
from test_iree_turbine import (IDS, compile_cpu, make_model,  # noqa: E402
                               reference, run)

import qembed  # noqa: E402
import qembed.iree  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "build",
                   "iree_turbine_cuda")
# iree-base-compiler 3.13.0: --iree-gpu-test-target works where
# --iree-cuda-target=sm_90 fails (see README).
CUDA = ["--compile-from=input", "--iree-hal-target-device=cuda",
        "--iree-gpu-test-target=sm_90"]


def build(name, text, **kw):
    common = dict(bits=4, group_size=64, lower=False, **kw)
    q = qembed.iree.quantize_globals(text, **common)
    cuda_ir = qembed.run_pipeline(
        q, "qembed-to-iree{target=cuda chip=sm_90}", allow_unregistered=True)
    cuda = compiler.compile_str(cuda_ir, target_backends=[], extra_args=CUDA)
    open(os.path.join(OUT, name + ".cuda.vmfb"), "wb").write(cuda)
    cpu_ir = qembed.run_pipeline(q, "qembed-to-linalg",
                                 allow_unregistered=True)
    return compile_cpu(cpu_ir)


def formats():
    """The float formats and VQ through --qembed-quantize-globals, for a
    bit-exact check of the rows on the GPU."""
    from test_iree_turbine_formats import IDS as LOOKUP_IDS, VQ, Lookup
    f = Lookup(torch.float32)
    aot.externalize_module_parameters(f)
    params = os.path.join(OUT, "lookup.irpa")
    aot.save_module_parameters(params, f)
    text = qembed.iree.compile_to_input(aot.export(f, args=(LOOKUP_IDS,)))
    table = f.emb.weight.detach().numpy()
    np.save(os.path.join(OUT, "lookup_ids.npy"), LOOKUP_IDS.numpy())
    for name, kw in (("fp8", dict(format="fp8")),
                     ("nvfp4", dict(format="nvfp4")),
                     ("mxfp4", dict(format="mxfp4")), ("vq", dict(vq=VQ))):
        packed = os.path.join(OUT, "lookup_%s.qembed.irpa" % name)
        q = qembed.iree.quantize_globals(
            text, parameters={"model": params}, output_parameters=packed,
            lower=False, **kw)
        cuda_ir = qembed.run_pipeline(
            q, "qembed-to-iree{target=cuda chip=sm_90}",
            allow_unregistered=True)
        assert cuda_ir.count('"flow.dispatch"') == 1
        open(os.path.join(OUT, "lookup_%s.cuda.vmfb" % name), "wb").write(
            compiler.compile_str(cuda_ir, target_backends=[],
                                 extra_args=CUDA))
        deq = qembed.dequantize_vq(qembed.quantize_vq(table, **VQ)) \
            if name == "vq" else \
            qembed.dequantize(qembed.quantize(table, format=name))
        np.save(os.path.join(OUT, "lookup_%s_expected.npy" % name),
                deq[LOOKUP_IDS.numpy()].view(np.uint32))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    ids = IDS.numpy()
    np.save(os.path.join(OUT, "ids.npy"), ids)

    f = make_model(False)
    cpu = build("inline", qembed.iree.compile_to_input(
        aot.export(f, args=(IDS,))))
    np.save(os.path.join(OUT, "ref_inline.npy"), run(cpu, ids))
    np.save(os.path.join(OUT, "torch.npy"), reference(f, IDS, 4, 64))

    aot.externalize_module_parameters(f)
    params = os.path.join(OUT, "model.irpa")
    aot.save_module_parameters(params, f)
    packed = os.path.join(OUT, "model.qembed.irpa")
    cpu = build("params", qembed.iree.compile_to_input(
        aot.export(f, args=(IDS,))), parameters={"model": params},
        output_parameters=packed)
    np.save(os.path.join(OUT, "ref_params.npy"),
            run(cpu, ids, [("model", params), ("model", packed)]))
    formats()
    for n in sorted(os.listdir(OUT)):
        print(n, os.path.getsize(os.path.join(OUT, n)))


if __name__ == "__main__":
    with torch.no_grad():
        main()
