"""QuantizedEmbedding on CUDA (the JIT kernel through qembed's runtime):
bit-exact against a dequantization written here in plain torch (and against
the CPU path when the extension is present) for 2/3/4/8 bits, channel and
group scales, symmetric and asymmetric, f32/f16/bf16, 1..32768 tokens, int32
and int64 ids; eagerly, under torch.compile and in CUDA graph replay; on a
side stream; from the disk cache in a process without the extension.

Run on a GPU machine: python3 -m pytest -q python/tests/gpu"""

import os
import subprocess
import sys

import pytest
import torch

from qembed import torch as qtorch
from qembed.torch import QuantizedEmbedding

pytestmark = pytest.mark.cuda

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
ROWS, COLS = 1000, 512


def random_module(bits, group, symmetric, scale, out, rows=ROWS, cols=COLS,
                  seed=0, device="cuda"):
    """A table of random codes, scales and zero points (every code value
    occurs), on the GPU."""
    gen = torch.Generator().manual_seed(seed)
    words = (cols * bits + 31) // 32
    groups = 1 if group == 0 else cols // group
    packed = torch.randint(-2 ** 31, 2 ** 31, (rows, words), generator=gen,
                           dtype=torch.int64).to(torch.int32)
    scales = ((torch.rand(rows, groups, generator=gen) - 0.5) * 0.02).to(
        DTYPES[scale])
    zps = None
    if not symmetric:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1))
        zps = torch.randint(lo, hi, (rows, groups), generator=gen,
                            dtype=torch.int8)
    m = QuantizedEmbedding(packed, scales, zps, embedding_dim=cols, bits=bits,
                           group_size=group, dtype=DTYPES[out])
    return m.to(device)


def reference(m, ids):
    """(q - zp) * scale in f32, rounded to the scale dtype, then to the
    output dtype, for the clamped ids: compressed-tensors' dequantization,
    written independently of qembed's kernels."""
    rows = m.packed[ids.long().clamp(0, m.num_embeddings - 1).reshape(-1)]
    words = rows.long() & 0xFFFFFFFF
    bit = torch.arange(m.embedding_dim, device=ids.device) * m.bits
    wi, off = bit // 32, bit % 32
    lo = words[:, wi] >> off
    hi = (words[:, (wi + 1).clamp(max=words.shape[1] - 1)] << (32 - off)) \
        & 0xFFFFFFFF
    u = torch.where(off + m.bits > 32, lo | hi, lo) & ((1 << m.bits) - 1)
    q = (u - (1 << (m.bits - 1))).float()
    g = torch.zeros_like(bit) if m.group_size == 0 else \
        torch.arange(m.embedding_dim, device=ids.device) // m.group_size
    index = ids.long().clamp(0, m.num_embeddings - 1).reshape(-1)
    s = m.scales[index][:, g].float()
    if m.zero_points is not None:
        q = q - m.zero_points[index][:, g].float()
    out = (q * s).to(m.scales.dtype).to(m.dtype)
    return out.reshape(tuple(ids.shape) + (m.embedding_dim,))


def same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    view = {4: torch.int32, 2: torch.int16}[a.element_size()]
    return torch.equal(a.view(view), b.view(view))


SCHEMES = [(bits, group, sym) for bits in (2, 3, 4, 8) for group in (0, 64)
           for sym in (True, False)]
TYPES = [("f32", "f32"), ("f16", "f16"), ("bf16", "bf16"), ("f32", "f16"),
         ("bf16", "f32")]


@pytest.mark.parametrize("scale,out", TYPES)
@pytest.mark.parametrize("bits,group,symmetric", SCHEMES)
def test_bit_exact(bits, group, symmetric, scale, out):
    m = random_module(bits, group, symmetric, scale, out, seed=bits + group)
    gen = torch.Generator().manual_seed(1)
    for n in (1, 7, 256, 4096, 32768):
        ids = torch.randint(0, ROWS, (n,), generator=gen).cuda()
        ids[0] = 0
        ids[-1] = ROWS - 1
        for id_dtype in (torch.int64, torch.int32):
            got = m(ids.to(id_dtype))
            assert same_bits(got, reference(m, ids)), (n, id_dtype)
    if qtorch.qembed.extension_available():  # the CPU path agrees
        ids = torch.randint(0, ROWS, (300,), generator=gen)
        assert same_bits(m(ids.cuda()).cpu(), m.cpu()(ids))


