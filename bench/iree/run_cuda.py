#!/usr/bin/env python3
"""Runs the IREE CUDA modules of make_cuda_vmfbs.py on the GPU (IREE
runtime, "cuda" driver) and compares them bit for bit with the expected
outputs."""

import os
import sys

import numpy as np
import iree.runtime as rt

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "build", "iree_cuda")


def run(name, ids):
    config = rt.Config("cuda")
    ctx = rt.SystemContext(config=config)
    vmfb = open(os.path.join(HERE, name), "rb").read()
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module["forward"](ids).to_host()), len(vmfb)


def main():
    ids = np.load(os.path.join(HERE, "ids.npy"))
    ok = True
    for name, ref in (("dense.vmfb", "ref_dense.npy"),
                      ("quant.vmfb", "ref_quant.npy")):
        out, size = run(name, ids)
        want = np.load(os.path.join(HERE, ref))
        same = out.shape == want.shape and np.array_equal(
            out.view(np.uint32), want.view(np.uint32))
        print("%s (%d bytes): output %s, bit-exact: %s" % (
            name, size, out.shape, same))
        ok &= same
    print("IREE CUDA hand-off:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
