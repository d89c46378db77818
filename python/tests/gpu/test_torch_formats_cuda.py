"""qembed.torch's FloatFormatEmbedding (FP8 / NVFP4 / MXFP4) and
CodebookEmbedding (codebook VQ) on CUDA: the module paths (eager forward,
torch.ops.qembed.gather_float / gather_vq under torch.compile(fullgraph=True),
CUDA graph replay, .to("cuda") of a CPU module) are bit-exact against
dequantizations written in plain torch (float_formats_ref.dequant_rows and
test_vq_cuda.torch_reference), for N-D int32/int64 ids with out-of-range
values (clamped), 1 to 32768 tokens. The tables are random tensors built
here, so the tests need no compiler extension: the kernels come from
$QEMBED_CACHE_DIR, filled by fill_kernel_cache.py on a machine with the
extension (test_every_kernel_is_cached checks that without a GPU).

Run on a GPU machine: QEMBED_CACHE_DIR=DIR python3 -m pytest -q
python/tests/gpu/test_torch_formats_cuda.py"""

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from float_formats_ref import NVFP4_GLOBAL, dequant_rows, random_table  # noqa: E402
from test_vq_cuda import torch_reference  # noqa: E402

import qembed  # noqa: E402
from qembed import torch as qtorch  # noqa: E402
from qembed.torch import CodebookEmbedding, FloatFormatEmbedding  # noqa: E402

ROWS, COLS = 1000, 512
F32, F16, BF16 = torch.float32, torch.float16, torch.bfloat16
KIND = {F32: "f32", F16: "f16", BF16: "bf16"}
# (format, scale dtype (fp8: the table's), output dtype)
FLOAT_CONFIGS = [("fp8", BF16, BF16), ("fp8", F32, F16), ("nvfp4", None, BF16),
                 ("nvfp4", None, F32), ("mxfp4", None, F16)]
# (dim, entries, stages, groups, codebook dtype, output dtype); the last
# one keeps its codebooks in global memory.
VQ_CONFIGS = [(4, 256, 1, 1, F16, F16), (8, 32, 3, 4, BF16, F32),
              (4, 16, 2, 8, F32, BF16), (8, 4096, 2, 1, F16, F16)]
ID_DTYPES = (torch.int64, torch.int32)
TOKENS = [1, 300, 32768]
CHIP = os.environ.get("QEMBED_TEST_CHIP", "sm_90")


def same_bits(a, b):
    a, b = a.contiguous().cpu(), b.contiguous().cpu()
    w = {4: torch.int32, 2: torch.int16}[a.element_size()]
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(
        a.view(w), b.view(w))


def float_module(fmt, scale, out, seed=0):
    """A FloatFormatEmbedding of a random table, on the CPU."""
    packed, scales = random_table(fmt, scale or F32, ROWS, COLS, seed=seed)
    return FloatFormatEmbedding(
        packed, scales, embedding_dim=COLS, format=fmt,
        global_scale=NVFP4_GLOBAL if fmt == "nvfp4" else 1.0, dtype=out)


def float_reference(m, ids):
    # dequant_rows returns one row per id, flattened.
    return dequant_rows(m.packed, m.scales, ids, m.format, COLS, m.dtype,
                        global_scale=m.global_scale).reshape(
                            tuple(ids.shape) + (COLS,))


