"""qembed.torch's float-format (FP8 / NVFP4 / MXFP4) and codebook VQ
embeddings on the CPU: FloatFormatEmbedding / CodebookEmbedding reached
through QuantizedEmbedding.from_embedding(format= / vq=), bit-exact with
qembed.dequantize / dequantize_vq of an independently quantized table (every
weight and output dtype, N-D and out-of-range ids); state_dict round trips
(extra state included), casts and .to(), padding_idx,
quantize_model_embeddings, from_compressed_tensors of a float-format
checkpoint, torch.compile(fullgraph=True) through the custom ops' fake
implementations, opcheck, the errors, and the kernel cache filled without a
GPU."""

import json
import os

import numpy as np
import pytest

import qembed

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from qembed import torch as qtorch  # noqa: E402
from qembed.torch import (  # noqa: E402
    CodebookEmbedding, FloatFormatEmbedding, QuantizedEmbedding)

DT = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
FORMATS = [("fp8", False), ("fp8", True), ("nvfp4", False), ("mxfp4", False)]


def make_embedding(rows, cols, dtype, seed=0, padding_idx=None):
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=gen) * 0.05 * torch.exp(
        torch.randn(rows, 1, generator=gen))
    emb = nn.Embedding(rows, cols, padding_idx=padding_idx)
    with torch.no_grad():
        emb.weight.copy_(w)
    return emb.to(DT[dtype])


def numpy_table(weight):
    """The weight as the numpy array qembed.quantize takes (bf16: bits)."""
    w = weight.detach().contiguous()
    if w.dtype == torch.bfloat16:
        return w.view(torch.int16).numpy().view(np.uint16)
    return w.numpy()


def bits(t):
    """The raw bits of a float tensor (for bit-exact comparisons)."""
    t = t.detach().contiguous()
    return t.view(torch.int32 if t.element_size() == 4 else torch.int16)


def as_bits(a):
    """The raw bits of a numpy result of qembed (f32, or uint16 patterns)."""
    a = np.ascontiguousarray(a)
    return torch.from_numpy(a.view(np.int32 if a.itemsize == 4 else
                                   np.int16))


def clamped(ids, rows):
    return ids.long().clamp(0, rows - 1).numpy()


@pytest.mark.parametrize("fmt,per_tensor", FORMATS)
@pytest.mark.parametrize("wdt", ["f32", "f16", "bf16"])
def test_float_formats_bit_exact(fmt, per_tensor, wdt):
    emb = make_embedding(70, 64, wdt, seed=len(fmt) + per_tensor)
    q = qembed.quantize(numpy_table(emb.weight), format=fmt,
                        per_tensor=per_tensor, dtype=wdt)
    m = QuantizedEmbedding.from_embedding(emb, format=fmt,
                                          per_tensor=per_tensor)
    assert isinstance(m, FloatFormatEmbedding)
    assert isinstance(m, QuantizedEmbedding)
    assert (m.format, m.per_tensor, m.dtype) == (fmt, per_tensor, DT[wdt])
    assert m.global_scale == q.global_scale
    assert np.array_equal(m.packed.numpy(), q.packed)
    gen = torch.Generator().manual_seed(1)
    for out in ("f32", "f16", "bf16"):
        m = m.to(DT[out])
        assert m.dtype == DT[out]
        ref = qembed.dequantize(q, out_dtype=out)
        for id_dtype in (torch.int32, torch.int64):
            ids = torch.randint(-4, 74, (3, 11), generator=gen).to(id_dtype)
            got = m(ids)
            assert got.shape == (3, 11, 64) and got.dtype == DT[out]
            assert torch.equal(bits(got), as_bits(ref[clamped(ids, 70)]))
    # The quantized bytes never changed under the casts.
    assert np.array_equal(qtorch._to_numpy(m.scales),
                          q.scales.view(np.uint16) if q.scales.dtype in (
                              np.float16,) else q.scales)


@pytest.mark.parametrize("book,wdt,out", [("f16", "f32", "f32"),
                                          ("bf16", "bf16", "bf16"),
                                          ("f32", "f16", "f16")])
