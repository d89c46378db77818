#!/usr/bin/env python3
"""Builds, on the CPU machine, what python/tests/gpu/test_iree_cuda_bags.py
checks on the GPU machine: qembed's EmbeddingBag kernel as an IREE CUDA
custom dispatch (--qembed-to-iree target=cuda), bit for bit against qembed's
reference (qembed.gather_bags, lib/Numerics/Bags.h).

  bags_<cfg>.vmfb           a module holding a constant table (1000 x 256 for
                            f16/bf16, 1000 x 128 for f32), raised/quantized by
                            --quantize-embeddings, its qembed.gather_bags
                            made a CUDA dispatch; function `bags(ids, offsets)`
  bags_<cfg>_<case>_{ids,offsets,expected}.npy
                            inputs and the reference output (16-bit floats
                            as uint16 bit patterns); cases: small (empty
                            bags, clamped ids and offsets), many (4096 bags
                            of 0..40 ids), none (zero bags)

Every reference is also checked here against the same module lowered with
--qembed-to-linalg and run by IREE on this CPU, bit for bit (f32 tables
with target-cpu=generic, f16/bf16 with target-cpu=host: see main()).

Output: build/iree_cuda_bags/ (carry it, python/tests/gpu and the cp312
iree-base-runtime wheel to the device)."""

import os
import sys

import numpy as np
from iree import compiler, runtime

import qembed

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "build", "iree_cuda_bags")
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests"))
from test_iree_cuda import CUDA  # noqa: E402

# name: (bits, group, symmetric, dtype, mode, cols)
CONFIGS = {
    "w4g64_f16_sum": (4, 64, True, "f16", "sum", 256),
    "w8ch_f32_mean": (8, 0, True, "f32", "mean", 128),
    "w3g32asym_bf16_sum": (3, 32, False, "bf16", "sum", 256),
    "w2g64asym_f16_mean": (2, 64, False, "f16", "mean", 256),
}
ROWS = 1000


def table_bytes(table, dtype):
    """Raw little-endian bytes of an f32 table rounded to `dtype`, and the
    array qembed.quantize takes for it."""
    if dtype == "f32":
        return table.tobytes(), table
    if dtype == "f16":
        t = table.astype(np.float16)
        return t.tobytes(), t
    bits = table.view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded.tobytes(), rounded


def module_text(raw, dtype, mode, cols):
    t = "tensor<%dx%dx%s>" % (ROWS, cols, dtype)
    return (
        "func.func @bags(%%ids: tensor<?xi64>, %%offsets: tensor<?xi64>) -> "
        "tensor<?x%dx%s> {\n"
        "  %%table = arith.constant dense<\"0x%s\"> : %s\n"
        "  %%r = qembed.lookup_bags %%table[%%ids] offsets(%%offsets) "
        "mode(%s) : %s, tensor<?xi64>, tensor<?xi64> -> tensor<?x%dx%s>\n"
        "  return %%r : tensor<?x%dx%s>\n}\n" % (
            cols, dtype, raw.hex().upper(), t, mode, t, cols, dtype, cols,
            dtype))


def cases(rng):
    small_ids = np.array([0, ROWS - 1, 5, 5, -3, ROWS + 9, 7, 1], np.int64)
    small_offsets = np.array([0, 2, 2, 6, -4], np.int64)
    sizes = rng.integers(0, 41, size=4096)
    many_offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(
        np.int64)
    many_ids = rng.integers(0, ROWS, size=int(sizes.sum())).astype(np.int64)
    return {"small": (small_ids, small_offsets),
            "many": (many_ids, many_offsets),
            "none": (np.array([1, 2], np.int64), np.zeros(0, np.int64))}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, (bits, group, sym, dtype, mode, cols) in CONFIGS.items():
        table = (rng.standard_normal((ROWS, cols)) * 0.02).astype(np.float32)
        raw, qin = table_bytes(table, dtype)
        opts = "bits=%d group-size=%d symmetric=%s" % (
            bits, group, "true" if sym else "false")
        ir = qembed.run_pipeline(
            module_text(raw, dtype, mode, cols),
            "quantize-embeddings{%s},qembed-to-iree{target=cuda chip=sm_90}"
            % opts, allow_unregistered=True)
        assert "qembed." not in ir and ir.count('"flow.dispatch"') == 1, name
        vmfb = compiler.compile_str(ir, target_backends=[], extra_args=CUDA)
        open(os.path.join(OUT, "bags_%s.vmfb" % name), "wb").write(vmfb)
        q = qembed.quantize(qin, bits=bits, group_size=group, symmetric=sym,
                            dtype=dtype)
        # Self-check of the references: the same module lowered with
        # --qembed-to-linalg and run by IREE on this CPU gives their bits.
        # iree-base-compiler 3.13's llvm-cpu is not IEEE everywhere: with
        # the generic target it converts f32 to f16 in software and flushes
        # f16-subnormal results to zero (3.05e-05 -> 0), and on a CPU with
        # FMA (target-cpu=host) it contracts the f32 `(q - zp) * scale` into
        # the sum's add. So f16/bf16 tables are checked on the host target
        # (F16C converts exactly) and f32 tables on the generic one. (It also
        # folds extf(truncf(x : f32 to bf16)) to x; the bag lowering widens
        # bf16 with integer ops, so that fold cannot apply.)
        cpu_ir = qembed.run_pipeline(
            module_text(raw, dtype, mode, cols),
            "quantize-embeddings{%s},qembed-to-linalg" % opts)
        cpu = runtime.SystemContext(config=runtime.Config("local-sync"))
        cpu.add_vm_module(runtime.VmModule.copy_buffer(
            cpu.instance, compiler.compile_str(
                cpu_ir, target_backends=["llvm-cpu"],
                extra_args=["--iree-llvmcpu-target-cpu=%s" % (
                    "generic" if dtype == "f32" else "host")])))
        for case, (ids, offsets) in cases(rng).items():
            expected = qembed.gather_bags(q, ids, offsets, mode=mode,
                                          out_dtype=dtype)
            if dtype == "f16":
                expected = expected.view(np.uint16)
            got = np.asarray(cpu.modules.module["bags"](ids,
                                                        offsets).to_host())
            same = got.shape == expected.shape and np.array_equal(
                got.view(expected.dtype), expected)
            print("  %s %s: IREE llvm-cpu %s the reference" % (
                name, case, "equals" if same else "DIFFERS FROM"))
            assert same, (name, case)
            base = os.path.join(OUT, "bags_%s_%s_" % (name, case))
            np.save(base + "ids.npy", ids)
            np.save(base + "offsets.npy", offsets)
            np.save(base + "expected.npy", expected)
        print("built", name)


if __name__ == "__main__":
    main()
