"""Reference dequantization in torch, written independently of qembed's code
generator: the compressed-tensors bit stream is unpacked with int64 ops and
`(q - zp) * scale` is computed in f32, rounded to the scale dtype, converted
to the output dtype."""

import torch


def unpack_rows(words, d, bits):
    """words: [N, W] int32 rows -> [N, d] int64 codes q = u - 2^(bits-1)."""
    w = words.to(torch.int64) & 0xFFFFFFFF
    j = torch.arange(d, device=words.device)
    bit = j * bits
    wi, off = bit // 32, bit % 32
    last = words.shape[1] - 1
    lo = w[:, wi] >> off
    hi = (w[:, torch.clamp(wi + 1, max=last)] << (32 - off)) & 0xFFFFFFFF
    code = torch.where(off + bits > 32, lo | hi, lo) & ((1 << bits) - 1)
    return code - (1 << (bits - 1))


def dequant_rows(packed, scales, zps, ids, cfg, out_dtype, scale_dtype):
    v = packed.shape[0]
    rows = torch.clamp(ids, 0, v - 1)
    q = unpack_rows(packed[rows], cfg["d"], cfg["bits"]).to(torch.float32)
    j = torch.arange(cfg["d"], device=packed.device)
    g = torch.zeros_like(j) if cfg["group"] == 0 else j // cfg["group"]
    s = scales[rows][:, g].to(torch.float32)
    if zps is not None:
        q = q - zps[rows][:, g].to(torch.float32)
    return (q * s).to(scale_dtype).to(out_dtype)