def test_vq_bit_exact(book, wdt, out):
    emb = make_embedding(90, 32, wdt, seed=4)
    opts = dict(dim=4, entries=16, stages=2, groups=2, iterations=3,
                seed=7, codebook_dtype=book)
    q = qembed.quantize_vq(numpy_table(emb.weight), dtype=wdt, **opts)
    m = QuantizedEmbedding.from_embedding(emb, vq=opts, dtype=DT[out])
    assert isinstance(m, CodebookEmbedding)
    assert (m.dim, m.entries, m.stages, m.groups) == (4, 16, 2, 2)
    assert np.array_equal(m.codes.numpy(), q.codes)
    ref = qembed.dequantize_vq(q, out_dtype=out)
    for id_dtype in (torch.int32, torch.int64):
        ids = torch.randint(-3, 93, (2, 3, 5)).to(id_dtype)
        got = m(ids)
        assert got.shape == (2, 3, 5, 32) and got.dtype == DT[out]
        assert torch.equal(bits(got), as_bits(ref[clamped(ids, 90)]))
    # Casting the module changes the output dtype, never the codebooks.
    books = bits(m.codebooks).clone()
    m.half()
    assert m.dtype == torch.float16 and m.codebooks.dtype == DT[book]
    assert torch.equal(bits(m.codebooks), books)
    ids = torch.arange(90)
    assert torch.equal(bits(m(ids)),
                       as_bits(qembed.dequantize_vq(q, out_dtype="f16")))


@pytest.mark.parametrize("kind", ["fp8", "nvfp4", "vq"])
def test_state_dict_round_trip(kind):
    def build(seed):
        emb = make_embedding(40, 64, "bf16", seed=seed, padding_idx=2)
        if kind == "vq":
            return QuantizedEmbedding.from_embedding(
                emb, vq=dict(dim=8, entries=8, iterations=2, seed=seed))
        return QuantizedEmbedding.from_embedding(emb, format=kind)

    a, b = build(1), build(2)
    assert a.padding_idx == 2
    ids = torch.randint(0, 40, (17,))
    assert not torch.equal(bits(a(ids)), bits(b(ids)))
    state = a.state_dict()
    if kind == "nvfp4":
        assert a.global_scale != b.global_scale
        assert state["_extra_state"]["global_scale"] == a.global_scale
    b.load_state_dict(state)
    assert torch.equal(bits(a(ids)), bits(b(ids)))
    if kind == "nvfp4":
        assert b.global_scale == a.global_scale
        # A dict of another format does not load.
        other = QuantizedEmbedding.from_embedding(
            make_embedding(40, 64, "bf16"), format="mxfp4")
        with pytest.raises(ValueError, match="holds a 'nvfp4' table"):
            other.load_state_dict(state, strict=False)


def test_padding_idx_and_to():
    emb = make_embedding(30, 32, "f32", padding_idx=-1)
    m = QuantizedEmbedding.from_embedding(emb, format="mxfp4",
                                          dtype=torch.bfloat16)
    assert m.padding_idx == 29 and m.dtype == torch.bfloat16
    assert "padding_idx=29" in repr(m)
    m2 = m.to("cpu", torch.float32)
    assert m2.dtype == torch.float32 and m2.scales.dtype == torch.uint8
    w = make_embedding(30, 32, "f16").weight
    t = QuantizedEmbedding.from_embedding(w, format="fp8")
    assert t.padding_idx is None and t.scales.dtype == torch.float16
    t.bfloat16()
    assert t.scales.dtype == torch.float16 and t.dtype == torch.bfloat16


def test_compile_fullgraph_equals_eager():
    torch._dynamo.reset()
    fp = QuantizedEmbedding.from_embedding(make_embedding(50, 64, "f16"),
                                           format="nvfp4")
    vq = QuantizedEmbedding.from_embedding(make_embedding(50, 64, "f16"),
                                           vq=dict(dim=4, entries=16,
                                                   iterations=2))
    proj = nn.Linear(64, 8).half()

    def f(ids):
        return proj(fp(ids) + vq(ids))

    # aot_eager traces the graph through the custom ops' fake
    # implementations (what fullgraph needs) without inductor's C++ build.
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    for shape in [(5,), (3, 7)]:
        ids = torch.randint(-2, 52, shape)
        assert torch.equal(bits(compiled(ids)), bits(f(ids)))


