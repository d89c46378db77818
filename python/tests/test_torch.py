"""qembed.torch on the CPU (CI has no GPU): QuantizedEmbedding bit-exact
against qembed.dequantize for 2/3/4/8 bits, channel/group, sym/asym,
f32/f16/bf16 tables and outputs, every id layout; state_dict and casts;
compressed-tensors checkpoints from `qembed export-ct` and from the real
compressed-tensors compressor; torch.compile(fullgraph=True); a tiny
transformers Llama with tied and untied embeddings; the CUDA runtime without
a driver; the package without its compiler extension (kernel cache)."""

import copy
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import qembed
from qembed import checkpoint

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from qembed import torch as qtorch  # noqa: E402
from qembed.torch import QuantizedEmbedding  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def make_embedding(rows, cols, dtype, seed=0, padding_idx=None):
    gen = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(rows, cols, padding_idx=padding_idx)
    with torch.no_grad():
        emb.weight.copy_(torch.randn(rows, cols, generator=gen) * 0.02)
        emb.weight[1] = 0  # an all-zero row (eps scales)
        emb.weight[2] = emb.weight[2].abs()  # all positive
    return emb.to(DTYPES[dtype])


def raw(t):
    """A tensor's bytes as a numpy uint8 array."""
    t = t.detach().cpu().contiguous()
    return t.view(torch.uint8).numpy() if t.element_size() == 1 else \
        t.view({2: torch.int16, 4: torch.int32}[t.element_size()]).numpy() \
        .view(np.uint8)


def numpy_table(weight):
    w = weight.detach().cpu()
    if w.dtype == torch.bfloat16:
        return w.view(torch.int16).numpy().view(np.uint16), "bf16"
    return w.numpy(), {torch.float32: "f32", torch.float16: "f16"}[w.dtype]


def reference_rows(weight, ids, bits, group, symmetric, scale_dtype=None,
                   out="same"):
    """qembed.dequantize rows of the clamped ids, as a torch tensor."""
    table, kind = numpy_table(weight)
    q = qembed.quantize(table, bits=bits, group_size=group,
                        symmetric=symmetric, scale_dtype=scale_dtype,
                        dtype=kind)
    out_kind = kind if out == "same" else out
    deq = qembed.dequantize(q, out_dtype=out_kind)
    dense = torch.from_numpy(deq.view(np.int16 if deq.itemsize == 2
                                      else np.int32).copy())
    dense = dense.view(DTYPES[out_kind])
    rows = weight.shape[0]
    return dense[ids.to(torch.int64).clamp(0, rows - 1)]


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("group", [0, 32])
@pytest.mark.parametrize("symmetric", [True, False])
def test_cpu_bit_exact(dtype, bits, group, symmetric):
    rows, cols = 300, 128
    emb = make_embedding(rows, cols, dtype, seed=bits + group)
    m = QuantizedEmbedding.from_embedding(emb, bits=bits, group_size=group,
                                          symmetric=symmetric)
    assert m.dtype == DTYPES[dtype] and m.scales.dtype == DTYPES[dtype]
    assert m.symmetric == symmetric and (m.zero_points is None) == symmetric
    gen = torch.Generator().manual_seed(1)
    cases = [torch.tensor([0, rows - 1]),  # the ends
             torch.tensor([5]),  # one token
             torch.randint(0, rows, (3000,), generator=gen),
             torch.randint(0, rows, (4, 6, 5), generator=gen),  # N-D
             torch.randint(0, rows, (16, 12), generator=gen).t(),  # strided
             torch.randint(0, rows, (40,), generator=gen)[::3],
             torch.tensor(7)]  # 0-d
    for ids in cases:
        for id_dtype in (torch.int64, torch.int32):
            i = ids.to(id_dtype)
            got = m(i)
            want = reference_rows(emb.weight, i, bits, group, symmetric)
            assert got.shape == tuple(i.shape) + (cols,)
            assert got.dtype == DTYPES[dtype]
            assert np.array_equal(raw(got), raw(want)), (ids.shape, id_dtype)


