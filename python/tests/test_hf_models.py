"""Real transformers models built from tiny configs (no downloads) through
the real torch-mlir fx importer (output_type="linalg-on-tensors"), qembed's
quantize-embeddings, --qembed-to-linalg and IREE on the CPU; the outputs
must match PyTorch run with the dequantized tables.

torch-mlir prints Llama's, GPT-2's and Gemma's modules with a
`tm_tensor.scan` (the cumsum of the mask code), which qembed does not load:
these tests pass the Module object, which qembed prints in generic form and
parses with unregistered ops kept intact; iree-compile 3.13 accepts the
tm_tensor ops as they are (its default `--iree-input-type=auto` converts
them; `--iree-input-type=tm_tensor` works too).
"""

import subprocess
import sys

import numpy as np
import pytest

import qembed
from conftest import iree_cpu_run

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
fx = pytest.importorskip("torch_mlir.fx")
pytest.importorskip("iree.compiler")
pytest.importorskip("iree.runtime")

V, D = 128, 64


def make_model(name):
    """A tiny config-built model and the names of its nn.Embedding modules
    whose tables quantize-embeddings (default group 64) quantizes."""
    T = transformers
    common = dict(vocab_size=V, num_attention_heads=2)
    if name == "llama":
        cfg = T.LlamaConfig(hidden_size=D, intermediate_size=2 * D,
                            num_hidden_layers=1, num_key_value_heads=2,
                            max_position_embeddings=64, **common)
        return T.LlamaForCausalLM(cfg), ["model.embed_tokens"]
    if name == "gemma":
        cfg = T.GemmaConfig(hidden_size=D, intermediate_size=2 * D,
                            num_hidden_layers=1, num_key_value_heads=1,
                            head_dim=32, max_position_embeddings=64, **common)
        return T.GemmaForCausalLM(cfg), ["model.embed_tokens"]
    if name == "gpt2":  # lm_head tied to wte
        cfg = T.GPT2Config(vocab_size=V, n_embd=D, n_layer=1, n_head=2,
                           n_positions=64, bos_token_id=0, eos_token_id=0)
        return T.GPT2LMHeadModel(cfg), ["transformer.wte", "transformer.wpe"]
    if name == "bert":
        cfg = T.BertConfig(hidden_size=D, num_hidden_layers=1,
                           intermediate_size=2 * D,
                           max_position_embeddings=64, **common)
        return T.BertModel(cfg, add_pooling_layer=False), [
            "embeddings.word_embeddings", "embeddings.position_embeddings",
            "embeddings.token_type_embeddings"]
    if name == "t5":  # lm_head tied to shared; 8x2 relative attention bias
        cfg = T.T5Config(vocab_size=V, d_model=D, d_kv=32, d_ff=2 * D,
                         num_layers=1, num_decoder_layers=1, num_heads=2,
                         relative_attention_num_buckets=8,
                         decoder_start_token_id=0)
        return T.T5ForConditionalGeneration(cfg), ["shared"]
    raise ValueError(name)


class Forward(torch.nn.Module):
    """The model as a function of the token ids, returning one tensor."""

    def __init__(self, model, name):
        super().__init__()
        self.model, self.name = model, name

    def forward(self, ids):
        if self.name == "t5":
            return self.model(input_ids=ids, decoder_input_ids=ids,
                              use_cache=False).logits
        if self.name == "bert":
            return self.model(input_ids=ids).last_hidden_state
        return self.model(input_ids=ids, use_cache=False).logits


def export(model, name, ids):
    """torch-mlir's fx importer needs every buffer in the state dict:
    rotary `inv_freq` and BERT's `position_ids` are registered
    non-persistent ("Could not find state mapping for buffer"), so they are
    made persistent first (their values do not change)."""
    for sub in model.modules():
        sub._non_persistent_buffers_set.clear()
    return fx.export_and_import(Forward(model, name), ids,
                                output_type="linalg-on-tensors",
                                func_name="forward")