def test_custom_ops_opcheck_and_fake():
    fp = QuantizedEmbedding.from_embedding(make_embedding(20, 32, "f32"),
                                           format="nvfp4")
    vq = QuantizedEmbedding.from_embedding(make_embedding(20, 32, "f32"),
                                           vq=dict(dim=4, entries=4,
                                                   iterations=1))
    ids = torch.tensor([[1, 2, 19]])
    cases = [(torch.ops.qembed.gather_float.default,
              (fp.packed, fp.scales, ids, 32, "nvfp4", fp.global_scale,
               torch.bfloat16)),
             (torch.ops.qembed.gather_vq.default,
              (vq.codes, vq.scales, vq.codebooks, ids, 32, torch.float16))]
    from torch._subclasses.fake_tensor import FakeTensorMode
    for op, args in cases:
        torch.library.opcheck(op, args)
        with FakeTensorMode() as mode:
            fake = tuple(mode.from_tensor(a) if isinstance(a, torch.Tensor)
                         else a for a in args)
            out = op(*fake)
            assert out.shape == (1, 3, 32) and out.dtype == args[-1]


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = make_embedding(40, 32, "f32", seed=9)

    def get_input_embeddings(self):
        return self.embed

    def set_input_embeddings(self, m):
        self.embed = m


def test_quantize_model_embeddings_formats():
    model = qtorch.quantize_model_embeddings(TinyModel(), format="fp8",
                                             per_tensor=True)
    assert isinstance(model.embed, FloatFormatEmbedding)
    assert model.embed.per_tensor
    assert len(set(model.embed.scales.view(-1).tolist())) == 1
    model = qtorch.quantize_model_embeddings(
        TinyModel(), vq=dict(dim=4, entries=16, iterations=2))
    assert isinstance(model.embed, CodebookEmbedding)
    with pytest.raises(ValueError, match="quantized already"):
        qtorch.quantize_model_embeddings(model, format="mxfp4")


@pytest.mark.parametrize("fmt,per_tensor,wdt", [
    ("nvfp4", False, "bf16"), ("fp8", True, "f16"), ("fp8", False, "f32"),
    ("mxfp4", False, "bf16")])
def test_from_compressed_tensors_float_checkpoint(tmp_path, fmt, per_tensor,
                                                  wdt):
    """A float-format checkpoint folder (qembed export-ct, checked against
    compressed-tensors' own compressors in test_float_checkpoint.py) and
    its state dict with the config's quantization_config."""
    st = pytest.importorskip("safetensors.torch")
    src, out = str(tmp_path / "model"), str(tmp_path / "quantized")
    os.makedirs(src)
    w = make_embedding(48, 64, wdt, seed=5).weight.detach()
    st.save_file({"model.embed_tokens.weight": w},
                 os.path.join(src, "model.safetensors"))
    json.dump({"model_type": "llama"},
              open(os.path.join(src, "config.json"), "w"))
    q = qembed.checkpoint.export_embedding(src, out, format=fmt,
                                           per_tensor=per_tensor)
    m = QuantizedEmbedding.from_compressed_tensors(out, padding_idx=3)
    assert isinstance(m, FloatFormatEmbedding) and m.format == fmt
    assert m.padding_idx == 3 and m.global_scale == q.global_scale
    ref = qembed.dequantize(qembed.quantize(numpy_table(w), format=fmt,
                                            per_tensor=per_tensor,
                                            dtype=wdt), out_dtype="f32")
    ids = torch.arange(-1, 50)
    assert torch.equal(bits(m.float()(ids)), as_bits(ref[clamped(ids, 48)]))
    tensors = {}
    for f in os.listdir(out):
        if f.endswith(".safetensors"):
            tensors.update(st.load_file(os.path.join(out, f)))
    cfg = json.load(open(os.path.join(out, "config.json")))
    d = QuantizedEmbedding.from_compressed_tensors(
        tensors, quantization_config=cfg, dtype=torch.float32)
    assert isinstance(d, FloatFormatEmbedding) and d.format == fmt
    assert torch.equal(bits(d(ids)), bits(m(ids)))
    with pytest.raises(qembed.CheckpointError):
        QuantizedEmbedding.from_compressed_tensors(
            {k: v for k, v in tensors.items() if "scale" not in k},
            quantization_config=cfg)


