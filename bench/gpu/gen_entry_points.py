#!/usr/bin/env python3
"""Writes the MLIR module of GPU entry points that the GPU check and
benchmark call: one function per (scheme, scale type, output type, D), each
a single qembed.buffer_gather over caller-provided device buffers, plus a
manifest (JSON) describing every function's operands.

Usage: gen_entry_points.py OUT.mlir OUT.json"""

import itertools
import json
import sys

CHECK_D = 256


def configs():
    seen = set()
    # Correctness: every width incl. straddling 3/5, channel and group,
    # symmetric and asymmetric, f16/bf16/f32 outputs and f32 scales.
    for bits, group, sym, (scale, out) in itertools.product(
            (2, 3, 4, 5, 8), (0, 64), (True, False),
            (("f16", "f16"), ("bf16", "bf16"), ("f32", "f32"),
             ("f32", "bf16"))):
        seen.add((bits, group, sym, scale, out, CHECK_D))
    # Small groups (several scales per 32-code chunk).
    seen.add((4, 16, True, "f16", "f16", CHECK_D))
    seen.add((2, 8, False, "bf16", "bf16", CHECK_D))
    # Benchmark shapes (also checked).
    for d in (4096, 8192):
        for bits, group in ((4, 64), (8, 0), (2, 64)):
            seen.add((bits, group, True, "f16", "f16", d))
    # The > 2^31-byte table.
    seen.add((8, 0, True, "bf16", "bf16", 8192))
    return sorted(seen)


def name(bits, group, sym, scale, out, d):
    return "g_b%d_g%d_%s_s%s_o%s_d%d" % (bits, group,
                                        "sym" if sym else "asym", scale, out, d)


def bench_configs():
    return [(bits, group, True, "f16", "f16", d) for d in (4096, 8192)
            for bits, group in ((4, 64), (8, 0), (2, 64))]


def main():
    mlir_path, json_path = sys.argv[1], sys.argv[2]
    only_bench = len(sys.argv) > 3 and sys.argv[3] == "--bench-only"
    lines, manifest = [], {}
    for bits, group, sym, scale, out, d in (bench_configs() if only_bench
                                             else configs()):
        n = name(bits, group, sym, scale, out, d)
        words = (d * bits + 31) // 32
        groups = 1 if group == 0 else d // group
        kind = "symmetric" if sym else "asymmetric"
        p = "memref<?x%dxi32>" % words
        s = "memref<?x%dx%s>" % (groups, scale)
        z = "memref<?x%dxi8>" % groups
        o = "memref<?x%dx%s>" % (d, out)
        args = "%%p: %s, %%s: %s, %%ids: memref<?xi64>" % (p, s)
        if not sym:
            args += ", %%z: %s" % z
        args += ", %%out: %s" % o
        zp = "" if sym else " zero_points(%z)"
        ztype = "" if sym else ", " + z
        lines.append(
            "func.func @%s(%s) attributes {llvm.emit_c_interface} {\n"
            "  qembed.buffer_gather %%p[%%ids] scales(%%s)%s into %%out "
            "scheme <bits = %d, group_size = %d, %s, scale_type = %s> : "
            "%s, %s, memref<?xi64>, %s%s\n  return\n}\n" % (
                n, args, zp, bits, group, kind, scale, p, s, o, ztype))
        manifest[n] = dict(bits=bits, group=group, symmetric=sym,
                           scale=scale, out=out, d=d, words=words,
                           groups=groups)
    open(mlir_path, "w").write("\n".join(lines))
    json.dump(manifest, open(json_path, "w"), indent=1)


if __name__ == "__main__":
    main()
