"""FP8 / NVFP4 / MXFP4 tables: bit-exact agreement of qembed.quantize(...,
format=) and qembed.dequantize / qembed.gather with compressed-tensors 0.20's
own qparams, compressors (float-quantized, nvfp4-pack-quantized,
mxfp4-pack-quantized) and dequantization, for f32 / f16 / bf16 tables with
all-zero rows, outlier rows and tiny values. Needs torch and
compressed-tensors."""

import os

import numpy as np
import pytest

import qembed

torch = pytest.importorskip("torch")
ct_forward = pytest.importorskip(
    "compressed_tensors.quantization.lifecycle.forward")
from compressed_tensors.compressors.mxfp4.base import MXFP4PackedCompressor  # noqa: E402
from compressed_tensors.compressors.naive_quantized.base import FloatQuantizationCompressor  # noqa: E402
from compressed_tensors.compressors.nvfp4.base import NVFP4PackedCompressor  # noqa: E402
from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme  # noqa: E402
from compressed_tensors.quantization.quant_scheme import MXFP4A16, NVFP4A16  # noqa: E402
from compressed_tensors.quantization.utils.helpers import (  # noqa: E402
    calculate_qparams, generate_gparam)

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def to_numpy(t):
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    if t.dtype in (torch.float8_e4m3fn, torch.uint8):
        return t.view(torch.uint8).numpy()
    return t.numpy()


def same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and np.array_equal(a.view(np.uint8),
                                                 b.view(np.uint8))