def reference(model, name, ids, quantized, bits, group):
    """PyTorch with the tables of `quantized` (module names) replaced by
    their dequantization; a tied lm_head keeps the exact table, as in the
    quantized module (only lookups read the packed copy)."""
    out_emb = model.get_output_embeddings() if name != "bert" else None
    if out_emb is not None:
        out_emb.weight = torch.nn.Parameter(out_emb.weight.detach().clone())
    modules = dict(model.named_modules())
    for n in quantized:
        w = modules[n].weight
        q = qembed.quantize(w.detach().numpy(), bits=bits, group_size=group)
        deq = torch.nn.Parameter(torch.from_numpy(qembed.dequantize(q)))
        # T5's encoder/decoder embed_tokens share `shared`'s Parameter.
        for m in model.modules():
            if isinstance(m, torch.nn.Embedding) and m.weight is w:
                m.weight = deq
    with torch.no_grad():
        return Forward(model, name)(ids).numpy()


@pytest.mark.parametrize("name,bits,group", [
    ("llama", 4, 64), ("gemma", 4, 64), ("gpt2", 4, 64), ("bert", 4, 64),
    ("t5", 4, 64), ("t5", 8, 0)])
def test_hf_model_through_iree(name, bits, group):
    torch.manual_seed(0)
    model, quantized = make_model(name)
    model.eval()
    ids = torch.tensor([[1, 5, 7, 9, V - 1, 0]])
    with torch.no_grad():
        fp = Forward(model, name)(ids).numpy()
    module = export(model, name, ids)
    has_scan = "tm_tensor.scan" in str(module)
    # torch-mlir 20261001 + transformers 5.24: the mask's cumsum of these
    # three is a tm_tensor.scan, which this test is here to carry through.
    assert has_scan == (name in ("llama", "gemma", "gpt2")), (
        "tm_tensor.scan %s in %s: update the expectation"
        % ("found" if has_scan else "not found", name))
    if has_scan:
        # The printed (custom) form cannot be parsed without tm_tensor.
        with pytest.raises(qembed.MLIRError, match="pass the torch-mlir "
                           "Module object|Pass the torch-mlir Module object"):
            qembed.quantize_embeddings(str(module), bits=bits,
                                       group_size=group)
    out, diags = qembed.run_pipeline(
        module, "quantize-embeddings{bits=%d group-size=%d report=true}"
        % (bits, group), diagnostics=True)
    if name == "t5" and group == 0:
        # One scale per row: the 8x2 relative attention biases of the
        # encoder and the decoder are quantized too.
        quantized = quantized + [
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias",
            "decoder.block.0.layer.0.SelfAttention.relative_attention_bias"]
    assert diags.count("remark: quantized ") == len(quantized), diags
    if name == "t5" and group == 64:
        assert diags.count("table left dense: group-size 64 does not "
                           "divide its row length 2") == 2, diags
    else:
        assert "table left dense" not in diags, diags
    lowered = qembed.run_pipeline(out, "qembed-to-linalg",
                                  allow_unregistered=True)
    assert "qembed." not in lowered
    got = iree_cpu_run(lowered, "forward", ids.numpy())
    expected = reference(model, name, ids, quantized, bits, group)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # And the quantization did change the outputs (the test can fail).
    assert np.abs(got - fp).max() > 1e-3