def vq_module(dim, entries, stages, groups, book, out, seed=0):
    """A CodebookEmbedding of random codes, scales and codebooks, on the
    CPU."""
    gen = torch.Generator().manual_seed(seed)
    words = -(-(COLS // dim) * stages * (entries.bit_length() - 1) // 32)
    codes = torch.randint(-2 ** 31, 2 ** 31, (ROWS, words), generator=gen,
                          dtype=torch.int64).to(torch.int32)
    scales = (torch.rand(ROWS, 1, generator=gen) * 0.02 + 1e-4).half()
    books = torch.randn(groups, stages, entries, dim, generator=gen).to(book)
    return CodebookEmbedding(codes, scales, books, embedding_dim=COLS,
                             dtype=out)


def vq_reference(m, ids):
    entry = {"cols": COLS, "book": KIND[m.codebooks.dtype],
             "out": KIND[m.dtype]}
    bits_of = {F32: torch.int32, F16: torch.int16, BF16: torch.int16}
    books = m.codebooks.view(bits_of[m.codebooks.dtype])
    out = torch_reference(entry, m.codes, m.scales.view(torch.int16), books,
                          ids.reshape(-1),
                          (m.dim, m.entries, m.stages, m.groups))
    return out.reshape(tuple(ids.shape) + (COLS,))


def random_ids(tokens, id_dtype, seed, shape=None):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(-3, ROWS + 3, (tokens,), generator=gen).to(id_dtype)
    return (ids if shape is None else ids.reshape(shape)).cuda()


@pytest.mark.cuda
@pytest.mark.parametrize("fmt,scale,out", FLOAT_CONFIGS)
@pytest.mark.parametrize("id_dtype", ID_DTYPES)
@pytest.mark.parametrize("tokens", TOKENS)
def test_float_eager_bit_exact(fmt, scale, out, id_dtype, tokens):
    m = float_module(fmt, scale, out, seed=tokens).cuda()
    ids = random_ids(tokens, id_dtype, tokens + 1)
    got = m(ids)
    torch.cuda.synchronize()
    assert same_bits(got, float_reference(m, ids))


@pytest.mark.cuda
@pytest.mark.parametrize("cfg", VQ_CONFIGS)
@pytest.mark.parametrize("id_dtype", ID_DTYPES)
@pytest.mark.parametrize("tokens", TOKENS)
def test_vq_eager_bit_exact(cfg, id_dtype, tokens):
    m = vq_module(*cfg, seed=tokens).cuda()
    ids = random_ids(tokens, id_dtype, tokens + 2)
    got = m(ids)
    torch.cuda.synchronize()
    assert same_bits(got, vq_reference(m, ids))


@pytest.mark.cuda
@pytest.mark.parametrize("kind", ["fp8", "nvfp4", "mxfp4", "vq", "vq_global"])
def test_nd_ids_compile_and_cuda_graph(kind):
    if kind.startswith("vq"):
        m = vq_module(*VQ_CONFIGS[-1 if kind == "vq_global" else 0]).cuda()
        ref = vq_reference
    else:
        cfg = next(c for c in FLOAT_CONFIGS if c[0] == kind)
        m = float_module(*cfg).cuda()
        ref = float_reference
    ids = random_ids(3 * 5 * 7, torch.int64, 11, shape=(3, 5, 7))
    want = ref(m, ids)
    assert same_bits(m(ids), want)
    # torch.compile: the graph calls torch.ops.qembed.gather_float / gather_vq
    # (their CUDA registrations).
    compiled = torch.compile(m, fullgraph=True, backend="aot_eager")
    assert same_bits(compiled(ids), want)
    # CUDA graph replay (the kernels were loaded by the eager call above).
    static = ids.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        m(static)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = m(static)
    other = random_ids(3 * 5 * 7, torch.int64, 12, shape=(3, 5, 7))
    static.copy_(other)
    graph.replay()
    torch.cuda.synchronize()
    assert same_bits(out, ref(m, other))


@pytest.mark.cuda
def test_state_dict_and_to_cuda():
    a = float_module("nvfp4", None, BF16, seed=1)
    b = FloatFormatEmbedding(torch.zeros_like(a.packed),
                             torch.zeros_like(a.scales), embedding_dim=COLS,
                             format="nvfp4", global_scale=2.0, dtype=BF16)
    b.load_state_dict(a.state_dict())
    b = b.cuda().float()
    ids = random_ids(4096, torch.int32, 5)
    assert b.dtype == F32 and b.global_scale == NVFP4_GLOBAL
    assert same_bits(b(ids), float_reference(b, ids))
    v = vq_module(*VQ_CONFIGS[1]).cuda().half()
    assert v.codebooks.dtype == BF16 and v.dtype == F16
    assert same_bits(v(ids), vq_reference(v, ids))


def kernel_modules():
    """A module (on the CPU) for each kernel configuration these tests run;
    fill_kernel_cache.py compiles theirs for every id dtype."""
    mods = [float_module(*cfg) for cfg in FLOAT_CONFIGS]
    mods += [vq_module(*cfg) for cfg in VQ_CONFIGS]
    # test_state_dict_and_to_cuda's casts.
    mods.append(float_module("nvfp4", None, F32))
    mods.append(vq_module(*VQ_CONFIGS[1][:5], F16))
    return mods


def test_every_kernel_is_cached(monkeypatch):
    """Without a GPU and with the JIT hidden: every kernel the tests above
    launch on CHIP is in $QEMBED_CACHE_DIR (KernelUnavailableError if not)."""
    monkeypatch.setattr(qtorch, "_ptx", {})
    for name in ("gpu_gather_kernel", "gpu_codebook_kernel"):
        if hasattr(qembed._qembed, name):
            monkeypatch.delattr(qembed._qembed, name)
    for m in kernel_modules():
        for path in m.compile_kernels(CHIP):
            assert os.path.exists(path)


@pytest.mark.skipif(not qembed.extension_available(),
                    reason="the CPU forward needs the compiler extension")
def test_cpu_forward_matches_the_torch_references():
    """The references above agree bit for bit with the modules' CPU forward
    (qembed's numerics library, itself checked against qembed.dequantize /
    dequantize_vq in CI) on these random tables."""
    for m in kernel_modules():
        for id_dtype in ID_DTYPES:
            ids = torch.randint(-3, ROWS + 3, (3, 100)).to(id_dtype)
            ref = vq_reference if isinstance(m, CodebookEmbedding) else \
                float_reference
            assert same_bits(m(ids), ref(m, ids))
