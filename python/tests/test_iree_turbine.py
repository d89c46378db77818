"""iree-turbine exports through qembed and IREE (real iree-turbine,
iree-base-compiler/runtime): a tiny config-built Llama exported by
`aot.export` with inline globals and with externalized parameters (an IRPA
archive), IREE's input conversion (`--compile-to=input`), qembed's
--qembed-quantize-globals + --qembed-to-linalg, iree-compile for the CPU,
run with the IREE runtime (and the iree-run-module tool with both
parameter archives). Outputs must match PyTorch run with the embedding
replaced by qembed's dequantization of it.

The model is run layer by layer (embedding, rotary, decoder layer, norm,
lm_head) rather than through LlamaModel.forward: transformers 5.24's mask
code exports ops IREE 3.13's torch input conversion does not lower
(`torch.aten.diff` with no attention mask, a rank-0 `torch.vtensor.literal`
with one), unrelated to embeddings.
"""

import subprocess

import numpy as np
import pytest

import qembed
import qembed.iree

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
aot = pytest.importorskip("iree.turbine.aot")
iree_compiler = pytest.importorskip("iree.compiler")
rt = pytest.importorskip("iree.runtime")

V, D = 512, 64
EMBED_KEY = "m.model.embed_tokens.weight"


class Forward(torch.nn.Module):
    """A LlamaForCausalLM as a function of the token ids."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, ids):
        m = self.m.model
        h = m.embed_tokens(ids)
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        pe = m.rotary_emb(h, pos)
        for layer in m.layers:
            h = layer(h, attention_mask=None, position_ids=pos,
                      position_embeddings=pe)
            h = h[0] if isinstance(h, tuple) else h
        return self.m.lm_head(m.norm(h))


def make_model(tied):
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=V, hidden_size=D, intermediate_size=2 * D,
        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
        max_position_embeddings=64, tie_word_embeddings=tied,
        attn_implementation="sdpa")
    return Forward(transformers.LlamaForCausalLM(cfg).eval())


def reference(f, ids, bits, group):
    """PyTorch with the input embedding dequantized; a tied lm_head keeps
    the exact table, as the quantized module does."""
    emb = f.m.model.embed_tokens
    w = emb.weight
    q = qembed.quantize(w.detach().numpy(), bits=bits, group_size=group)
    emb.weight = torch.nn.Parameter(torch.from_numpy(qembed.dequantize(q)))
    try:
        with torch.no_grad():
            return f(ids).numpy()
    finally:
        emb.weight = w


def compile_cpu(text):
    return iree_compiler.compile_str(
        text, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input",
                    "--iree-llvmcpu-target-cpu=generic"])


def run(vmfb, ids, archives=()):
    """Runs `main` with the IREE runtime; `archives`: (scope, path) pairs
    served by one parameter provider per scope."""
    config = rt.Config("local-sync")
    ctx = rt.SystemContext(config=config)
    scopes = {}
    for scope, path in archives:
        scopes.setdefault(scope, rt.ParameterIndex()).load(str(path))
    if scopes:
        ctx.add_vm_module(rt.create_io_parameters_module(
            config.vm_instance, *[index.create_provider(scope=scope)
                                  for scope, index in scopes.items()]))
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module["main"](ids).to_host())


IDS = torch.tensor([[1, 5, 7, 9, V - 1, 0, 300, 42]])


@pytest.mark.parametrize("tied", [False, True])
def test_inline_globals(tied):
    f = make_model(tied)
    with torch.no_grad():
        fp = f(IDS).numpy()
    text = qembed.iree.compile_to_input(aot.export(f, args=(IDS,)))
    assert '"util.global"' in text and "dense_resource" in text
    q, diags = qembed.iree.quantize_globals(text, bits=4, group_size=64,
                                            report=True, diagnostics=True)
    assert diags.count("remark: quantized 512x64xf32 table") == 1, diags
    # The lm_head (tied: the same global) is read by a matmul: with a tied
    # table the global is kept for it.
    assert ("the global is kept for its other uses" in diags) == tied, diags
    assert "qembed_packed" in q and "qembed." not in q.replace(
        "qembed_", "")
    got = run(compile_cpu(q), IDS.numpy())
    np.testing.assert_allclose(got, reference(f, IDS, 4, 64), rtol=1e-4,
                               atol=1e-4)
    assert np.abs(got - fp).max() > 1e-3  # the table was quantized


@pytest.mark.parametrize("out_name,out_scope", [("q.irpa", None),
                                                ("q.safetensors", "qembed")])
def test_external_parameters(tmp_path, out_name, out_scope):
    f = make_model(False)
    with torch.no_grad():
        fp = f(IDS).numpy()
    aot.externalize_module_parameters(f)
    params = tmp_path / "model.irpa"
    aot.save_module_parameters(str(params), f)
    text = qembed.iree.compile_to_input(aot.export(f, args=(IDS,)))
    assert '#flow.parameter.named<"model"::"%s">' % EMBED_KEY in text
    out = tmp_path / out_name
    q, diags = qembed.iree.quantize_globals(
        text, bits=4, group_size=64, tables="embed_tokens",
        parameters={"model": params}, output_parameters=out,
        output_scope=out_scope, report=True, diagnostics=True)
    assert diags.count("remark: quantized 512x64xf32 table") == 1, diags
    scope = out_scope or "model"
    assert '#flow.parameter.named<"%s"::"%s.qembed_packed">' % (
        scope, EMBED_KEY) in q
    # The new archive holds exactly qembed's packed words and scales of the
    # table read from the original archive.
    index = rt.ParameterIndex()
    index.load(str(out))
    entries = dict(index.items())
    w = f.m.model.embed_tokens.weight.detach().numpy()
    ref = qembed.quantize(w, bits=4, group_size=64)
    packed = entries[EMBED_KEY + ".qembed_packed"]
    scales = entries[EMBED_KEY + ".qembed_scales"]
    assert sorted(entries) == [EMBED_KEY + ".qembed_packed",
                               EMBED_KEY + ".qembed_scales"]
    def raw(entry):
        return rt.parameter_index_entry_as_numpy_flat_ndarray(entry).tobytes()
    assert raw(packed) == ref.packed.astype(np.int32).tobytes()
    assert raw(scales) == ref.scales.astype(np.float32).tobytes()

    vmfb = compile_cpu(q)
    expected = reference(f, IDS, 4, 64)
    got = run(vmfb, IDS.numpy(), [("model", params), (scope, out)])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert np.abs(got - fp).max() > 1e-3
    # The same with the command-line tool and both archives.
    (tmp_path / "m.vmfb").write_bytes(vmfb)
    np.save(tmp_path / "ids.npy", IDS.numpy())
    subprocess.run(
        ["iree-run-module", "--module=%s" % (tmp_path / "m.vmfb"),
         "--device=local-sync", "--function=main",
         "--input=@%s" % (tmp_path / "ids.npy"),
         "--parameters=model=%s" % params,
         "--parameters=%s=%s" % (scope, out),
         "--output=@%s" % (tmp_path / "out.npy")],
        check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), got)


def test_external_parameters_tied_dynamic(tmp_path):
    """A tied lm_head (one parameter read by the lookup and the head's
    matmul) and a dynamic sequence length: the head keeps the original
    parameter, the lookup reads the packed one, for several lengths."""
    f = make_model(True)
    aot.externalize_module_parameters(f)
    params = tmp_path / "model.irpa"
    aot.save_module_parameters(str(params), f)
    seq = torch.export.Dim("seq", max=32)
    text = qembed.iree.compile_to_input(aot.export(
        f, args=(IDS,), dynamic_shapes={"ids": {1: seq}}))
    out = tmp_path / "q.irpa"
    q, diags = qembed.iree.quantize_globals(
        text, parameters={"model": params}, output_parameters=out,
        diagnostics=True)
    assert "the global is kept for its other uses" in diags, diags
    assert ".qembed_packed\">" in q
    vmfb = compile_cpu(q)
    for n in (1, 5, 17):
        ids = torch.randint(0, V, (1, n), generator=torch.Generator()
                            .manual_seed(n))
        got = run(vmfb, ids.numpy(), [("model", params), ("model", out)])
        np.testing.assert_allclose(got, reference(f, ids, 4, 64),
                                   rtol=1e-4, atol=1e-4)


def test_bf16_parameters(tmp_path):
    """A bf16 model's table (IRPA bytes, no dtype) quantizes with bf16
    scales, written as safetensors I32 / BF16, bit-identical to
    qembed.quantize of the bf16 table. (Not compiled: iree-base-compiler
    3.13 fails on this bf16 Llama with or without qembed, "'arith.constant'
    op failed to verify that all of {value, result} have same type" in a
    rotary-embedding dispatch.)"""
    safetensors = pytest.importorskip("safetensors")
    f = make_model(False).to(torch.bfloat16)
    aot.externalize_module_parameters(f)
    params = tmp_path / "model.irpa"
    aot.save_module_parameters(str(params), f)
    text = qembed.iree.compile_to_input(aot.export(f, args=(IDS,)))
    out = tmp_path / "q.safetensors"
    q = qembed.iree.quantize_globals(text, parameters={"model": params},
                                     output_parameters=out, lower=False)
    assert "scale_type = bf16" in q
    bits = f.m.model.embed_tokens.weight.detach().view(torch.int16).numpy()
    ref = qembed.quantize(bits.view(np.uint16), bits=4, group_size=64,
                          dtype="bf16")
    with safetensors.safe_open(str(out), "pt") as fh:
        packed = fh.get_tensor(EMBED_KEY + ".qembed_packed")
        scales = fh.get_tensor(EMBED_KEY + ".qembed_scales")
    assert packed.dtype == torch.int32 and scales.dtype == torch.bfloat16
    np.testing.assert_array_equal(packed.numpy(), ref.packed)
    assert scales.view(torch.int16).numpy().view(np.uint16).tobytes() == \
        np.asarray(ref.scales).tobytes()


def test_parameter_errors(tmp_path):
    """A missing archive and a table filtered out, through the Python API."""
    f = make_model(False)
    aot.externalize_module_parameters(f)
    text = qembed.iree.compile_to_input(aot.export(f, args=(IDS,)))
    with pytest.raises(qembed.MLIRError, match="cannot read it"):
        qembed.iree.quantize_globals(
            text, parameters={"model": tmp_path / "absent.irpa"},
            output_parameters=tmp_path / "q.irpa")
    assert not (tmp_path / "q.irpa").exists()
    with pytest.warns(qembed.TableLeftDenseWarning,
                      match="does not match tables='lm_head'"):
        q = qembed.iree.quantize_globals(
            text, tables="lm_head", parameters={"model": tmp_path / "a.irpa"},
            output_parameters=tmp_path / "q.irpa")
    assert "qembed_packed" not in q
    with pytest.raises(ValueError, match="output_parameters"):
        qembed.iree.quantize_globals(text, output_parameters="a b.irpa")
