"""Codebook vector quantization (format=vq) through the Python API: the
reference dequantization against an independent numpy implementation (bit
for bit), determinism (seed, thread count), the compiler pass producing the
same constants as qembed.quantize_vq, and errors."""

import re

import numpy as np
import pytest

import qembed


def table(rows=600, cols=48, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.standard_normal((rows, cols)) * rng.lognormal(0, 0.5, (rows, 1))
    return (0.02 * t).astype(np.float32)


def codes_of(q):
    """Codes [rows, vectors, stages] unpacked from the bit stream in numpy."""
    bits = q.entries.bit_length() - 1
    rows, words = q.codes.shape
    n = q.cols // q.dim * q.stages
    stream = q.codes.view(np.uint32).astype(np.uint64)
    out = np.zeros((rows, n), np.int64)
    for i in range(n):
        bit = i * bits
        w, off = bit // 32, bit % 32
        v = stream[:, w] >> np.uint64(off)
        if off + bits > 32:
            v |= stream[:, w + 1] << np.uint64(32 - off)
        out[:, i] = (v & np.uint64((1 << bits) - 1)).astype(np.int64)
    return out.reshape(rows, q.cols // q.dim, q.stages)


def numpy_reference(q):
    """acc = sum of the stages' entries in f32 (stage order), times the
    row's scale in f32."""
    codes = codes_of(q)
    books = q.codebooks.astype(np.float32)
    vpg = q.cols // q.dim // q.groups
    group = np.arange(q.cols // q.dim) // vpg
    acc = None
    for s in range(q.stages):
        e = books[group[None, :], s, codes[:, :, s]]  # rows x vectors x dim
        acc = e if acc is None else (acc + e).astype(np.float32)
    acc = acc.reshape(codes.shape[0], q.cols)
    return (q.scales.astype(np.float32) * acc).astype(np.float32)


@pytest.mark.parametrize("dim,entries,stages,groups", [
    (4, 256, 1, 1), (8, 32, 3, 2), (2, 8, 2, 4), (6, 2048, 1, 1)])
def test_dequantize_matches_numpy_bit_for_bit(dim, entries, stages, groups):
    t = table()
    q = qembed.quantize_vq(t, dim=dim, entries=entries, stages=stages,
                           groups=groups, iterations=4)
    assert q.codebooks.shape == (groups, stages, entries, dim)
    assert q.scales.shape == (t.shape[0], 1) and q.scales.dtype == np.float16
    got = qembed.dequantize_vq(q)
    ref = numpy_reference(q)
    assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))
    half = qembed.dequantize_vq(q, out_dtype="f16")
    assert np.array_equal(half.view(np.uint16),
                          ref.astype(np.float16).view(np.uint16))
    # The reported SQNR is that of the returned reference.
    sqnr = 10 * np.log10((t.astype(np.float64) ** 2).sum() /
                         ((t - got).astype(np.float64) ** 2).sum())
    assert abs(sqnr - q.sqnr_db) < 1e-6


def test_same_seed_same_bytes_any_thread_count():
    t = table(rows=3000, cols=32, seed=3)
    a = qembed.quantize_vq(t, dim=4, entries=64, stages=2, seed=7, threads=1)
    b = qembed.quantize_vq(t, dim=4, entries=64, stages=2, seed=7, threads=2)
    c = qembed.quantize_vq(t, dim=4, entries=64, stages=2, seed=8, threads=2)
    for x, y in ((a.codes, b.codes), (a.scales, b.scales),
                 (a.codebooks, b.codebooks)):
        assert x.tobytes() == y.tobytes()
    assert a.codebooks.tobytes() != c.codebooks.tobytes()


def test_bits_per_param_counts_codebooks():
    t = table(rows=1000, cols=64)
    q = qembed.quantize_vq(t, dim=4, entries=256, iterations=2)
    # 16 codes of 8 bits = 4 words per row, an f16 scale, 256x4 f16 entries.
    assert q.codes.shape == (1000, 4)
    assert q.bits_per_param == pytest.approx(
        (1000 * (128 + 16) + 256 * 4 * 16) / (1000 * 64))


def test_bf16_table_and_codebooks():
    t = table(rows=400, cols=32)
    bf16 = (t.view(np.uint32) >> 16).astype(np.uint16)
    q = qembed.quantize_vq(bf16, dtype="bf16", dim=4, entries=16,
                           codebook_dtype="bf16", iterations=3)
    assert q.codebooks.dtype == np.uint16
    wide = (q.codebooks.astype(np.uint32) << 16).view(np.float32)
    ref = numpy_reference(qembed.CodebookTable(
        q.codes, q.scales, wide, q.cols, q.dim, q.entries, q.stages, q.groups,
        "f32"))
    assert np.array_equal(qembed.dequantize_vq(q).view(np.uint32),
                          ref.view(np.uint32))


def test_pass_constants_equal_quantize_vq():
    """--qembed-quantize format=vq folds with the same numerics: its hex
    constants are qembed.quantize_vq's arrays."""
    # Large enough for MLIR to print every constant as a hex blob.
    t = table(rows=1024, cols=16, seed=5)
    src = ("func.func @f(%%ids: tensor<3xi64>) -> tensor<3x16xf32> {\n"
           "  %%t = arith.constant dense<\"0x%s\"> : tensor<1024x16xf32>\n"
           "  %%r = qembed.lookup %%t[%%ids] : tensor<1024x16xf32>, "
           "tensor<3xi64> -> tensor<3x16xf32>\n"
           "  return %%r : tensor<3x16xf32>\n}\n" % t.tobytes().hex().upper())
    out = qembed.run_pipeline(
        src, "qembed-quantize{format=vq vq-dim=4 vq-entries=64 vq-stages=2 "
        "seed=3}")
    q = qembed.quantize_vq(t, dim=4, entries=64, stages=2, seed=3)
    blobs = re.findall(r'dense<"0x([0-9A-F]+)">', out)
    text = qembed.run_pipeline(out, "canonicalize")  # parses back
    assert "qembed.codebook_gather" in text
    want = [q.codes.tobytes(), q.scales.tobytes(), q.codebooks.tobytes()]
    assert sorted(bytes.fromhex(b) for b in blobs) == sorted(want)


@pytest.mark.parametrize("kwargs,message", [
    (dict(entries=1), "entries must be an integer in [2, 65536]"),
    (dict(entries=3), "entries must be a power of two in [2, 65536], got 3"),
    (dict(entries=24), "entries must be a power of two"),
    (dict(dim=5), "vector dimension 5 does not divide the row length 48"),
    (dict(dim=4, groups=5), "codebook groups 5 do not divide the 12 vectors"),
    (dict(stages=0), "stages must be an integer in"),
    (dict(codebook_dtype="f64"), "codebook_dtype must be f32, f16 or bf16"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        qembed.quantize_vq(table(rows=8), **kwargs)


def test_nan_table():
    t = table(rows=8)
    t[3, 5] = np.nan
    with pytest.raises(ValueError, match="element at row 3, column 5 is NaN"):
        qembed.quantize_vq(t)


def test_quantize_embeddings_vq_option():
    t = table(rows=64, cols=16, seed=9)
    src = ("func.func @f(%%ids: tensor<3xi64>) -> tensor<3x16xf32> {\n"
           "  %%t = arith.constant dense<\"0x%s\"> : tensor<64x16xf32>\n"
           "  %%r = qembed.lookup %%t[%%ids] : tensor<64x16xf32>, "
           "tensor<3xi64> -> tensor<3x16xf32>\n"
           "  return %%r : tensor<3x16xf32>\n}\n" % t.tobytes().hex().upper())
    out = qembed.quantize_embeddings(src, vq=dict(dim=8, entries=32, stages=2,
                                                  groups=2, seed=1))
    assert ("codebook <dim = 8, entries = 32, stages = 2, groups = 2>"
            in out)
    with pytest.raises(ValueError, match="unknown vq option 'bits'"):
        qembed.quantize_embeddings(src, vq=dict(bits=3))
    with pytest.raises(qembed.MLIRError, match="codebook entries must be a "
                       "power of two"):
        qembed.quantize_embeddings(src, vq=dict(entries=3))


@pytest.mark.parametrize("out_dtype", ["f32", "f16", "bf16"])
def test_cpu_gather_equals_reference_rows(out_dtype):
    # 44 columns: the 8-lane f16 conversion has a 4-column tail.
    t = table(rows=500, cols=44, seed=4)
    q = qembed.quantize_vq(t, dim=4, entries=32, stages=2, groups=11,
                           iterations=3)
    ids = np.array([[0, 499, 7, 7], [-3, 600, 250, 1]], np.int32)
    got = qembed.gather_vq(q, ids, out_dtype=out_dtype, threads=2)
    ref = qembed.dequantize_vq(q, out_dtype=out_dtype)
    want = ref[np.clip(ids, 0, 499)]
    assert got.shape == (2, 4, 44)
    assert got.tobytes() == want.tobytes()