def make_table(dtype, rows=40, cols=128, seed=0):
    """Random rows of very different magnitudes, an all-zero row, an outlier
    row, a row whose values span many binades (subnormal fp8 / e2m1 codes),
    negative values that round to zero, and -0.0."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=gen)
    w *= torch.logspace(-4, 1, rows).reshape(rows, 1)
    w[3] = 0
    w[7, 5] = 40.0
    w[9] = torch.logspace(-6, 0, cols) * torch.sign(torch.randn(cols,
                                                                generator=gen))
    w[11, :16] = -1e-6
    w[11, 16] = 1.0
    w[12, 0] = -0.0
    return w.to(DTYPES[dtype])


def scheme_of(args):
    return QuantizationScheme(targets=["Embedding"], weights=args)


# ------------------------------------------------------------------- FP8 ---

def ct_fp8(w, per_tensor):
    args = QuantizationArgs(num_bits=8, type="float", symmetric=True,
                            strategy="tensor" if per_tensor else "channel")
    if per_tensor:
        lo, hi = w.amin(), w.amax()
    else:
        lo, hi = w.amin(dim=-1, keepdim=True), w.amax(dim=-1, keepdim=True)
    scale, zp = calculate_qparams(lo, hi, args)
    sd = {"weight": w, "weight_scale": scale, "weight_zero_point": zp}
    comp = FloatQuantizationCompressor.compress(sd, scheme_of(args))
    dec = FloatQuantizationCompressor.decompress(comp, scheme_of(args))
    return comp, dec


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("per_tensor", [False, True])
def test_fp8_bit_exact(dtype, per_tensor):
    w = make_table(dtype, seed=1)
    comp, dec = ct_fp8(w, per_tensor)
    q = qembed.quantize(to_numpy(w), format="fp8", per_tensor=per_tensor,
                        dtype=dtype)
    assert q.bits == 8 and q.group_size == 0 and q.scale_dtype == dtype
    codes = q.packed.view(np.uint8).reshape(w.shape)
    assert same_bits(codes, to_numpy(comp["weight"]))
    scales = to_numpy(comp["weight_scale"]).reshape(-1)
    if per_tensor:
        scales = np.repeat(scales, w.shape[0])
    assert same_bits(q.scales.reshape(-1), scales)
    assert same_bits(qembed.dequantize(q), to_numpy(dec["weight"]))


# ----------------------------------------------------------------- NVFP4 ---

def ct_nvfp4(w):
    args = NVFP4A16["weights"]
    rows, cols = w.shape
    gs = generate_gparam(w.amin(), w.amax())
    wg = w.reshape(rows, cols // 16, 16)
    scale, zp = calculate_qparams(wg.amin(-1), wg.amax(-1), args,
                                  global_scale=gs)
    sd = {"weight": w, "weight_scale": scale, "weight_global_scale": gs,
          "weight_zero_point": zp}
    comp = NVFP4PackedCompressor.compress(sd, scheme_of(args))
    dec = NVFP4PackedCompressor.decompress(comp, scheme_of(args))
    # compressed-tensors' dequantization in the table's dtype (the
    # decompressor always returns bf16).
    from compressed_tensors.compressors.nvfp4.helpers import unpack_fp4_from_uint8
    values = unpack_fp4_from_uint8(comp["weight_packed"], rows, cols,
                                   dtype=torch.float32)
    deq = ct_forward.dequantize(values, scale, args=args, dtype=w.dtype,
                                global_scale=gs)
    return comp, dec, deq, gs


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("seed", [2, 3])
def test_nvfp4_bit_exact(dtype, seed):
    w = make_table(dtype, seed=seed)
    comp, dec, deq, gs = ct_nvfp4(w)
    q = qembed.quantize(to_numpy(w), format="nvfp4", dtype=dtype)
    assert q.bits == 4 and q.group_size == 16
    assert same_bits(q.packed.view(np.uint8), to_numpy(comp["weight_packed"]))
    assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
    assert np.float32(q.global_scale) == gs.numpy()[0]
    assert same_bits(qembed.dequantize(q), to_numpy(deq))
    assert same_bits(qembed.dequantize(q, out_dtype="bf16"),
                     to_numpy(dec["weight"]))


def test_nvfp4_f16_small_table_global_scale_one():
    """An f16 table with amax < 2688/65504: 2688/amax overflows f16 and
    compressed-tensors falls back to a global scale of 1."""
    w = (make_table("f32", seed=4) * 1e-3).to(torch.float16)
    comp, _, deq, gs = ct_nvfp4(w)
    q = qembed.quantize(to_numpy(w), format="nvfp4", dtype="f16")
    assert q.global_scale == 1.0 == gs.item()
    assert same_bits(q.packed.view(np.uint8), to_numpy(comp["weight_packed"]))
    assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
    assert same_bits(qembed.dequantize(q), to_numpy(deq))


# ----------------------------------------------------------------- MXFP4 ---

def ct_mxfp4(w):
    args = MXFP4A16["weights"]
    rows, cols = w.shape
    wg = w.reshape(rows, cols // 32, 32)
    scale, zp = calculate_qparams(wg.amin(-1), wg.amax(-1), args)
    sd = {"weight": w, "weight_scale": scale, "weight_zero_point": zp}
    comp = MXFP4PackedCompressor.compress(sd, scheme_of(args))
    dec = MXFP4PackedCompressor.decompress(comp, scheme_of(args))
    from compressed_tensors.compressors.nvfp4.helpers import unpack_fp4_from_uint8
    values = unpack_fp4_from_uint8(comp["weight_packed"], rows, cols,
                                   dtype=w.dtype)
    deq = ct_forward.dequantize(values, scale, args=args, dtype=w.dtype)
    return comp, dec, deq


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("seed", [5, 6])
def test_mxfp4_bit_exact(dtype, seed):
    w = make_table(dtype, seed=seed)
    comp, dec, deq = ct_mxfp4(w)
    q = qembed.quantize(to_numpy(w), format="mxfp4", dtype=dtype)
    assert q.bits == 4 and q.group_size == 32
    assert same_bits(q.packed.view(np.uint8), to_numpy(comp["weight_packed"]))
    assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
    assert same_bits(qembed.dequantize(q), to_numpy(deq))
    assert same_bits(qembed.dequantize(q, out_dtype="bf16"),
                     to_numpy(dec["weight"]))


# ---------------------------------------------------------------- gather ---

@pytest.mark.parametrize("fmt", ["fp8", "nvfp4", "mxfp4"])
@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("out_dtype", ["f32", "f16", "bf16"])
def test_gather_equals_dequantize(fmt, dtype, out_dtype):
    """The fused gather (per-row / per-group value tables, vectorized on
    AVX2 + F16C CPUs) returns the reference dequantization's bits for every
    table and output dtype."""
    w = make_table(dtype, seed=7)
    q = qembed.quantize(to_numpy(w), format=fmt, dtype=dtype)
    ids = np.array([[0, 39, 7], [3, -5, 1000]], dtype=np.int64)
    rows = qembed.gather(q, ids, out_dtype=out_dtype)
    clamped = np.clip(ids, 0, w.shape[0] - 1)
    assert same_bits(rows, qembed.dequantize(q, out_dtype=out_dtype)[clamped])
    big = np.random.default_rng(0).integers(0, 40, 4096).astype(np.int32)
    assert same_bits(qembed.gather(q, big, out_dtype=out_dtype, threads=2),
                     qembed.dequantize(q, out_dtype=out_dtype)[big])


def test_gather_fp8_every_code_and_flush_denormal():
    """Every E4M3 byte (subnormal codes, 0x7f / 0xff NaN with their signs)
    through the vectorized FP8 gather equals the reference dequantization,
    also with the FPU flushing denormals (torch.set_flush_denormal)."""
    w = make_table("f16", rows=16, cols=256, seed=3)
    q = qembed.quantize(to_numpy(w), format="fp8", dtype="f16")
    codes = q.packed.view(np.uint8)
    codes[:] = np.arange(256, dtype=np.uint8)[None, :]  # every byte, each row
    ids = np.arange(16, dtype=np.int64)
    for out in ("f32", "f16", "bf16"):
        want = qembed.dequantize(q, out_dtype=out)
        assert same_bits(qembed.gather(q, ids, out_dtype=out, threads=1), want)
        # Both under flush-to-zero / denormals-are-zero: the decoding must
        # not go through f32 subnormals (codes 0x01-0x07 would become 0).
        if not torch.set_flush_denormal(True):
            continue  # the CPU cannot flush denormals
        try:
            got = qembed.gather(q, ids, out_dtype=out, threads=1)
            want = qembed.dequantize(q, out_dtype=out)
        finally:
            torch.set_flush_denormal(False)
        assert same_bits(got, want)


# ----------------------------------------------------------------- errors ---

@pytest.mark.parametrize("kwargs, match", [
    (dict(format="fp8", bits=4), "8-bit codes"),
    (dict(format="nvfp4", bits=8), "4-bit codes"),
    (dict(format="nvfp4", group_size=32), "fixes group_size=16"),
    (dict(format="mxfp4", group_size=16), "fixes group_size=32"),
    (dict(format="fp8", group_size=64), "fixes group_size=0"),
    (dict(format="mxfp4", symmetric=False), "symmetric only"),
    (dict(format="nvfp4", scale_dtype="f16"), "fixes its scale dtype"),
    (dict(format="nvfp4", per_tensor=True), "only for format='fp8'"),
    (dict(format="fp4"), "format must be one of"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        qembed.quantize(np.ones((4, 64), np.float32), **kwargs)


def test_group_must_divide_and_nonfinite():
    with pytest.raises(ValueError, match="do not divide the row length 24"):
        qembed.quantize(np.ones((4, 24), np.float32), format="nvfp4")
    t = np.ones((4, 64), np.float32)
    t[2, 3] = np.nan
    with pytest.raises(ValueError, match="row 2"):
        qembed.quantize(t, format="mxfp4")


@pytest.mark.parametrize("fmt", ["fp8", "nvfp4", "mxfp4"])
@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
def test_typical_embedding_table(fmt, dtype):
    """A larger table shaped like a real embedding (N(0, 0.02) with a few
    outlier columns): codes, scales and dequantized values bit-exact."""
    gen = torch.Generator().manual_seed(11)
    w = torch.randn(300, 256, generator=gen) * 0.02
    w[:, 17] *= 30
    w = w.to(DTYPES[dtype])
    q = qembed.quantize(to_numpy(w), format=fmt, dtype=dtype)
    if fmt == "fp8":
        comp, dec = ct_fp8(w, False)
        assert same_bits(q.packed.view(np.uint8).reshape(w.shape),
                         to_numpy(comp["weight"]))
        assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
        deq = dec["weight"]
    elif fmt == "nvfp4":
        comp, _, deq, gs = ct_nvfp4(w)
        assert np.float32(q.global_scale) == gs.numpy()[0]
    else:
        comp, _, deq = ct_mxfp4(w)
    if fmt != "fp8":
        assert same_bits(q.packed.view(np.uint8),
                         to_numpy(comp["weight_packed"]))
        assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
    assert same_bits(qembed.dequantize(q), to_numpy(deq))
    assert q.sqnr_db > {"fp8": 25, "nvfp4": 15, "mxfp4": 12}[fmt]


# ------------------------------------------------------------ GPU kernels ---

@pytest.mark.parametrize("fmt,scale,out", [
    ("fp8", torch.bfloat16, torch.bfloat16), ("fp8", torch.float32,
                                              torch.float16),
    ("nvfp4", None, torch.float16), ("nvfp4", None, torch.float32),
    ("mxfp4", None, torch.bfloat16)])
def test_gpu_kernel_ptx(tmp_path, monkeypatch, fmt, scale, out):
    """The bare-pointer kernels qembed.torch launches for the float formats
    compile to PTX without a GPU (into the kernel cache), and the CUDA
    toolkit's ptxas assembles them for sm_90 when it is installed."""
    import shutil
    import subprocess
    qt = pytest.importorskip("qembed.torch")
    monkeypatch.setenv("QEMBED_CACHE_DIR", str(tmp_path / "cache"))
    entries = qt.float_format_kernels(fmt, 256, scale, out, torch.int64,
                                      "sm_90", global_scale=612.5)
    assert set(entries) == {1, 2}
    for entry in entries.values():
        assert ".target sm_90" in entry["ptx"]
        assert entry["name"].startswith("qembed_gather_%s_" % fmt)
        if fmt == "nvfp4":
            # 612.5's f32 reciprocal: x * (1/612.5) has the bits of
            # x / 612.5 for every E4M3 magnitude, so no division.
            assert "0f3AD5FEBF" in entry["ptx"]
            assert "div.rn" not in entry["ptx"]
    ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
    if not os.path.exists(ptxas):
        pytest.skip("no ptxas")
    for entry in entries.values():
        src = tmp_path / (entry["name"] + ".ptx")
        src.write_text(entry["ptx"])
        subprocess.run([ptxas, "-arch=sm_90", str(src), "-o",
                        str(tmp_path / "k.cubin")], check=True)


