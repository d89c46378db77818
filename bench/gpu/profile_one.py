#!/usr/bin/env python3
"""Runs one generated kernel a few times (for ncu): table V x D, scheme from
the entry name, N tokens. Usage: profile_one.py NAME V N"""

import sys

import torch

import os as _os
import sys as _sys
_sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "..", "python", "tests", "gpu"))
from aot_library import Library


def main():
    name, v, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lib = Library()
    lib.use_torch_stream()
    fn = lib.function(name)
    cfg = fn.cfg
    packed = torch.randint(-2**31, 2**31, (v, cfg["words"]), dtype=torch.int32,
                           device="cuda")
    scales = torch.rand(v, cfg["groups"], device="cuda").half()
    ids = torch.randint(0, v, (n,), device="cuda")
    out = torch.empty(n, cfg["d"], dtype=torch.float16, device="cuda")
    launch = fn.prepare(packed, scales, ids, out)
    for _ in range(3):
        launch()
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
