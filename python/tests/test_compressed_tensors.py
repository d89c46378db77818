"""Bit-exact agreement with the real compressed-tensors library (quantize +
pack) for f32/f16/bf16 tables, 2/4/8 bits, channel and group, symmetric and
asymmetric, and with its dequantization. Needs torch and compressed-tensors
(scripts/test.sh installs them)."""

import numpy as np
import pytest

import qembed

torch = pytest.importorskip("torch")
ct_forward = pytest.importorskip("compressed_tensors.quantization.lifecycle.forward")
from compressed_tensors.compressors.pack_quantized.helpers import pack_to_int32  # noqa: E402
from compressed_tensors.quantization import QuantizationArgs  # noqa: E402
from compressed_tensors.quantization.utils.helpers import calculate_qparams  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def reference(w, bits, group, symmetric):
    """compressed-tensors' own quantize + pack + dequantize of `w`."""
    rows, cols = w.shape
    strategy = "channel" if group == 0 else "group"
    args = QuantizationArgs(num_bits=bits, type="int", symmetric=symmetric,
                            strategy=strategy,
                            group_size=None if group == 0 else group)
    g = cols if group == 0 else group
    wg = w.reshape(rows, cols // g, g)
    scales, zps = calculate_qparams(wg.amin(dim=-1), wg.amax(dim=-1), args)
    q = ct_forward.quantize(w, scales, zps, args, dtype=torch.int8)
    packed = pack_to_int32(q, bits)
    deq = ct_forward.dequantize(q, scales, None if symmetric else zps, args)
    return packed, scales, zps, deq


def to_numpy(t):
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("group", [0, 32])
@pytest.mark.parametrize("symmetric", [True, False])
def test_bit_exact_with_compressed_tensors(dtype, bits, group, symmetric):
    gen = torch.Generator().manual_seed(bits * 100 + group)
    w = (torch.randn(48, 128, generator=gen) *
         torch.rand(48, 1, generator=gen) * 0.05).to(DTYPES[dtype])
    w[5] = 0  # an all-zero row: eps scales
    w[6] = w[6].abs()  # all-positive (asymmetric zero points)
    if not symmetric:
        # compressed-tensors computes a NaN zero point for an all-zero group
        # (0/0) and casts it to int8 (undefined); qembed uses qmin there.
        w[5, ::8] = 0.01
    packed, scales, zps, deq = reference(w, bits, group, symmetric)

    q = qembed.quantize(to_numpy(w), bits=bits, group_size=group,
                        symmetric=symmetric, dtype=dtype)
    assert np.array_equal(q.packed, packed.numpy())
    assert np.array_equal(q.scales.view(np.uint8),
                          to_numpy(scales.reshape(q.scales.shape)).view(np.uint8))
    if not symmetric:
        assert np.array_equal(q.zero_points,
                              zps.reshape(q.zero_points.shape).numpy())
    ours = qembed.dequantize(q)
    assert np.array_equal(ours.view(np.uint8),
                          to_numpy(deq.to(DTYPES[dtype])).view(np.uint8))
