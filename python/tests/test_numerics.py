"""The numpy API of qembed: hand-checked compressed-tensors vectors, and the
same numbers as the compiler's --qembed-quantize."""

import re
import struct

import numpy as np
import pytest

import qembed


def bf16_bits(values):
    out = []
    for v in values:
        b = struct.unpack("<I", struct.pack("<f", v))[0]
        b += 0x7FFF + ((b >> 16) & 1)
        out.append(b >> 16)
    return np.array(out, dtype=np.uint16)


def u32(x):
    return int(x) & 0xFFFFFFFF


def test_bf16_group_hand_vector():
    w = bf16_bits([7.5, -7.5, 2.5, -2.5, 0.5, -0.5, 1.5, 3.25]).reshape(1, 8)
    q = qembed.quantize(w, bits=4, group_size=8, dtype="bf16")
    assert u32(q.packed[0, 0]) == 0xBA886A0F
    assert q.scales.dtype == np.uint16 and q.scales[0, 0] == 0x3F80  # 1.0
    codes, _, zps = qembed.quantize_codes(w, bits=4, group_size=8, dtype="bf16")
    assert codes.tolist() == [[7, -8, 2, -2, 0, 0, 2, 3]]
    assert zps is None


def test_int4_packing_vectors():
    codes = np.array([[-8, -7, -6, -5, -4, -3, -2, -1], [0, 1, 2, 3, 4, 5, 6, 7],
                      [0] * 8], dtype=np.int8)
    packed = qembed.pack(codes, 4)
    assert [u32(x) for x in packed[:, 0]] == [0x76543210, 0xFEDCBA98,
                                              0x88888888]


def test_bf16_arithmetic_trap():
    w = bf16_bits([1.0, 0.75]).reshape(1, 2)
    codes, scales, _ = qembed.quantize_codes(w, bits=8, group_size=0,
                                             dtype="bf16")
    assert codes[0, 1] == 96  # 0.75 / bf16(1/127.5) rounds to 95.5 in bf16
    codes32, scales32, _ = qembed.quantize_codes(
        w, bits=8, group_size=0, dtype="bf16", scale_dtype="f32")
    assert scales32[0, 0] == np.float32(0.00787353515625)
    assert codes32[0, 1] == 95  # divided in fp32


@pytest.mark.parametrize("dtype,eps_bits", [("bf16", 0x3C00), ("f16", 0x1400)])
def test_all_zero_group_gets_eps(dtype, eps_bits):
    table = np.zeros((1, 8), dtype=np.uint16 if dtype == "bf16" else np.float16)
    q = qembed.quantize(table, bits=4, group_size=8, dtype=dtype)
    assert q.scales.view(np.uint16)[0, 0] == eps_bits
    assert u32(q.packed[0, 0]) == 0x88888888


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_error_stats_only_when_asked(dtype, symmetric):
    """error_stats=False gives the same packed table, with NaN statistics."""
    rng = np.random.default_rng(5)
    table = (rng.normal(size=(40, 96)) * 0.05).astype(np.float32)
    raw = {"f32": table, "f16": table.astype(np.float16),
           "bf16": (table.view(np.uint32) >> 16).astype(np.uint16)}[dtype]
    with_stats = qembed.quantize(raw, bits=4, group_size=32,
                                 symmetric=symmetric, dtype=dtype)
    without = qembed.quantize(raw, bits=4, group_size=32, symmetric=symmetric,
                              dtype=dtype, error_stats=False)
    assert np.array_equal(with_stats.packed, without.packed)
    assert np.array_equal(with_stats.scales.view(np.uint8),
                          without.scales.view(np.uint8))
    if not symmetric:
        assert np.array_equal(with_stats.zero_points, without.zero_points)
    assert with_stats.max_abs_error > 0 and np.isfinite(with_stats.sqnr_db)
    assert np.isnan(without.max_abs_error) and np.isnan(without.sqnr_db)


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("symmetric", [True, False])
def test_round_trip_within_half_step(bits, symmetric):
    rng = np.random.default_rng(bits)
    table = rng.normal(size=(37, 64)).astype(np.float32)
    q = qembed.quantize(table, bits=bits, group_size=16, symmetric=symmetric)
    assert q.packed.shape == (37, (64 * bits + 31) // 32)
    deq = qembed.dequantize(q)
    assert deq.dtype == np.float32 and deq.shape == table.shape
    step = np.repeat(q.scales, 16, axis=1)
    # Half a step, plus the fp32 rounding of the scale itself (amax/7.5
    # may round down, so amax/scale lands just above 7.5 and clamps to 7):
    # a few ulps of |x|.
    assert np.all(np.abs(table - deq) <= 0.5 * step + np.abs(table) * 2.0**-21)
    assert np.max(np.abs(table - deq)) == pytest.approx(q.max_abs_error)
    codes, scales, zps = qembed.quantize_codes(table, bits=bits, group_size=16,
                                               symmetric=symmetric)
    assert np.array_equal(qembed.pack(codes, bits), q.packed)
    assert np.array_equal(scales, q.scales)


def test_f16_table_and_outputs():
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(8, 32)) * 0.02).astype(np.float16)
    q = qembed.quantize(table, bits=4, group_size=32)
    assert q.scales.dtype == np.float16
    assert qembed.dequantize(q).dtype == np.float16
    assert qembed.dequantize(q, out_dtype="f32").dtype == np.float32


