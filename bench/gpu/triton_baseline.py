"""The Triton baseline: a fused gather + dequantize written after vLLM's
design, one program per (token, column block). It reads the packed words of
its columns, shifts/masks in int32, dequantizes in f32 and stores f16."""

import triton
import triton.language as tl


@triton.jit
def _gather_dequant(packed, scales, ids, out, W: tl.constexpr,
                    D: tl.constexpr, G: tl.constexpr, BITS: tl.constexpr,
                    BLOCK: tl.constexpr):
    tok = tl.program_id(0)
    cb = tl.program_id(1)
    row = tl.load(ids + tok).to(tl.int64)
    cols = cb * BLOCK + tl.arange(0, BLOCK)
    PER: tl.constexpr = 32 // BITS
    words = tl.load(packed + row * W + cols // PER)
    q = (words >> ((cols % PER) * BITS)) & ((1 << BITS) - 1)
    q = q - (1 << (BITS - 1))
    s = tl.load(scales + row * (D // G) + cols // G)
    val = (q.to(tl.float32) * s.to(tl.float32)).to(tl.float16)
    tl.store(out + tok.to(tl.int64) * D + cols, val)


def gather(packed, scales, ids, out, bits, group, block, num_warps=4):
    n = ids.shape[0]
    d = out.shape[1]
    g = d if group == 0 else group
    _gather_dequant[(n, d // block)](packed, scales, ids, out, packed.shape[1],
                                     d, g, bits, block, num_warps=num_warps)
