#!/usr/bin/env python3
"""Writes a runnable module holding an EmbeddingBag lookup over a random,
non-splat table, plus a @main that calls it with fixed ids and offsets and
prints every output element's f32 bit pattern (f16/bf16 widened exactly).

mode "sum" is spelled as torch-mlir's fx importer lowers
torch.nn.EmbeddingBag(mode="sum") (a linalg.generic over bag x id x column
whose reduction visits every id); mode "mean" (which torch-mlir cannot
lower) is a qembed.lookup_bags. With --expect FILE it also writes the
expected output of qembed.lookup_bags, computed here in Python with the
accumulation rule of lib/Numerics/Bags.h (f32 accumulator in bag order,
rounded once to the table type; mean divides the rounded sum in f32)."""

import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_embedding import ROUND, make_table, raw_bytes, round_f32  # noqa: E402


def f32_bits(x):
    return struct.unpack("<i", struct.pack("<f", x))[0]


def expected(table, ids, offsets, mode, dtype):
    """Bag rows by the rule of lib/Numerics/Bags.h, as f32 values."""
    n, rows, cols = len(ids), len(table), len(table[0])
    out = []
    for b in range(len(offsets)):
        begin = min(max(offsets[b], 0), n)
        end = min(max(offsets[b + 1], 0), n) if b + 1 < len(offsets) else n
        end = max(end, begin)
        acc = [0.0] * cols
        for i in range(begin, end):
            row = table[min(max(ids[i], 0), rows - 1)]
            acc = [round_f32(a + v) for a, v in zip(acc, row)]
        s = [ROUND[dtype](a) for a in acc]
        if mode == "mean" and end > begin:
            s = [ROUND[dtype](round_f32(v / (end - begin))) for v in s]
        out.append(s)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--cols", type=int, default=64)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--mode", choices=["sum", "mean"], default="sum")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--expect", help="write the expected output here")
    p.add_argument("--in-range", action="store_true",
                   help="only ids inside the table: torch-mlir's generic "
                        "does not check them, out-of-range ids read out of "
                        "bounds there")
    a = p.parse_args()
    rng = random.Random(a.seed)
    V, D, T = a.rows, a.cols, a.dtype
    table = make_table(V, D, T, rng)
    # Bags: two rows, an empty bag, repeats and first/last rows, a bag of
    # one, out-of-range ids (clamped), and a long last bag.
    ids = [0, V - 1, 2, 2, 1, 3, -4, V + 7] + [rng.randrange(V)
                                              for _ in range(12)]
    if a.in_range:
        ids = [min(max(i, 0), V - 1) for i in ids]
    offsets = [0, 2, 2, 5, 6, 8]
    N, B = len(ids), len(offsets)
    ids_t, off_t = "tensor<%dxi64>" % N, "tensor<%dxi64>" % B
    out_t = "tensor<%dx%dx%s>" % (B, D, T)
    table_t = "tensor<%dx%dx%s>" % (V, D, T)
    flat = [v for row in table for v in row]
    out = []
    w = out.append
    w("func.func @forward(%%ids: %s, %%offsets: %s) -> %s {" % (ids_t, off_t,
                                                              out_t))
    w('  %%table = arith.constant dense<"0x%s"> : %s' % (
        raw_bytes(flat, T).hex().upper(), table_t))
    if a.mode == "mean":
        w("  %%rows = qembed.lookup_bags %%table[%%ids] offsets(%%offsets) "
          "mode(mean) : %s, %s, %s -> %s" % (table_t, ids_t, off_t, out_t))
    else:
        w("  %c0 = arith.constant 0 : index")
        w("  %%zero = arith.constant 0.0 : %s" % T)
        w("  %c1_i64 = arith.constant 1 : i64")
        w("  %%cB = arith.constant %d : i64" % B)
        w("  %%cN = arith.constant %d : i64" % N)
        w("  %%e = tensor.empty() : %s" % out_t)
        w("  %%fill = linalg.fill ins(%%zero : %s) outs(%%e : %s) -> %s" % (
            T, out_t, out_t))
        w("  %%rows = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2)"
          " -> (d1)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, "
          "d2) -> (d0, d2)>], iterator_types = [\"parallel\", \"reduction\", "
          "\"parallel\"]} ins(%%ids, %%offsets : %s, %s) outs(%%fill : %s) {"
          % (ids_t, off_t, out_t))
        w("  ^bb0(%%in: i64, %%off: i64, %%out: %s):" % T)
        w("    %b = linalg.index 0 : index")
        w("    %b64 = arith.index_cast %b : index to i64")
        w("    %b1 = arith.addi %b64, %c1_i64 : i64")
        w("    %b1i = arith.index_cast %b1 : i64 to index")
        w("    %last = arith.cmpi eq, %b1, %cB : i64")
        w("    %nidx = arith.select %last, %c0, %b1i : index")
        w("    %%next = tensor.extract %%offsets[%%nidx] : %s" % off_t)
        w("    %end = arith.select %last, %cN, %next : i64")
        w("    %i = linalg.index 1 : index")
        w("    %i64 = arith.index_cast %i : index to i64")
        w("    %lt = arith.cmpi slt, %off, %i64 : i64")
        w("    %eq = arith.cmpi eq, %off, %i64 : i64")
        w("    %ge = arith.ori %lt, %eq : i1")
        w("    %before = arith.cmpi slt, %i64, %end : i64")
        w("    %inbag = arith.andi %ge, %before : i1")
        w("    %row = arith.index_cast %in : i64 to index")
        w("    %col = linalg.index 2 : index")
        w("    %%v = tensor.extract %%table[%%row, %%col] : %s" % table_t)
        w("    %%sum = arith.addf %%v, %%out : %s" % T)
        w("    %%r = arith.select %%inbag, %%sum, %%out : %s" % T)
        w("    linalg.yield %%r : %s" % T)
        w("  } -> %s" % out_t)
    w("  return %%rows : %s" % out_t)
    w("}")
    w("")
    w("func.func private @printMemrefI32(tensor<*xi32>) attributes "
      "{llvm.emit_c_interface}")
    w("func.func @main() {")
    w("  %%ids = arith.constant dense<%s> : %s" % (str(ids).replace(" ", ""),
                                                 ids_t))
    w("  %%offsets = arith.constant dense<%s> : %s" % (
        str(offsets).replace(" ", ""), off_t))
    w("  %%r = call @forward(%%ids, %%offsets) : (%s, %s) -> %s" % (
        ids_t, off_t, out_t))
    m = "affine_map<(a0, a1) -> (a0, a1)>"
    w("  %%eb = tensor.empty() : tensor<%dx%dxi32>" % (B, D))
    w("  %%bits = linalg.generic {indexing_maps = [%s, %s], iterator_types = "
      "[\"parallel\", \"parallel\"]} ins(%%r : %s) outs(%%eb : "
      "tensor<%dx%dxi32>) {" % (m, m, out_t, B, D))
    w("  ^bb0(%%x: %s, %%o: i32):" % T)
    x = "%x"
    if T != "f32":
        w("    %%wide = arith.extf %%x : %s to f32" % T)
        x = "%wide"
    w("    %%i = arith.bitcast %s : f32 to i32" % x)
    w("    linalg.yield %i : i32")
    w("  } -> tensor<%dx%dxi32>" % (B, D))
    w("  %%u = tensor.cast %%bits : tensor<%dx%dxi32> to tensor<*xi32>" % (B,
                                                                         D))
    w("  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()")
    w("  return")
    w("}")
    print("\n".join(out))
    if a.expect:
        rows = expected(table, ids, offsets, a.mode, T)
        with open(a.expect, "w") as f:
            f.write(" ".join(str(f32_bits(v)) for row in rows for v in row))
            f.write("\n")


if __name__ == "__main__":
    main()