@pytest.mark.parametrize("fmt,scale,out", [
    ("fp8", "bf16", "bf16"), ("fp8", "f16", "f32"), ("fp8", "f32", "f16"),
    ("nvfp4", None, "bf16"), ("nvfp4", None, "f32"), ("mxfp4", None, "f16"),
    ("mxfp4", None, "f32")])
def test_gpu_reference_matches_numerics(fmt, scale, out):
    """The torch reference the GPU tests and benchmark compare the kernels
    with (python/tests/gpu/float_formats_ref.py) equals qembed.gather, bit
    for bit, on the same random tables (every code, subnormal scales)."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gpu"))
    import float_formats_ref as ref
    tdt = {"bf16": torch.bfloat16, "f16": torch.float16,
           "f32": torch.float32}
    packed, scales = ref.random_table(fmt, tdt[scale or "f32"], 300, 512,
                                      seed=3)
    ids = torch.randint(-2, 303, (700,), generator=torch.Generator()
                        .manual_seed(1))
    want = ref.dequant_rows(packed, scales, ids, fmt, 512, tdt[out])
    q = qembed.QuantizedTable(
        packed.numpy(), to_numpy(scales), None, 512,
        8 if fmt == "fp8" else 4, ref.GROUP[fmt], True, scale or "bf16",
        format=fmt, global_scale=ref.NVFP4_GLOBAL)
    got = qembed.gather(q, ids.numpy(), out_dtype=out)
    assert same_bits(got, to_numpy(want))


def test_mxfp4_f16_underflowing_scale():
    """A group of an f16 table whose power-of-two scale 2^(c-127) is below
    f16's smallest subnormal: compressed-tensors' scale is 0 there, which
    becomes 1 (the eps of its uint8 scale dtype), stored as code 127."""
    w = torch.zeros(2, 64, dtype=torch.float16)
    w[0, :32] = 2.0 ** -23
    w[0, 5] = -2.0 ** -24
    w[1] = torch.linspace(-3, 3, 64).half()
    comp, dec, deq = ct_mxfp4(w)
    q = qembed.quantize(to_numpy(w), format="mxfp4", dtype="f16")
    assert q.scales[0, 0] == 127
    assert same_bits(q.packed.view(np.uint8), to_numpy(comp["weight_packed"]))
    assert same_bits(q.scales, to_numpy(comp["weight_scale"]))
    assert same_bits(qembed.dequantize(q), to_numpy(deq))
