#!/usr/bin/env python3
"""Checks a codebook-VQ (format=vq) embedding module run three ways against
an independent Python implementation of the reference dequantization.

  qmodule -- the quantized module, printed with
             --mlir-print-elementsattrs-with-hex-if-larger=0 (every constant
             as a hex blob): codes (V x W i32), scales (V x 1), codebooks
             (G x S x K x d) and the ids of @main
  dense   -- printMemrefI32 dump of the unquantized module's output
  outs    -- dumps of the quantized module lowered by --qembed-cpu-pipeline,
             by --qembed-to-linalg + upstream mlir-opt, ...

Every output must equal, bit for bit, the reference computed here from the
module's constants: acc = book[g,0,code0,l] (+ book[g,s,code_s,l] for the
further stages, each sum rounded to f32), result = f32(scale * acc) rounded
to the output type. Also prints the SQNR of the quantized rows against the
dense ones and fails below --min-sqnr. Prints PASS or the failures."""

import argparse
import math
import re
import struct
import sys

from check_outputs import read_memrefs

FMT = {"f32": ("<f", 4), "f16": ("<e", 2), "i32": ("<i", 4), "i64": ("<q", 8)}


def to_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def round_to(kind, x):
    if kind == "f32":
        return to_f32(x)
    if kind == "f16":
        return struct.unpack("<e", struct.pack("<e", x))[0]
    b = struct.unpack("<I", struct.pack("<f", x))[0]
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return struct.unpack("<f", struct.pack("<I", b))[0]


def decode(hexstr, elt):
    raw = bytes.fromhex(hexstr)
    if elt == "bf16":
        return [struct.unpack("<f", struct.pack("<I", h << 16))[0]
                for h in struct.unpack("<%dH" % (len(raw) // 2), raw)]
    fmt, width = FMT[elt]
    return list(struct.unpack("<%d%s" % (len(raw) // width, fmt[1]), raw))


def constants(text):
    """(shape, elt, values) of every hex constant of the module."""
    out = []
    for m in re.finditer(r'dense<"0x([0-9A-F]*)">\s*:\s*tensor<([0-9x]+)x'
                         r'(f32|f16|bf16|i32|i64)>', text):
        shape = [int(s) for s in m.group(2).split("x")]
        out.append((shape, m.group(3), decode(m.group(1), m.group(3))))
    # dense_resource constants: blobs (4-byte alignment prefix, then data)
    # in the module's dialect_resources section.
    blobs = dict(re.findall(r'([\w.]+): "0x([0-9A-F]*)"', text))
    for m in re.finditer(r'dense_resource<([\w.]+)>\s*:\s*tensor<([0-9x]+)x'
                         r'(f32|f16|bf16|i32|i64)>', text):
        if m.group(1) in blobs:
            shape = [int(s) for s in m.group(2).split("x")]
            out.append((shape, m.group(3),
                        decode(blobs[m.group(1)][8:], m.group(3))))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("qmodule")
    p.add_argument("dense")
    p.add_argument("outs", nargs="+")
    p.add_argument("--out-dtype", default="f32")
    p.add_argument("--min-sqnr", type=float, required=True)
    a = p.parse_args()
    text = open(a.qmodule).read()
    g = re.search(r"codebook <dim = (\d+), entries = (\d+), stages = (\d+), "
                  r"groups = (\d+)>", text)
    dim, entries, stages, groups = (int(x) for x in g.groups())
    bits = entries.bit_length() - 1
    consts = constants(text)
    codes = next(c for c in consts if c[1] == "i32" and len(c[0]) == 2
                 and c[0][1] != 1)
    scales = next(c for c in consts if len(c[0]) == 2 and c[0][1] == 1
                  and c[1] != "i32")
    books = next(c for c in consts if len(c[0]) == 4)
    ids = next(c for c in consts if c[1] == "i64")
    rows, words = codes[0]
    cols = a_cols = None
    dense = read_memrefs(a.dense)[0]
    cols = dense[0][-1]
    vpg = cols // dim // groups
    assert books[0] == [groups, stages, entries, dim], books[0]

    def code(r, idx):
        bit = idx * bits
        w, off = bit // 32, bit % 32
        v = codes[2][r * words + w] & 0xFFFFFFFF
        if off + bits > 32:
            v |= (codes[2][r * words + w + 1] & 0xFFFFFFFF) << 32
        return (v >> off) & ((1 << bits) - 1)

    expect = []
    for i in ids[2]:
        r = min(max(i, 0), rows - 1)
        for c in range(cols):
            v, lane = c // dim, c % dim
            grp = v // vpg
            acc = None
            for s in range(stages):
                e = books[2][((grp * stages + s) * entries +
                              code(r, v * stages + s)) * dim + lane]
                acc = e if acc is None else to_f32(acc + e)
            val = round_to(a.out_dtype, to_f32(scales[2][r] * acc))
            expect.append(struct.unpack("<i", struct.pack("<f", val))[0])
    errors = []
    for path in a.outs:
        got = read_memrefs(path)[0][1]
        if got != expect:
            bad = sum(x != y for x, y in zip(got, expect)) + abs(
                len(got) - len(expect))
            errors.append("%s differs from the reference in %d elements"
                          % (path, bad))
    ref = [struct.unpack("<f", struct.pack("<i", x))[0] for x in expect]
    sig = sum(x * x for x in dense[2])
    noise = sum((x - y) ** 2 for x, y in zip(dense[2], ref))
    sqnr = 10 * math.log10(sig / noise) if noise > 0 else math.inf
    if sqnr < a.min_sqnr:
        errors.append("SQNR %.2f dB below %.2f" % (sqnr, a.min_sqnr))
    if errors:
        print("FAIL")
        for e in errors:
            print("  " + e)
        return 1
    print("PASS: %d elements, every output == reference bit for bit, SQNR "
          "%.1f dB" % (len(expect), sqnr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