@pytest.mark.parametrize("dtype,scale_dtype,out", [
    ("bf16", "f32", "f32"), ("f32", "f16", "bf16"), ("f16", "bf16", "f32"),
    ("f32", "bf16", "f16")])
def test_scale_and_output_dtypes(dtype, scale_dtype, out):
    emb = make_embedding(64, 96, dtype)
    m = QuantizedEmbedding.from_embedding(emb, bits=4, group_size=32,
                                          symmetric=False,
                                          scale_dtype=DTYPES[scale_dtype],
                                          dtype=DTYPES[out])
    assert m.scales.dtype == DTYPES[scale_dtype] and m.dtype == DTYPES[out]
    ids = torch.arange(64).flip(0)
    want = reference_rows(emb.weight, ids, 4, 32, False, scale_dtype, out)
    assert np.array_equal(raw(m(ids)), raw(want))


def test_out_of_range_ids_are_clamped():
    emb = make_embedding(50, 64, "f32")
    m = QuantizedEmbedding.from_embedding(emb, bits=8, group_size=0)
    ids = torch.tensor([-1, -(2 ** 40), 50, 2 ** 40, 49, 0])
    got = m(ids)
    assert torch.equal(got, m(torch.tensor([0, 0, 49, 49, 49, 0])))
    got32 = m(torch.tensor([-5, 2 ** 31 - 1], dtype=torch.int32))
    assert torch.equal(got32, m(torch.tensor([0, 49])))


def test_bad_ids_and_bad_tables():
    m = QuantizedEmbedding.from_embedding(make_embedding(10, 64, "f32"),
                                          bits=4, group_size=32)
    for ids in (torch.tensor([1.0]), torch.tensor([1], dtype=torch.int16),
                torch.tensor([True])):
        with pytest.raises(TypeError, match="int32 or int64"):
            m(ids)
    with pytest.raises(TypeError, match="must be a tensor"):
        m([1, 2])
    with pytest.raises(ValueError, match="same device|ids are on"):
        m(torch.tensor([1], device="meta"))
    packed, scales = m.packed, m.scales
    with pytest.raises(ValueError, match="8 words per row"):
        QuantizedEmbedding(packed[:, :7].contiguous(), scales,
                           embedding_dim=64, bits=4, group_size=32)
    with pytest.raises(ValueError, match="scales must have shape"):
        QuantizedEmbedding(packed, scales[:, :1].contiguous(),
                           embedding_dim=64, bits=4, group_size=32)
    with pytest.raises(ValueError, match="group_size"):
        QuantizedEmbedding(packed, scales, embedding_dim=64, bits=4,
                           group_size=48)
    with pytest.raises(TypeError, match="int32"):
        QuantizedEmbedding(packed.float(), scales, embedding_dim=64, bits=4,
                           group_size=32)
    with pytest.raises(TypeError, match="zero_points"):
        QuantizedEmbedding(packed, scales, scales, embedding_dim=64, bits=4,
                           group_size=32)
    # The op checks its arguments too (it can be called directly).
    op = torch.ops.qembed.gather
    with pytest.raises(ValueError, match="8 words per row"):
        op(packed[:, :7].contiguous(), scales, None, torch.tensor([1]), 64, 4,
           32, torch.float32)
    with pytest.raises(ValueError, match="scales must have shape"):
        op(packed, scales, None, torch.tensor([1]), 64, 4, 64, torch.float32)
    with pytest.raises(ValueError, match="zero_points must have shape"):
        op(packed, scales, torch.zeros(10, 1, dtype=torch.int8),
           torch.tensor([1]), 64, 4, 32, torch.float32)
    with pytest.raises(ValueError, match="bits must be in"):
        op(packed, scales, None, torch.tensor([1]), 64, 9, 32, torch.float32)
    with pytest.raises(ValueError, match="contiguous"):
        op(packed, scales.t().contiguous().t(), None, torch.tensor([1]), 64,
           4, 32, torch.float32)
    with pytest.raises(ValueError, match="bits"):
        QuantizedEmbedding.from_embedding(make_embedding(10, 64, "f32"),
                                          bits=9)
    with pytest.raises(ValueError, match="max_norm"):
        QuantizedEmbedding.from_embedding(nn.Embedding(10, 64, max_norm=1.0))
    with pytest.raises(TypeError, match="float32, float16 or bfloat16"):
        QuantizedEmbedding.from_embedding(nn.Embedding(10, 64).double())
    with pytest.raises(TypeError, match="float32, float16 or bfloat16"):
        m.double()


