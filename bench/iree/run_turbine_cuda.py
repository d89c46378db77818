#!/usr/bin/env python3
"""GPU machine: runs the CUDA modules of make_turbine_cuda.py with the IREE
runtime ("cuda" driver; the parameter module serving model.irpa and
model.qembed.irpa in scope "model") and compares them with the CPU builds
of the same quantized modules and with PyTorch run with the dequantized
embedding (max |difference| <= 1e-4); and the FP8 / NVFP4 / MXFP4 / VQ
embeddings (lookup_*.cuda.vmfb) bit for bit against qembed's reference
dequantization."""

import os
import sys

import numpy as np
import iree.runtime as rt

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "build",
                    "iree_turbine_cuda")


def run(name, ids, archives=()):
    config = rt.Config("cuda")
    ctx = rt.SystemContext(config=config)
    if archives:
        index = rt.ParameterIndex()
        for a in archives:
            index.load(os.path.join(HERE, a))
        ctx.add_vm_module(rt.create_io_parameters_module(
            config.vm_instance, index.create_provider(scope="model")))
    vmfb = open(os.path.join(HERE, name), "rb").read()
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module["main"](ids).to_host())


def main():
    ids = np.load(os.path.join(HERE, "ids.npy"))
    torch_ref = np.load(os.path.join(HERE, "torch.npy"))
    ok = True
    for name, ref, archives in (
            ("inline", "ref_inline.npy", ()),
            ("params", "ref_params.npy", ("model.irpa", "model.qembed.irpa"))):
        out = run(name + ".cuda.vmfb", ids, archives)
        cpu = np.load(os.path.join(HERE, ref))
        d_cpu = float(np.abs(out - cpu).max())
        d_torch = float(np.abs(out - torch_ref).max())
        good = out.shape == cpu.shape and d_cpu <= 1e-4 and d_torch <= 1e-4
        print("%s: CUDA output %s, max |CUDA - CPU| %.3g, "
              "max |CUDA - torch(dequantized)| %.3g: %s"
              % (name, out.shape, d_cpu, d_torch, "ok" if good else "BAD"))
        ok &= good
    lookup_ids = np.load(os.path.join(HERE, "lookup_ids.npy"))
    for name in ("fp8", "nvfp4", "mxfp4", "vq"):
        out = run("lookup_%s.cuda.vmfb" % name, lookup_ids,
                  ("lookup.irpa", "lookup_%s.qembed.irpa" % name))
        want = np.load(os.path.join(HERE, "lookup_%s_expected.npy" % name))
        good = out.shape == want.shape and np.array_equal(
            out.view(np.uint32), want)
        print("lookup %s: CUDA rows %s: %s" % (
            name, out.shape, "bit-exact" if good else "DIFFER"))
        ok &= good
    print("iree-turbine globals on CUDA:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
