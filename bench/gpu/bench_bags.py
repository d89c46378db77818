#!/usr/bin/env python3
"""GPU EmbeddingBag (sum) in one process: PyTorch's F.embedding_bag of the
dense fp16 table next to qembed.torch.QuantizedEmbeddingBag (qembed's bag
kernel) for W4 g64 and W8 per-channel tables, 128256 x 4096, f16 output, int64
ids and offsets, B bags of L ids (uniform random). Each timing replays a CUDA
graph of 10 captured calls (GPU time only), median of 30. Every quantized
result is checked against the f32 sum of the reference rows (within f16
rounding: bit-exactness is test_torch_bags_cuda.py's job). Speed: the bytes a lookup must read (each id's packed row and
scales, or dense row) and write, per second, as % of the copy bandwidth
measured here (1 GiB, read + write).

Kernels come from $QEMBED_CACHE_DIR (python/tests/gpu/fill_kernel_cache.py).
Usage (GPU machine): python3 bench/gpu/bench_bags.py"""

import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests", "gpu"))
from test_torch_cuda import random_module, reference  # noqa: E402
from qembed.torch import QuantizedEmbeddingBag  # noqa: E402
from timing import copy_gbs, graph_us  # noqa: E402

V, D = 128256, 4096
SHAPES = [(256, 20), (4096, 20), (1024, 200)]  # bags, ids per bag
SCHEMES = [(4, 64), (8, 0)]


def main():
    torch.manual_seed(0)
    copy = copy_gbs()
    print("%s, copy %.0f GB/s; CUDA graph of 10 calls per timing" % (
        torch.cuda.get_device_name(), copy))
    dense = (torch.randn(V, D, device="cuda") * 0.02).half()
    mods = {}
    for bits, group in SCHEMES:
        m = random_module(bits, group, True, "f16", "f16", rows=V, cols=D)
        mods["W%d %s" % (bits, "g%d" % group if group else "ch")] = (
            m, QuantizedEmbeddingBag(
                m.packed, m.scales, None, embedding_dim=D, bits=bits,
                group_size=group, mode="sum", dtype=torch.float16))
    print("| bags x ids | dense F.embedding_bag | " + " | ".join(
        "%s bag kernel | vs dense" % k for k in mods) + " |")
    print("|---|---|" + "---|---|" * len(mods))
    for bags, per in SHAPES:
        ids = torch.randint(0, V, (bags * per,), device="cuda")
        offsets = torch.arange(bags, device="cuda") * per
        t_dense = graph_us(lambda: F.embedding_bag(ids, dense, offsets,
                                                   mode="sum"))
        moved = ids.numel() * D * 2 + bags * D * 2
        cells = ["%.1f us, %.0f%%" % (t_dense, 100 * moved / t_dense / 1e3 /
                                      copy)]
        for name, (m, bag) in mods.items():
            got = bag(ids, offsets)
            rows = reference(m, ids).float()
            want = rows.reshape(bags, per, D).sum(1)
            err = (got.float() - want).abs().max().item()
            tol = 4e-3 * want.abs().max().item() + 1e-3
            assert err <= tol, (name, bags, per, err, tol)
            t = graph_us(lambda: bag(ids, offsets))
            row = D * m.bits // 8 + m.scales.shape[1] * 2
            moved = ids.numel() * row + bags * D * 2
            cells.append("%.1f us, %.0f%% | %.2fx" % (
                t, 100 * moved / t / 1e3 / copy, t_dense / t))
        print("| %d x %d | %s |" % (bags, per, " | ".join(cells)))


if __name__ == "__main__":
    main()