def test_state_dict_round_trip_and_casts():
    emb = make_embedding(40, 64, "bf16", padding_idx=3)
    m = QuantizedEmbedding.from_embedding(emb, bits=3, group_size=16,
                                          symmetric=False)
    assert m.padding_idx == 3
    sd = m.state_dict()
    assert sorted(sd) == ["packed", "scales", "zero_points"]
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    loaded = torch.load(buf)
    fresh = QuantizedEmbedding(torch.zeros_like(m.packed),
                               torch.zeros_like(m.scales),
                               torch.zeros_like(m.zero_points),
                               embedding_dim=64, bits=3, group_size=16)
    fresh.load_state_dict(loaded)
    ids = torch.randint(0, 40, (9, 4))
    assert torch.equal(raw_t(fresh(ids)), raw_t(m(ids)))
    symmetric = QuantizedEmbedding.from_embedding(emb, bits=4, group_size=0)
    assert sorted(symmetric.state_dict()) == ["packed", "scales"]

    # Casts change the output dtype and never the scales.
    before = m.scales.clone()
    m.half()
    assert m.dtype == torch.float16 and m.scales.dtype == torch.bfloat16
    assert torch.equal(m.scales.view(torch.int16), before.view(torch.int16))
    assert m(ids).dtype == torch.float16
    assert torch.equal(m(ids), fresh(ids).half())
    m.to(torch.float32)
    assert m(ids).dtype == torch.float32
    m.to("cpu")
    assert torch.equal(m.scales.view(torch.int16), before.view(torch.int16))


def raw_t(t):
    return t.view(torch.int16) if t.element_size() == 2 else t


def test_compile_fullgraph_equals_eager():
    torch._dynamo.reset()
    emb = make_embedding(100, 128, "f16")
    m = QuantizedEmbedding.from_embedding(emb, bits=4, group_size=64,
                                          symmetric=False)
    proj = nn.Linear(128, 8).half()

    def f(ids):
        return proj(m(ids) * 2)

    compiled = torch.compile(f, fullgraph=True)
    for shape in [(5,), (3, 7), (1,)]:
        ids = torch.randint(0, 100, shape)
        assert torch.equal(compiled(ids), f(ids))
    cm = torch.compile(m, fullgraph=True)
    ids = torch.randint(0, 100, (2, 9), dtype=torch.int32)
    assert torch.equal(raw_t(cm(ids)), raw_t(m(ids)))


def test_custom_op_fake_tensor_and_opcheck():
    m = QuantizedEmbedding.from_embedding(make_embedding(20, 64, "f32"),
                                          bits=2, group_size=32,
                                          symmetric=False)
    args = (m.packed, m.scales, m.zero_points, torch.tensor([[1, 2, 19]]), 64,
            2, 32, torch.bfloat16)
    torch.library.opcheck(torch.ops.qembed.gather.default, args)
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode() as mode:
        fake_args = tuple(mode.from_tensor(a) if isinstance(a, torch.Tensor)
                          else a for a in args)
        out = torch.ops.qembed.gather(*fake_args)
        assert out.shape == (1, 3, 64) and out.dtype == torch.bfloat16


# --- compressed-tensors checkpoints --------------------------------------

def st_torch():
    return pytest.importorskip("safetensors.torch")


@pytest.mark.parametrize("dtype,bits,group,symmetric", [
    ("bf16", 4, 64, True), ("f16", 8, 0, True), ("f32", 2, 32, False),
    ("bf16", 3, 32, False)])
