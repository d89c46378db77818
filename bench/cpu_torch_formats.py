#!/usr/bin/env python3
"""CPU cost of qembed.torch's FloatFormatEmbedding / CodebookEmbedding
forward (torch.ops.qembed.gather_float / gather_vq) against the numpy entry
points on the same tables (qembed.gather / qembed.gather_vq), and a dense
bf16 nn.Embedding, in one process: an 8192x2048 bf16 table, 4096 random
int64 ids, bf16 output, all cores; best of 7.
Usage: PYTHONPATH=<qembed install> python3 bench/cpu_torch_formats.py"""
import time

import numpy as np
import torch
from torch import nn

import qembed
from qembed.torch import QuantizedEmbedding

V, D, N = 8192, 2048, 4096
torch.manual_seed(0)
emb = nn.Embedding(V, D).to(torch.bfloat16)
with torch.no_grad():
    emb.weight.normal_(0, 0.02)
ids = torch.randint(0, V, (N,))


def best(fn, reps=7):
    fn()
    ts = []
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - s)
    return min(ts)


with torch.no_grad():
    dense = best(lambda: emb(ids))
print("nn.Embedding bf16 (dense)   %8.3f ms" % (dense * 1e3))
for label, kw in [("fp8", dict(format="fp8")), ("nvfp4", dict(format="nvfp4")),
                  ("mxfp4", dict(format="mxfp4")),
                  ("vq d4 k256", dict(vq=dict(dim=4, entries=256,
                                              iterations=2)))]:
    m = QuantizedEmbedding.from_embedding(emb, **kw)
    q = m.table()
    ids_np = ids.numpy()
    if "vq" in kw:
        direct = best(lambda: qembed.gather_vq(q, ids_np, out_dtype="bf16"))
    else:
        direct = best(lambda: qembed.gather(q, ids_np, out_dtype="bf16"))
    with torch.no_grad():
        module = best(lambda: m(ids))
    print("%-12s module %8.3f ms  numpy entry point %8.3f ms  "
          "module/numpy %.2fx  module/dense %.2fx"
          % (label, module * 1e3, direct * 1e3, module / direct,
             module / dense))
