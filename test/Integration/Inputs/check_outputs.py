#!/usr/bin/env python3
"""Compares the outputs (printMemrefI32 dumps of f32 bit patterns) of one
embedding module compiled four ways:

  dense  -- unquantized, upstream mlir-opt pipeline
  quant  -- --quantize-embeddings + --qembed-cpu-pipeline (fused gather)
  ref    -- --quantize-embeddings + --qembed-expand-gathers + --canonicalize:
            the table dequantized at compile time by the numerics library
  [up]   -- --quantize-embeddings + --qembed-to-linalg, then upstream mlir-opt

and checks: quant == ref and quant == up bit for bit; every quantized element
within half a quantization step of the unquantized one (the step recomputed
from the dense rows, which hold whole table rows), plus the rounding the
table dtype adds; any further printed memref (a tied lm_head) identical
between dense and quant. Prints PASS or the first failures."""

import argparse
import math
import re
import struct
import sys


def read_memrefs(path):
    """Returns a list of (sizes, [f32 values]) for each printed memref."""
    text = open(path).read()
    out = []
    for block in text.split("Unranked Memref")[1:]:
        sizes = [int(s) for s in
                 re.search(r"sizes = \[([^\]]*)\]", block).group(1).split(",")]
        data = block.split("data =", 1)[1]
        ints = [int(t) for t in re.findall(r"-?\d+", data)]
        vals = [struct.unpack("<f", struct.pack("<i", i))[0] for i in ints]
        out.append((sizes, ints, vals))
    return out


MANTISSA = {"f32": 24, "f16": 11, "bf16": 8}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dense")
    p.add_argument("quant")
    p.add_argument("ref")
    p.add_argument("up", nargs="?")
    p.add_argument("--bits", type=int, required=True)
    p.add_argument("--group", type=int, required=True)
    p.add_argument("--asymmetric", action="store_true")
    p.add_argument("--dtype", default="f32")
    p.add_argument("--format", default="int",
                   choices=["int", "fp8", "nvfp4", "mxfp4"])
    a = p.parse_args()

    dense, quant, ref = (read_memrefs(f) for f in (a.dense, a.quant, a.ref))
    errors = []
    if not dense or len(dense) != len(quant) or len(quant) != len(ref):
        print("FAIL: missing outputs", len(dense), len(quant), len(ref))
        return 1
    if quant[0][1] != ref[0][1]:
        bad = sum(x != y for x, y in zip(quant[0][1], ref[0][1]))
        errors.append("fused gather differs from the reference dequantization"
                      " in %d elements" % bad)
    if a.up:
        up = read_memrefs(a.up)
        if [m[1] for m in up] != [m[1] for m in quant]:
            errors.append("upstream-lowered module differs from "
                          "--qembed-cpu-pipeline")
    for i in range(1, len(dense)):
        if dense[i][1] != quant[i][1]:
            errors.append("tied use #%d changed by quantization" % i)

    sizes, _, dv = dense[0]
    qv = quant[0][2]
    if a.format != "int":
        errors += float_format_errors(a, sizes[-1], dv, qv)
        return report(errors, len(dv), dv, qv)
    cols = sizes[-1]
    group = a.group or cols
    qrange = 2 ** a.bits - 1
    ulp = 2.0 ** (1 - MANTISSA[a.dtype])  # relative rounding of the dtype
    worst = 0.0
    max_abs = max(abs(x - y) for x, y in zip(dv, qv))
    for base in range(0, len(dv), group):
        xs = dv[base:base + group]
        lo, hi = min(min(xs), 0.0), max(max(xs), 0.0)
        step = (hi - lo) / qrange if a.asymmetric else \
            max(-lo, hi) / (qrange / 2)
        for j, x in enumerate(xs):
            err = abs(x - qv[base + j])
            # Half a step, plus the dtype's rounding of x/scale (relative to
            # the code, at most 2^(bits-1) steps) and of the dequantized value.
            bound = (0.5 * step * (1 + 1e-6) + ulp * step * 2 ** (a.bits - 1)
                     * (a.dtype != "f32") + ulp * abs(x))
            if step == 0:
                bound = 0.0
            if err > bound:
                errors.append("element %d: dense %r quantized %r, error %g > "
                              "bound %g (step %g)" % (base + j, x,
                                                      qv[base + j], err,
                                                      bound, step))
            if step > 0:
                worst = max(worst, err / step)
    if errors:
        print("FAIL")
        for e in errors[:10]:
            print("  " + e)
        return 1
    print("PASS: %d elements, quantized == reference bit for bit, max error "
          "%.3f steps (%.4g absolute)" % (len(dv), worst, max_abs))
    return 0


def float_format_errors(a, cols, dv, qv):
    """Error bounds of the float formats, per group of the format (fp8: per
    row): fp8 rounds to 3 mantissa bits (relative 2^-4, absolute half a
    subnormal step 2^-10 * amax/448); nvfp4's E4M3 scale of amax/6 may be
    2^-4 small, so |x|/scale <= 6.375, the E2M1 spacing there is 2: error
    <= 1.1 * amax/6; mxfp4's power-of-two scale leaves |x|/scale < 8, which
    clamps to 6: error <= amax/4. Plus the dtype's rounding."""
    group = {"fp8": cols, "nvfp4": 16, "mxfp4": 32}[a.format]
    ulp = 2.0 ** (1 - MANTISSA[a.dtype])
    errors = []
    for base in range(0, len(dv), group):
        xs = dv[base:base + group]
        amax = max(abs(x) for x in xs)
        for j, x in enumerate(xs):
            if a.format == "fp8":
                bound = abs(x) / 16 + amax / 448 / 1024 + 2 * ulp * abs(x)
            elif a.format == "nvfp4":
                bound = 1.1 * amax / 6 + 2 * ulp * amax
            else:
                bound = amax / 4 + 2 * ulp * amax
            err = abs(x - qv[base + j])
            if err > bound * (1 + 1e-6):
                errors.append("element %d: dense %r quantized %r, error %g > "
                              "bound %g" % (base + j, x, qv[base + j], err,
                                            bound))
    return errors


def report(errors, n, dv, qv):
    if errors:
        print("FAIL")
        for e in errors[:10]:
            print("  " + e)
        return 1
    print("PASS: %d elements, quantized == reference bit for bit, max error "
          "%.4g absolute" % (n, max(abs(x - y) for x, y in zip(dv, qv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