def test_from_export_ct_checkpoint(tmp_path, dtype, bits, group, symmetric):
    src, out = str(tmp_path / "model"), str(tmp_path / "quantized")
    os.makedirs(src)
    emb = make_embedding(200, 128, dtype)
    st_torch().save_file({"model.embed_tokens.weight": emb.weight.detach(),
                          "lm_head.weight": torch.zeros(4, 4)},
                         os.path.join(src, "model.safetensors"))
    json.dump({"model_type": "llama"}, open(os.path.join(src, "config.json"),
                                            "w"))
    subprocess.run([sys.executable, "-m", "qembed", "export-ct", src, "-o",
                    out, "--bits", str(bits), "--group-size", str(group)] +
                   ([] if symmetric else ["--asymmetric"]), check=True)
    m = QuantizedEmbedding.from_compressed_tensors(out)
    assert (m.bits, m.group_size, m.symmetric) == (bits, group, symmetric)
    assert m.scales.dtype == DTYPES[dtype] and m.dtype == DTYPES[dtype]
    ids = torch.tensor([0, 199, 5, 5, 42])
    want = reference_rows(emb.weight, ids, bits, group, symmetric)
    assert np.array_equal(raw(m(ids)), raw(want))
    # The same tensors as a state dict, scheme inferred from the shapes.
    sd = st_torch().load_file(os.path.join(out, "model.safetensors"))
    m2 = QuantizedEmbedding.from_compressed_tensors(sd)
    assert (m2.bits, m2.group_size, m2.symmetric) == (bits, group, symmetric)
    assert np.array_equal(raw(m2(ids)), raw(want))


@pytest.mark.parametrize("dtype,bits,group,symmetric", [
    ("bf16", 4, 64, True), ("f32", 8, 0, False), ("f16", 2, 32, False)])
