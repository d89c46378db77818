"""Random float-format tables (FP8, NVFP4, MXFP4) and their dequantization
in torch on the CPU, written independently of qembed's code generator and
numerics library: E4M3 through torch's float8_e4m3fn, E2M1 through a
table of its 8 magnitudes, E8M0 as 2^(c - 127) computed in float64.
Shared by the GPU tests, bench/gpu/bench_float_formats.py and the kernel
cache filler."""

import torch

E2M1 = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
NVFP4_GLOBAL = 612.5  # the global scale of every test table (in the kernel)
GROUP = {"fp8": 0, "nvfp4": 16, "mxfp4": 32}


def random_table(fmt, scale_dtype, rows, cols, seed=0, device="cpu"):
    """(packed int32 [rows, words], scales) of a random table: every code
    (NaN codes excepted) and a spread of scales."""
    gen = torch.Generator().manual_seed(seed)
    if fmt == "fp8":
        codes = torch.randint(0, 256, (rows, cols), generator=gen,
                              dtype=torch.int32)
        codes = torch.where((codes & 0x7F) == 0x7F, codes - 1, codes)
        packed = codes.to(torch.uint8).view(torch.int32)
        scales = (torch.rand(rows, 1, generator=gen) * 0.02 + 1e-5).to(
            scale_dtype)
    else:
        nib = torch.randint(0, 16, (rows, cols), generator=gen,
                            dtype=torch.int32)
        byte = (nib[:, 0::2] | (nib[:, 1::2] << 4)).to(torch.uint8)
        packed = byte.contiguous().view(torch.int32)
        groups = cols // GROUP[fmt]
        if fmt == "nvfp4":
            scales = torch.randint(0, 0x7F, (rows, groups), generator=gen,
                                   dtype=torch.int32).to(torch.uint8)
        else:
            scales = torch.randint(90, 160, (rows, groups), generator=gen,
                                   dtype=torch.int32).to(torch.uint8)
            scales[0, 0] = 0    # 2^-127: an f32 subnormal scale
            scales[1, 0] = 127  # 1.0
    return packed.contiguous().to(device), scales.contiguous().to(device)


def dequant_rows(packed, scales, ids, fmt, cols, out_dtype,
                 global_scale=NVFP4_GLOBAL):
    """Rows `ids` (clamped) of the table, in `out_dtype`, computed on the
    CPU: fp8 `e4m3 * scale` in f32 rounded to the scale dtype; nvfp4
    `e2m1 * (e4m3(scale) / global_scale)` in f32; mxfp4
    `e2m1 * 2^(c - 127)`."""
    packed, scales, ids = packed.cpu(), scales.cpu(), ids.cpu().reshape(-1)
    rows = torch.clamp(ids.to(torch.int64), 0, packed.shape[0] - 1)
    byte = packed[rows].contiguous().view(torch.uint8)
    if fmt == "fp8":
        v = byte[:, :cols].contiguous().view(torch.float8_e4m3fn).float()
        s = scales[rows].float()
        out = (v * s).to(scales.dtype).to(out_dtype)
    else:
        codes = torch.stack([byte & 15, byte >> 4], dim=-1).reshape(
            byte.shape[0], -1)[:, :cols].to(torch.int64)
        v = E2M1[codes & 7] * torch.where((codes & 8) != 0, -1.0, 1.0)
        sc = scales[rows]
        if fmt == "nvfp4":
            s = sc.view(torch.float8_e4m3fn).float() / torch.tensor(
                global_scale, dtype=torch.float32)
        else:
            s = torch.pow(2.0, sc.to(torch.float64) - 127).float()
        g = torch.arange(cols) // GROUP[fmt]
        out = (v * s[:, g]).to(out_dtype)
    return out.reshape(tuple(ids.shape) + (cols,))