def test_shapes_clamping_and_strides():
    m = random_module(4, 64, False, "bf16", "bf16")
    ids = torch.randint(0, ROWS, (16, 24), device="cuda")
    for view in (ids, ids.t(), ids[:, ::3], ids[3], ids[3, 4]):
        assert same_bits(m(view), reference(m, view))
    wild = torch.tensor([-1, -2 ** 40, ROWS, 2 ** 40, 5], device="cuda")
    assert same_bits(m(wild), m(torch.tensor([0, 0, ROWS - 1, ROWS - 1, 5],
                                             device="cuda")))
    assert m(torch.empty(0, 3, dtype=torch.long, device="cuda")).shape == (
        0, 3, COLS)
    with pytest.raises(TypeError, match="int32 or int64"):
        m(ids.float())


@pytest.mark.parametrize("n", [3, 32768])
def test_torch_compile(n):
    m = random_module(4, 64, True, "f16", "f16")
    compiled = torch.compile(m, fullgraph=True)
    ids = torch.randint(0, ROWS, (n,), device="cuda")
    assert same_bits(compiled(ids), reference(m, ids))


@pytest.mark.parametrize("n", [5, 32768])  # unroll 1 and 2
def test_cuda_graph_replay(n):
    m = random_module(8, 0, False, "f32", "bf16")
    static = torch.randint(0, ROWS, (n,), device="cuda")
    m(static)  # compiles and loads the kernels before capture
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = m(static)
    for seed in range(3):
        fresh = torch.randint(0, ROWS, (n,), device="cuda",
                              generator=torch.Generator("cuda").manual_seed(
                                  seed))
        static.copy_(fresh)
        graph.replay()
        torch.cuda.synchronize()
        assert same_bits(out, reference(m, fresh))


def test_side_stream():
    m = random_module(2, 64, True, "f16", "f16")
    ids = torch.randint(0, ROWS, (4096,), device="cuda")
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        out = m(ids)
    torch.cuda.current_stream().wait_stream(stream)
    assert same_bits(out, reference(m, ids))


def test_kernels_from_the_disk_cache_without_the_extension(tmp_path):
    env = dict(os.environ, QEMBED_CACHE_DIR=str(tmp_path))
    code = r"""
import sys, torch
if sys.argv[1] == "blocked":
    sys.modules["qembed._qembed"] = None
from qembed import torch as qt
gen = torch.Generator().manual_seed(0)
m = qt.QuantizedEmbedding(
    torch.randint(-2**31, 2**31, (100, 256), generator=gen,
                  dtype=torch.int64).to(torch.int32),
    (torch.rand(100, 8, generator=gen) * 0.01).half(), embedding_dim=512,
    bits=4, group_size=64).cuda()
ids = torch.arange(-3, 120, device="cuda")
torch.save(m(ids).cpu(), sys.argv[2])
"""
    first, second = str(tmp_path / "a.pt"), str(tmp_path / "b.pt")
    if not qtorch.qembed.extension_available():
        pytest.skip("needs the extension once, to fill the cache")
    subprocess.run([sys.executable, "-c", code, "jit", first], env=env,
                   check=True)
    assert len([f for f in os.listdir(tmp_path) if f.endswith(".json")]) == 2
    subprocess.run([sys.executable, "-c", code, "blocked", second], env=env,
                   check=True)
    assert torch.equal(torch.load(first), torch.load(second))


def test_multi_gpu():
    if torch.cuda.device_count() < 2:
        pytest.skip("one GPU")
    m = random_module(4, 64, True, "bf16", "bf16").to("cuda:1")
    ids = torch.randint(0, ROWS, (1000,), device="cuda:1")
    assert same_bits(m(ids), reference(m, ids))


# Every group size that divides the row, for rows that are not a multiple of
# the group: boundaries fall inside the kernel's 16-byte slices (issue 11:
# one scale per slice gave wrong values past the boundary).
STRADDLE = [(cols, group) for cols in (24, 40) for group in range(1, cols + 1)
            if cols % group == 0]


@pytest.mark.parametrize("out", ["f16", "f32"])
@pytest.mark.parametrize("bits,symmetric", [(4, True), (8, False), (3, True)])
@pytest.mark.parametrize("cols,group", STRADDLE)
def test_groups_straddling_slices(cols, group, bits, symmetric, out):
    m = random_module(bits, group, symmetric, out, out, rows=300, cols=cols,
                      seed=cols * 100 + group)
    ids = torch.randint(0, 300, (1000,), device="cuda")
    ids[0], ids[-1] = 0, 299
    assert same_bits(m(ids), reference(m, ids))