def test_from_compressed_tensors_library(tmp_path, dtype, bits, group,
                                         symmetric):
    """Tensors written by the real compressed-tensors 0.20 compressor."""
    from compressed_tensors.compressors.pack_quantized.base import \
        PackedQuantizationCompressor
    from compressed_tensors.quantization import (QuantizationArgs,
                                                 QuantizationConfig,
                                                 QuantizationScheme)
    from compressed_tensors.quantization.utils.helpers import \
        calculate_qparams
    rows, cols = 160, 128
    w = make_embedding(rows, cols, dtype, seed=bits).weight.detach()
    args = QuantizationArgs(num_bits=bits, type="int", symmetric=symmetric,
                            strategy="channel" if group == 0 else "group",
                            group_size=None if group == 0 else group)
    scheme = QuantizationScheme(targets=["Embedding"], weights=args)
    g = cols if group == 0 else group
    wg = w.reshape(rows, cols // g, g)
    scale, zp = calculate_qparams(wg.amin(-1), wg.amax(-1), args)
    compressed = PackedQuantizationCompressor.compress(
        {"weight": w, "weight_scale": scale, "weight_zero_point": zp}, scheme)
    dense = PackedQuantizationCompressor.decompress(
        dict(compressed), scheme)["weight"].to(DTYPES[dtype])
    prefix = "model.embed_tokens"
    sd = {prefix + "." + k: v for k, v in compressed.items()}
    sd["lm_head.weight"] = torch.zeros(3, 3)
    qcfg = QuantizationConfig(config_groups={"group_0": scheme},
                              format="pack-quantized",
                              quantization_status="compressed").model_dump()
    ids = torch.tensor([[0, rows - 1, 7], [100, 3, 3]])
    for m in (QuantizedEmbedding.from_compressed_tensors(
                  sd, quantization_config=qcfg),
              QuantizedEmbedding.from_compressed_tensors(sd, prefix),
              QuantizedEmbedding.from_compressed_tensors(
                  sd, prefix + ".weight", bits=bits, group_size=group,
                  symmetric=symmetric)):
        assert (m.bits, m.group_size, m.symmetric) == (bits, group, symmetric)
        assert np.array_equal(raw(m(ids)), raw(dense[ids]))
    # A folder, as llm-compressor saves it.
    folder = tmp_path / "ckpt"
    folder.mkdir()
    st_torch().save_file({k: v.contiguous() for k, v in sd.items()},
                         str(folder / "model.safetensors"))
    json.dump({"model_type": "llama", "quantization_config": qcfg},
              open(folder / "config.json", "w"))
    m = QuantizedEmbedding.from_compressed_tensors(str(folder))
    assert np.array_equal(raw(m(ids)), raw(dense[ids]))


def test_from_compressed_tensors_errors(tmp_path):
    with pytest.raises(ValueError, match="not a checkpoint folder"):
        QuantizedEmbedding.from_compressed_tensors(str(tmp_path / "nope"))
    with pytest.raises(TypeError, match="folder or a dict"):
        QuantizedEmbedding.from_compressed_tensors(42)
    with pytest.raises(ValueError, match="0 packed weights"):
        QuantizedEmbedding.from_compressed_tensors({"a.weight": torch.ones(1)})
    sd = {"e.weight_packed": torch.zeros(4, 1, dtype=torch.int32),
          "e.weight_scale": torch.ones(4, 1),
          "e.weight_shape": torch.tensor([4, 8])}
    with pytest.raises(ValueError, match="pass bits="):
        QuantizedEmbedding.from_compressed_tensors(sd)
    m = QuantizedEmbedding.from_compressed_tensors(sd, bits=4)
    assert m(torch.tensor([3])).shape == (1, 8)
    del sd["e.weight_shape"]
    with pytest.raises(KeyError, match="weight_shape"):
        QuantizedEmbedding.from_compressed_tensors(sd, bits=4)


# --- transformers ------------------------------------------------------

@pytest.mark.parametrize("tied", [True, False])
def test_quantize_model_embeddings_llama(tied):
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(
        vocab_size=320, hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=64, tie_word_embeddings=tied)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    embed = model.get_input_embeddings()
    original = embed.weight
    assert (model.lm_head.weight is original) == tied
    head_before = model.lm_head.weight.detach().clone()
    reference = copy.deepcopy(model)

    qtorch.quantize_model_embeddings(model, bits=4, group_size=32)
    q = model.get_input_embeddings()
    assert isinstance(q, QuantizedEmbedding)
    assert model.model.embed_tokens is q
    # The lm_head keeps the exact dense weight, no longer tied.
    assert isinstance(model.lm_head.weight, nn.Parameter)
    assert torch.equal(model.lm_head.weight, head_before)
    if tied:
        assert model.lm_head.weight.data_ptr() == original.data_ptr()
        assert model.config.tie_word_embeddings is False
    model.tie_weights()  # must not tie the head to the quantized module
    assert torch.equal(model.lm_head.weight, head_before)
    assert "embed_tokens.weight" not in "".join(model.state_dict())

    # Logits equal the model whose table is the dequantized one.
    ids = torch.randint(0, 320, (2, 11))
    deq = reference_rows(original, torch.arange(320), 4, 32, True)
    if tied:
        reference.lm_head.weight = nn.Parameter(head_before.clone())
    with torch.no_grad():
        reference.get_input_embeddings().weight.copy_(deq)
        want = reference(input_ids=ids).logits
        got = model(input_ids=ids).logits
    assert torch.equal(got, want)
    with pytest.raises(ValueError, match="quantized already"):
        qtorch.quantize_model_embeddings(model)


# --- the CUDA runtime without a driver ----------------------------------

def test_runtime_loads_and_reports_a_missing_driver():
    lib = os.path.join(os.path.dirname(qembed.__file__),
                       "libqembed_cuda_runtime.so")
    assert os.path.exists(lib)
    code = (
        "import qembed._cuda as c\n"
        "rt = c.runtime()\n"
        "try:\n"
        "    rt.init()\n"
        "except c.CudaError as e:\n"
        "    print('code', e.code); print(e)\n"
        "for call in (rt.device_count, lambda: rt.ensure_context(0),\n"
        "             lambda: rt.load_module('.version 8.0')):\n"
        "    try:\n"
        "        call()\n"
        "    except c.CudaError as e:\n"
        "        print(type(e).__mro__[1].__name__, e)\n")
    env = dict(os.environ, QEMBED_CUDA_DRIVER="/nonexistent/libcuda.so.1")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert "code -1" in out
    assert "qembedCudaInit: no CUDA driver: /nonexistent/libcuda.so.1 not " \
        "found" in out
    assert "RuntimeError qembedCudaDeviceCount: no CUDA driver" in out
    assert "RuntimeError qembedCudaEnsureContext: no CUDA driver" in out
    assert "RuntimeError qembedCudaModuleLoad: no CUDA driver" in out

    # The default driver: this machine has none, or it works.
    rt = qembed._cuda.runtime()
    try:
        rt.init()
    except qembed.CudaError as e:
        assert "libcuda.so.1" in str(e) or "CUDA_ERROR" in str(e), str(e)
    else:
        assert rt.device_count() >= 0
    with pytest.raises(qembed.CudaError, match="could not be loaded"):
        qembed._cuda.Runtime("/nonexistent/libqembed_cuda_runtime.so")


def test_choose_unroll():
    assert qtorch.choose_unroll(1, 512) == 1
    assert qtorch.choose_unroll(32768, 512) == 2
    # The switch is at two blocks of slices per SM.
    assert qtorch.choose_unroll(2 * 256 * 132 // 512 - 1, 512) == 1
    assert qtorch.choose_unroll(2 * 256 * 132 // 512, 512) == 2
    assert qtorch.choose_unroll(100, 512, sm_count=16) == 2


def test_compile_kernels_without_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("QEMBED_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(qtorch, "_ptx", {})
    m = QuantizedEmbedding.from_embedding(make_embedding(30, 128, "f16"),
                                          bits=4, group_size=64)
    if hasattr(qembed._qembed, "gpu_gather_kernel"):
        paths = m.compile_kernels("sm_90", id_dtypes=(torch.int64,))
        assert len(paths) == 2
        for p, unroll in zip(paths, (1, 2)):
            entry = json.load(open(p))
            assert entry["params"]["unroll"] == unroll
            assert entry["unroll"] == unroll
            assert ".entry " + entry["name"] in entry["ptx"]
            assert entry["slices_per_row"] == 128 * 2 // 16
    else:
        with pytest.raises(qtorch.KernelUnavailableError,
                           match="no gpu_gather_kernel"):
            m.compile_kernels("sm_90")
        assert os.listdir(tmp_path) == []


# --- without the compiler extension --------------------------------------

def test_package_without_the_extension(tmp_path):
    """A GPU machine may have only the Python files, the runtime library and
    a kernel cache: qembed and qembed.torch import, the numerics say clearly
    that they need the extension, cached kernels are found."""
    code = r"""
import sys
sys.modules["qembed._qembed"] = None  # the extension cannot be imported
import qembed, torch
from qembed import torch as qt
assert not qembed.extension_available()
try:
    qembed.quantize(__import__("numpy").ones((2, 32), "float32"))
except ImportError as e:
    print("quantize:", e)
m = qt.QuantizedEmbedding(torch.zeros(4, 16, dtype=torch.int32),
                          torch.ones(4, 1), embedding_dim=128, bits=4,
                          group_size=0)
try:
    m(torch.tensor([1]))
except ImportError as e:
    print("cpu forward:", e)
params = qt._params(4, 0, True, "f32", "f32", 128, "i64", "sm_90", 256, 1)
try:
    qt.kernel(params)
except qt.KernelUnavailableError as e:
    print("miss:", e)
path = qt._cache_file(params)
qt._write_cached(path, {"params": dict(params), "qembed": qembed.__version__,
                        "ptx": "// ptx", "name": "k", "block_size": 256,
                        "unroll": 1, "slices_per_row": 32})
print("hit:", qt.kernel(params)["name"], path.startswith(sys.argv[1]))
"""
    env = dict(os.environ, QEMBED_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout
    assert "quantize: qembed's compiler extension (qembed._qembed) could " \
        "not be imported" in lines
    assert "cpu forward: qembed's compiler extension" in lines
    assert "miss: no GPU kernel for" in lines
    assert "the compiler extension is missing" in lines
    assert str(tmp_path) in lines
    assert "hit: k True" in lines


def test_import_qembed_does_not_import_torch():
    code = "import sys, qembed, qembed.checkpoint; print('torch' in " \
           "sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "False"