def test_same_numbers_as_the_compiler():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(3, 16)).astype(np.float32)
    q = qembed.quantize(table, bits=4, group_size=8)
    hexdata = table.tobytes().hex().upper()
    module = """func.func @f(%%ids: tensor<2xi64>) -> tensor<2x16xf32> {
  %%t = arith.constant dense<"0x%s"> : tensor<3x16xf32>
  %%r = qembed.lookup %%t[%%ids] : tensor<3x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  return %%r : tensor<2x16xf32>
}""" % hexdata
    out = qembed.run_pipeline(module, "qembed-quantize{bits=4 group-size=8}")
    words = re.search(r"arith.constant dense<(\[\[.*?\]\])> : tensor<3x2xi32>",
                      out).group(1)
    ir_words = [u32(x) for x in re.findall(r"-?\d+", words)]
    assert ir_words == [u32(x) for x in q.packed.ravel()]


@pytest.mark.parametrize("bits,group,symmetric,out", [
    (2, 16, True, "f32"), (3, 0, False, "bf16"), (4, 32, False, "f16"),
    (8, 0, True, "bf16"), (5, 64, True, "f32")])
def test_gather_equals_dequantized_rows(bits, group, symmetric, out):
    rng = np.random.default_rng(bits)
    table = (rng.standard_normal((70, 128)) * 0.03).astype(np.float32)
    q = qembed.quantize(table, bits=bits, group_size=group,
                        symmetric=symmetric, scale_dtype="f16")
    ids = np.array([[0, 69, 3], [3, -2, 500]], dtype=np.int32)
    rows = qembed.gather(q, ids, out_dtype=out)
    want = qembed.dequantize(q, out_dtype=out)[np.clip(ids, 0, 69)]
    assert rows.shape == (2, 3, 128) and rows.dtype == want.dtype
    assert np.array_equal(rows.view(np.uint8), want.view(np.uint8))
    # Into a caller's buffer, int64 ids, 0-d and empty id arrays.
    buf = np.empty((2, 3, 128), dtype=want.dtype)
    assert qembed.gather(q, ids.astype(np.int64), out, out=buf) is buf
    assert np.array_equal(buf.view(np.uint8), want.view(np.uint8))
    assert np.array_equal(qembed.gather(q, np.int64(7), out).view(np.uint8),
                          qembed.dequantize(q, out)[7].view(np.uint8))
    assert qembed.gather(q, np.zeros((0, 4), np.int64), out).shape == (0, 4,
                                                                        128)


@pytest.mark.parametrize("bits,group,scale", [
    (4, 64, "f16"), (8, 0, "f16"), (3, 12, "bf16"), (6, 0, "f32")])
def test_gather_threads(bits, group, scale):
    """Every thread count gives the dequantized rows, bit for bit, for a
    gather large enough to run on several threads (2^20+ output values)."""
    rng = np.random.default_rng(bits + group)
    table = (rng.standard_normal((300, 768)) * 0.03).astype(np.float32)
    q = qembed.quantize(table, bits=bits, group_size=group, scale_dtype=scale)
    ids = rng.integers(-5, 310, size=3000, dtype=np.int64)
    want = qembed.dequantize(q, out_dtype="f16")[np.clip(ids, 0, 299)]
    for threads in (None, 0, 1, 2, 3, 64):
        rows = qembed.gather(q, ids, out_dtype="f16", threads=threads)
        assert np.array_equal(rows.view(np.uint16), want.view(np.uint16))


def test_gather_errors():
    q = qembed.quantize(np.ones((4, 32), np.float32), bits=4, group_size=32)
    with pytest.raises(TypeError, match="int32 or int64"):
        qembed.gather(q, np.array([1.0]))
    with pytest.raises(ValueError, match="shape"):
        qembed.gather(q, np.array([1]), out=np.empty((2, 32), np.float32))
    with pytest.raises(TypeError, match="4-byte"):
        qembed.gather(q, np.array([1]), out=np.empty((1, 32), np.float16))
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads"):
            qembed.gather(q, np.array([1]), threads=bad)
