"""qembed.gather lowered by --qembed-to-linalg (and --qembed-to-iree
target=cpu) and compiled by the real iree-base-compiler for llvm-cpu, run
with iree-base-runtime: bit-identical to the numerics library's gather
(qembed.gather) for every code value, on the host CPU (its vector
extensions, as bench/cpu_gather.py compiles) and on a generic x86-64.

Integer gathers whose codes never straddle words and whose row width and
group size are multiples of 16 take the chunked form (a generic over
(id, chunk, lane), collapsed back); the others keep the element-by-element
form. Both are checked here, with random packed words so every code of
every slot occurs."""

import numpy as np
import pytest

import qembed

iree_compiler = pytest.importorskip("iree.compiler")
iree_runtime = pytest.importorskip("iree.runtime")

ROWS = 300


def gather_source(q, ids_shape):
    """A func.func @gather(packed, scales[, zero_points], ids) -> rows of
    one qembed.gather with q's scheme."""
    rows, words = q.packed.shape
    groups = q.scales.shape[1]
    stype = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32"}[
        q.scales.dtype]
    packed_t = "tensor<%dx%dxi32>" % (rows, words)
    scales_t = "tensor<%dx%dx%s>" % (rows, groups, stype)
    ids_t = "tensor<%sxi64>" % "x".join("?" for _ in ids_shape)
    out_t = "tensor<%sx%dx%s>" % ("x".join("?" for _ in ids_shape), q.cols,
                                  stype)
    args = "%%packed: %s, %%scales: %s" % (packed_t, scales_t)
    operands = "scales(%scales)"
    types = "%s, %s, %s" % (packed_t, scales_t, ids_t)
    if q.zero_points is not None:
        zp_t = "tensor<%dx%dxi8>" % (rows, groups)
        args += ", %%zp: %s" % zp_t
        operands += " zero_points(%zp)"
        types += ", " + zp_t
    scheme = "<bits = %d, group_size = %d, %s, scale_type = %s>" % (
        q.bits, q.group_size, "symmetric" if q.zero_points is None
        else "asymmetric", stype)
    return ("func.func @gather(%s, %%ids: %s) -> %s {\n"
            "  %%r = qembed.gather %%packed[%%ids] %s scheme %s : %s -> %s\n"
            "  return %%r : %s\n}\n" % (args, ids_t, out_t, operands, scheme,
                                       types, out_t, out_t))


def random_table(rng, bits, group, symmetric, cols, stype):
    words = cols * bits // 32
    groups = cols // group if group else 1
    packed = rng.integers(-2**31, 2**31, size=(ROWS, words),
                          dtype=np.int64).astype(np.int32)
    scales = (rng.random((ROWS, groups), dtype=np.float32) * 0.01
              + 1e-4).astype(stype)
    zps = None
    if not symmetric:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        zps = rng.integers(lo, hi + 1, size=(ROWS, groups),
                           dtype=np.int64).astype(np.int8)
    return qembed.QuantizedTable(packed, scales, zps, cols, bits, group,
                                 symmetric,
                                 "f16" if stype == np.float16 else "f32")


def run(vmfb, q, ids):
    config = iree_runtime.Config("local-sync")
    ctx = iree_runtime.SystemContext(config=config)
    ctx.add_vm_module(iree_runtime.VmModule.copy_buffer(ctx.instance, vmfb))
    args = [q.packed, q.scales]
    if q.zero_points is not None:
        args.append(q.zero_points)
    return np.asarray(ctx.modules.module["gather"](*args, ids).to_host())


# (bits, group, symmetric, cols, scale dtype, chunked form expected)
CASES = [
    (4, 64, True, 512, np.float16, True),    # W4 g64: 2 words per chunk
    (8, 0, True, 512, np.float16, True),     # W8 per row: 4 words per chunk
    (2, 16, False, 256, np.float32, True),   # W2 g16: 1 word, asymmetric
    (4, 32, False, 256, np.float32, True),   # W4 g32 asymmetric
    (8, 16, False, 256, np.float32, True),   # W8 g16: a chunk per group
    (4, 8, True, 256, np.float16, False),    # group 8 < a chunk
    (3, 32, True, 256, np.float32, False),   # codes straddle words
]


@pytest.mark.parametrize("bits,group,symmetric,cols,stype,chunked", CASES)
@pytest.mark.parametrize("pipeline", ["qembed-to-linalg",
                                      "qembed-to-iree{target=cpu}"])
def test_iree_cpu_gather_bit_exact(bits, group, symmetric, cols, stype,
                                   chunked, pipeline):
    rng = np.random.default_rng(bits * 100 + group)
    q = random_table(rng, bits, group, symmetric, cols, stype)
    ids = rng.integers(0, ROWS, size=(3, 37), dtype=np.int64)
    ids[0, :3] = [0, ROWS - 1, 5]
    ir = qembed.run_pipeline(gather_source(q, ids.shape), pipeline,
                             allow_unregistered=True)
    assert "qembed." not in ir
    assert ("tensor.collapse_shape" in ir) == chunked
    ref = qembed.gather(q, ids.reshape(-1),
                        out_dtype="f16" if stype == np.float16 else "f32")
    ref = ref.reshape(ids.shape + (cols,))
    for cpu in ("host", "generic"):
        vmfb = iree_compiler.compile_str(
            ir, target_backends=["llvm-cpu"],
            extra_args=["--iree-llvmcpu-target-cpu=" + cpu])
        out = run(vmfb, q, ids)
        bits_t = np.uint16 if stype == np.float16 else np.uint32
        assert out.shape == ref.shape
        assert out.dtype.itemsize == ref.dtype.itemsize == bits_t().itemsize
        assert np.array_equal(out.view(bits_t), ref.view(bits_t)), cpu
