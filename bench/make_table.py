#!/usr/bin/env python3
"""Writes a Torch-MLIR-shaped embedding module whose bf16 table is a random
`dense_resource` blob of real-model size (default: Llama-2, 32000 x 4096).
Values are sign * 2^e * (1 + m/128) with e in [-9, -4] (|x| ~ 0.002-0.06, the
range of trained embeddings); bytes are made with bytes.translate, so a
262 MB table takes seconds in pure Python."""

import argparse
import os
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=32000)
    p.add_argument("--cols", type=int, default=4096)
    a = p.parse_args()
    n = a.rows * a.cols
    raw = bytearray(os.urandom(2 * n))
    # High byte of a bf16: sign bit + top 7 exponent bits. Map every byte to
    # a biased exponent in [118, 123] (2^-9 .. 2^-4) keeping its sign.
    table = bytes(((b & 0x80) | (0x3B + (b & 0x7F) % 3)) for b in range(256))
    raw[1::2] = bytes(raw[1::2]).translate(table)
    V, D = a.rows, a.cols
    w = sys.stdout.write
    w("func.func @forward(%%ids: tensor<?x?xi64>) -> tensor<?x?x%dxbf16> {\n" % D)
    w("  %%table = arith.constant dense_resource<torch_tensor_%d_%d_torch.bfloat16>"
      " : tensor<%dx%dxbf16>\n" % (V, D, V, D))
    w("  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n")
    w("  %d0 = tensor.dim %ids, %c0 : tensor<?x?xi64>\n")
    w("  %d1 = tensor.dim %ids, %c1 : tensor<?x?xi64>\n")
    w("  %%init = tensor.empty(%%d0, %%d1) : tensor<?x?x%dxbf16>\n" % D)
    w("  %%rows = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> "
      "(d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = "
      "[\"parallel\", \"parallel\", \"parallel\"]} ins(%%ids : tensor<?x?xi64>) "
      "outs(%%init : tensor<?x?x%dxbf16>) {\n" % D)
    w("  ^bb0(%in: i64, %out: bf16):\n")
    w("    %row = arith.index_cast %in : i64 to index\n")
    w("    %col = linalg.index 2 : index\n")
    w("    %%v = tensor.extract %%table[%%row, %%col] : tensor<%dx%dxbf16>\n" % (V, D))
    w("    linalg.yield %v : bf16\n")
    w("  } -> tensor<?x?x%dxbf16>\n" % D)
    w("  return %%rows : tensor<?x?x%dxbf16>\n}\n" % D)
    w("{-#\n  dialect_resources: {\n    builtin: {\n")
    w("      torch_tensor_%d_%d_torch.bfloat16: \"0x02000000" % (V, D))
    chunk = 1 << 24
    for i in range(0, len(raw), chunk):
        w(raw[i:i + chunk].hex().upper())
    w("\"\n    }\n  }\n#-}\n")


if __name__ == "__main__":
    main()