def test_generic_text_and_custom_text(tmp_path):
    """Generic-form text parses with allow_unregistered=True and gives the
    same module as the Module object; custom-form text with tm_tensor gets
    an error naming the dialect and both ways out."""
    torch.manual_seed(0)
    model, _ = make_model("llama")
    ids = torch.tensor([[3, 1, 4]])
    module = export(model.eval(), "llama", ids)
    generic = module.operation.get_asm(print_generic_op_form=True)
    a = qembed.quantize_embeddings(module)
    b = qembed.quantize_embeddings(generic, allow_unregistered=True)
    assert a == b and "qembed.gather" in a and '"tm_tensor.scan"' in a
    with pytest.raises(qembed.MLIRError) as err:
        qembed.quantize_embeddings(str(module))
    msg = str(err.value)
    assert "'tm_tensor' dialect (tm_tensor.scan)" in msg
    assert "print_generic_op_form=True" in msg and "allow_unregistered" in msg
    with pytest.raises(qembed.MLIRError, match="allow_unregistered=True to "
                       "keep them"):
        qembed.quantize_embeddings(generic)
    with pytest.raises(TypeError, match="Python-bindings Module"):
        qembed.quantize_embeddings(42)
    # The CLI: custom text fails with the same message, the generic form
    # goes through with --allow-unregistered-dialect.
    custom, gen = tmp_path / "custom.mlir", tmp_path / "generic.mlir"
    custom.write_text(str(module))
    gen.write_text(generic)
    out = tmp_path / "q.mlir"
    cli = [sys.executable, "-m", "qembed", "quantize", "-o", str(out)]
    r = subprocess.run(cli + [str(custom)], capture_output=True, text=True)
    assert r.returncode == 1 and "print_generic_op_form=True" in r.stderr
    r = subprocess.run(cli + [str(gen), "--allow-unregistered-dialect"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == a


class Indexed(torch.nn.Module):
    """`weight[ids]` (aten.index.Tensor) next to F.embedding."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(50, 32))
        self.other = torch.nn.Parameter(torch.randn(40, 32))

    def forward(self, ids, more):
        return self.weight[ids] + torch.nn.functional.embedding(more,
                                                                self.other)


def test_index_tensor_negative_ids_through_iree():
    """Negative ids wrap into [0, V) exactly as torch does: the raised
    lookup keeps torch-mlir's wrap on the ids before the quantized gather
    (which clamps)."""
    torch.manual_seed(0)
    model = Indexed().eval()
    ids = torch.tensor([[0, -1, 49, -50, 7, -13]])
    more = torch.tensor([[1, 2, 3, 39, 0, 5]])
    module = fx.export_and_import(model, ids, more,
                                  output_type="linalg-on-tensors",
                                  func_name="forward")
    text = str(module)
    assert "arith.select" in text  # torch-mlir's wrap of negative ids
    out, diags = qembed.run_pipeline(
        module, "quantize-embeddings{bits=4 group-size=32 report=true}",
        diagnostics=True)
    assert diags.count("remark: quantized ") == 2, diags
    assert "tensor<50x32xf32>" not in out
    lowered = qembed.run_pipeline(out, "qembed-to-linalg")
    got = iree_cpu_run(lowered, "forward", ids.numpy(), more.numpy())
    deq = {}
    for n in ("weight", "other"):
        q = qembed.quantize(getattr(model, n).detach().numpy(), bits=4,
                            group_size=32)
        deq[n] = torch.from_numpy(qembed.dequantize(q))
    expected = (deq["weight"][ids] + deq["other"][more]).numpy()
    np.testing.assert_array_equal(got, expected)
    # A clamp alone (row 0 for every negative id) would read other rows.
    clamped = (deq["weight"][ids.clamp(min=0)] + deq["other"][more]).numpy()
    assert not np.array_equal(got, clamped)


def test_torch_dialect_gets_a_remark():
    """output_type="torch": the lookup is not raised; a remark says how to
    export instead."""
    torch.manual_seed(0)
    emb = torch.nn.Embedding(16, 8).eval()
    ids = torch.tensor([[1, 2, 3]])
    module = fx.export_and_import(emb, ids, output_type="torch",
                                  func_name="forward")
    out, diags = qembed.run_pipeline(module, "quantize-embeddings",
                                     diagnostics=True)
    assert "qembed." not in out and '"torch.aten.embedding"' in out
    assert ("'torch.aten.embedding' in the torch dialect is not supported; "
            'export with torch_mlir.fx.export_and_import(..., '
            'output_type="linalg-on-tensors")') in diags