def test_errors():
    emb = make_embedding(10, 32, "f32")
    with pytest.raises(ValueError, match="4-bit codes"):
        QuantizedEmbedding.from_embedding(emb, format="nvfp4", bits=8)
    with pytest.raises(ValueError, match="symmetric only"):
        QuantizedEmbedding.from_embedding(emb, format="fp8", symmetric=False)
    with pytest.raises(ValueError, match="per_tensor is only"):
        QuantizedEmbedding.from_embedding(emb, format="mxfp4",
                                          per_tensor=True)
    with pytest.raises(ValueError, match="format must be one of"):
        QuantizedEmbedding.from_embedding(emb, format="fp4")
    with pytest.raises(ValueError, match="takes no format"):
        QuantizedEmbedding.from_embedding(emb, format="fp8", vq={})
    with pytest.raises(ValueError, match="takes no bits"):
        QuantizedEmbedding.from_embedding(emb, bits=4, vq={})
    with pytest.raises(ValueError, match="bad vq options"):
        QuantizedEmbedding.from_embedding(emb, vq=dict(dims=4))
    with pytest.raises(ValueError, match="entries must be"):
        QuantizedEmbedding.from_embedding(emb, vq=dict(entries=1))
    with pytest.raises(ValueError, match="groups of 32 columns do not divide"):
        QuantizedEmbedding.from_embedding(make_embedding(4, 48, "f32"),
                                          format="mxfp4")
    with pytest.raises(ValueError, match="integer schemes only"):
        qtorch.QuantizedEmbeddingBag.from_embedding(emb, format="fp8")
    m = QuantizedEmbedding.from_embedding(emb, format="fp8")
    with pytest.raises(TypeError, match="int32 or int64"):
        m(torch.tensor([1.0]))
    with pytest.raises(TypeError, match="ids must be a tensor"):
        m([1, 2])
    with pytest.raises(ValueError, match="only nvfp4 has a global scale"):
        FloatFormatEmbedding(m.packed, m.scales, embedding_dim=32,
                             format="fp8", global_scale=2.0)
    with pytest.raises(TypeError, match="mxfp4 scales must be 2-D uint8"):
        FloatFormatEmbedding(m.packed, m.scales, embedding_dim=32,
                             format="mxfp4")
    vq = QuantizedEmbedding.from_embedding(emb, vq=dict(dim=4, entries=4,
                                                        iterations=1))
    with pytest.raises(ValueError, match="words per row"):
        CodebookEmbedding(torch.zeros(10, 2, dtype=torch.int32), vq.scales,
                          vq.codebooks, embedding_dim=32)
    with pytest.raises(TypeError, match="scales must be float16"):
        CodebookEmbedding(vq.codes, vq.scales.float(), vq.codebooks,
                          embedding_dim=32)


def test_compile_kernels_without_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("QEMBED_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(qtorch, "_ptx", {})
    fp = QuantizedEmbedding.from_embedding(make_embedding(30, 64, "f16"),
                                           format="nvfp4")
    vq = QuantizedEmbedding.from_embedding(make_embedding(30, 64, "f16"),
                                           vq=dict(dim=4, entries=16,
                                                   iterations=1))
    if not hasattr(qembed._qembed, "gpu_codebook_kernel"):
        pytest.skip("the compiler extension has no GPU kernel generator")
    paths = fp.compile_kernels("sm_90", id_dtypes=(torch.int64,))
    assert len(paths) == 2
    for p, unroll in zip(paths, (1, 2)):
        entry = json.load(open(p))
        assert entry["params"]["format"] == "nvfp4"
        assert entry["params"]["global_scale"] == fp.global_scale
        assert entry["params"]["unroll"] == unroll
        assert ".entry " + entry["name"] in entry["ptx"]
    (p,) = vq.compile_kernels("sm_90", id_dtypes=(torch.int32,))
    entry = json.load(open(p))
    assert entry["params"]["kernel"] == "codebook"
    assert entry["params"]["id_type"] == "i32"
    assert ".entry " + entry["name"] in entry["ptx"]
    # A process without the JIT finds the cached kernels on disk.
    monkeypatch.setattr(qtorch, "_ptx", {})
    monkeypatch.delattr(qembed._qembed, "gpu_codebook_kernel")
    from qembed import _torch_formats
    again = _torch_formats.codebook_kernel(_torch_formats._vq_params(
        4, 16, 1, 1, "f16", "f16", 64, "i32", "sm_90"))
    assert again["ptx"] == entry["ptx"]
    monkeypatch.setattr(qtorch, "_ptx", {})
    with pytest.raises(qtorch.KernelUnavailableError, match="no entry"):
        _torch_formats.codebook_kernel(_torch_formats._vq_params(
            4, 16, 1, 1, "f16", "f16", 64, "i64", "sm_90"))
