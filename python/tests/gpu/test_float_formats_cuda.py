"""FP8 / NVFP4 / MXFP4 gathers on the GPU (qembed.torch.float_format_gather,
the kernel qembed's generator builds for the format): bit-exact against an
independent torch dequantization (float_formats_ref.py) for every output
dtype, int32 and int64 ids, out-of-range ids (clamped), 1 to 32768 tokens.
Kernels come from $QEMBED_CACHE_DIR (fill_kernel_cache.py fills it on a
machine with the compiler extension)."""

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from float_formats_ref import NVFP4_GLOBAL, dequant_rows, random_table  # noqa: E402
from qembed import torch as qtorch  # noqa: E402

COLS, ROWS = 512, 1000
F32, F16, BF16 = torch.float32, torch.float16, torch.bfloat16
# (format, scale dtype (fp8: the table's), output dtype)
CONFIGS = [("fp8", BF16, BF16), ("fp8", F16, F16), ("fp8", F32, F32),
           ("fp8", BF16, F32), ("fp8", F32, F16),
           # f16 scales take the f16x2 path for every output dtype
           ("fp8", F16, F32), ("fp8", F16, BF16),
           ("nvfp4", None, BF16), ("nvfp4", None, F16), ("nvfp4", None, F32),
           ("mxfp4", None, BF16), ("mxfp4", None, F16), ("mxfp4", None, F32)]
ID_DTYPES = (torch.int64, torch.int32)
# NVFP4 global scales for each way the kernel divides a group's E4M3 scale
# by it: 448 and 3 (product by the reciprocal + one fma correction), 2688 and
# 612.5 (product by the reciprocal alone), 1e-39 (an f32 subnormal whose
# reciprocal overflows: a division). See GatherKernel.cpp.
NVFP4_GLOBALS = [448.0, 3.0, 2688.0, 1e-39]
TOKENS = [1, 7, 256, 4096, 32768]


def same_bits(a, b):
    a, b = a.contiguous().cpu(), b.contiguous().cpu()
    w = {4: torch.int32, 2: torch.int16}[a.element_size()]
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(
        a.view(w), b.view(w))


@pytest.mark.cuda
@pytest.mark.parametrize("fmt,scale,out", CONFIGS)
@pytest.mark.parametrize("id_dtype", ID_DTYPES)
@pytest.mark.parametrize("tokens", TOKENS)
def test_bit_exact(fmt, scale, out, id_dtype, tokens):
    packed, scales = random_table(fmt, scale or F32, ROWS, COLS, seed=tokens,
                                  device="cuda")
    gen = torch.Generator().manual_seed(tokens + 1)
    ids = torch.randint(-3, ROWS + 3, (tokens,), generator=gen).to(id_dtype)
    got = qtorch.float_format_gather(packed, scales, ids.cuda(), fmt, COLS,
                                     out, global_scale=NVFP4_GLOBAL)
    torch.cuda.synchronize()
    want = dequant_rows(packed, scales, ids, fmt, COLS, out)
    assert same_bits(got, want)


@pytest.mark.cuda
@pytest.mark.parametrize("fmt", ["fp8", "nvfp4", "mxfp4"])
def test_nd_ids(fmt):
    packed, scales = random_table(fmt, BF16, ROWS, COLS, seed=5,
                                  device="cuda")
    ids = torch.randint(0, ROWS, (3, 5, 7), device="cuda")
    got = qtorch.float_format_gather(packed, scales, ids, fmt, COLS, BF16,
                                     global_scale=NVFP4_GLOBAL)
    assert got.shape == (3, 5, 7, COLS)
    # dequant_rows returns one row per id, flattened.
    assert same_bits(got.reshape(-1, COLS),
                     dequant_rows(packed, scales, ids, fmt, COLS, BF16))


@pytest.mark.cuda
@pytest.mark.parametrize("global_scale", NVFP4_GLOBALS)
@pytest.mark.parametrize("out", [F16, F32])
def test_nvfp4_every_scale_byte(global_scale, out):
    """Every E4M3 scale byte but the NaNs (negative ones too), in every
    group position, against the reference's division, bit for bit."""
    rows, groups = 254, COLS // 16
    packed, _ = random_table("nvfp4", None, rows, COLS, seed=11,
                             device="cuda")
    valid = torch.tensor([c for c in range(256) if c & 0x7F != 0x7F],
                         dtype=torch.int32)
    pos = torch.arange(rows * groups).reshape(rows, groups)
    scales = valid[(pos + pos // groups) % 254].to(torch.uint8).cuda()
    ids = torch.arange(rows, device="cuda")
    got = qtorch.float_format_gather(packed, scales, ids, "nvfp4", COLS, out,
                                     global_scale=global_scale)
    torch.cuda.synchronize()
    want = dequant_rows(packed, scales, ids, "nvfp4", COLS, out,
                        global_scale=global_scale)
    # 1e-39 overflows most quotients to inf, and inf * 0 is NaN: NaN where
    # the reference has NaN (its payload is the host's), the bits elsewhere.
    got = got.cpu()
    nan = torch.isnan(want)
    assert torch.equal(torch.isnan(got), nan)
    assert same_bits(got[~nan], want[~nan])
