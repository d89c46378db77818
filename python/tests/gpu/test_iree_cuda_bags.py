"""qembed's EmbeddingBag kernel as an IREE CUDA custom dispatch, on the GPU
machine: the modules bench/iree/make_cuda_bags.py built on the CPU machine
(--quantize-embeddings + --qembed-to-iree target=cuda, compiled by
iree-base-compiler 3.13 for sm_90) must return exactly qembed's reference
EmbeddingBag (qembed.gather_bags, lib/Numerics/Bags.h): W4 g64 f16 sum, W8
per-row f32 mean, W3 g32 asymmetric bf16 sum, W2 g64 asymmetric f16 mean;
bags that are empty, ids and offsets outside their ranges (clamped), 4096
bags of 0..40 ids, and zero bags.

Needs build/iree_cuda_bags (carried from the CPU machine) and the cp312
iree-base-runtime wheel on the path; a missing folder is a failure, not a
skip."""

import glob
import os

import numpy as np
import pytest

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "..", "build", "iree_cuda_bags")
CONFIGS = ["w4g64_f16_sum", "w8ch_f32_mean", "w3g32asym_bf16_sum",
           "w2g64asym_f16_mean"]
CASES = ["small", "many", "none"]


@pytest.mark.cuda
@pytest.mark.parametrize("config", CONFIGS)
def test_iree_cuda_bags_bit_exact(config):
    rt = pytest.importorskip("iree.runtime")
    vmfb = os.path.join(DIR, "bags_%s.vmfb" % config)
    assert os.path.exists(vmfb), (
        "missing %s: run python3 bench/iree/make_cuda_bags.py on the CPU "
        "machine and carry build/iree_cuda_bags" % vmfb)
    ctx = rt.SystemContext(config=rt.Config("cuda"))
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance,
                                              open(vmfb, "rb").read()))
    for case in CASES:
        base = os.path.join(DIR, "bags_%s_%s_" % (config, case))
        ids = np.load(base + "ids.npy")
        offsets = np.load(base + "offsets.npy")
        expected = np.load(base + "expected.npy")
        result = ctx.modules.module["bags"](ids, offsets)
        if expected.size == 0:
            # IREE 3.13's Python binding cannot map an empty result to the
            # host ("could not import host allocation"): check its shape.
            assert tuple(result.shape) == expected.shape, (case, result.shape)
            continue
        out = np.asarray(result.to_host())
        assert out.shape == expected.shape, (case, out.shape)
        got = out.view(np.uint16) if out.dtype.itemsize == 2 else out.view(
            np.uint32)
        want = expected.view(got.dtype)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, "%s/%s: %d values differ, first at %d" % (
            config, case, bad.size, bad[0])


def test_iree_cuda_bags_folder_complete():
    """Every module and case the checks above read is there."""
    if not os.path.isdir(DIR):
        pytest.fail("missing %s (bench/iree/make_cuda_bags.py)" % DIR)
    names = {os.path.basename(p) for p in glob.glob(os.path.join(DIR, "*"))}
    for config in CONFIGS:
        assert "bags_%s.vmfb" % config in names
        for case in CASES:
            for part in ("ids", "offsets", "expected"):
                assert "bags_%s_%s_%s.npy" % (config, case, part) in names
