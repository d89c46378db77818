"""`qembed export-ct` on real transformers checkpoints (tiny GPT-2 with its
lm_head tied to wte, tiny Llama with tie_word_embeddings, both built from
configs and saved with save_pretrained, with a real tokenizer): the
quantization_config targets exactly the quantized module, transformers
loads the checkpoint through compressed-tensors (dequantize=True) with
every non-embedding tensor bit-identical to the source, the embedding equal
to qembed's dequantization, the tied head warned about and, with --untie,
kept exact; tokenizer and generation config files are copied."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import qembed
from qembed import checkpoint

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
ct_match = pytest.importorskip("compressed_tensors.utils.match")

V, D = 128, 64


def save_tokenizer(folder):
    """A real word-level tokenizer (no download) saved next to the model."""
    vocab = {"[UNK]": 0, "[PAD]": 1}
    vocab.update({"w%d" % i: i for i in range(2, V)})
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, "[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    fast.save_pretrained(folder)


def make_model(folder, name):
    torch.manual_seed(0)
    T = transformers
    if name == "gpt2":  # tie_word_embeddings defaults to true
        model = T.GPT2LMHeadModel(T.GPT2Config(
            vocab_size=V, n_embd=D, n_layer=1, n_head=2, n_positions=64,
            bos_token_id=0, eos_token_id=0))
    else:
        model = T.LlamaForCausalLM(T.LlamaConfig(
            vocab_size=V, hidden_size=D, intermediate_size=2 * D,
            num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
            tie_word_embeddings=True))
    model.eval().save_pretrained(folder)
    save_tokenizer(folder)
    return model


def export(src, out, *extra):
    r = subprocess.run([sys.executable, "-m", "qembed", "export-ct", src,
                        "-o", out, "--bits", "4", "--group-size", "32",
                        *extra], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stderr


def load(folder):
    cfg = transformers.CompressedTensorsConfig(dequantize=True)
    return transformers.AutoModelForCausalLM.from_pretrained(
        folder, quantization_config=cfg).eval()


@pytest.mark.parametrize("name,untie", [("gpt2", False), ("gpt2", True),
                                        ("llama", True)])
def test_export_ct_loads_in_transformers(tmp_path, name, untie):
    src, out = str(tmp_path / "src"), str(tmp_path / "out")
    model = make_model(src, name)
    embed = {"gpt2": "transformer.wte", "llama": "model.embed_tokens"}[name]
    err = export(src, out, *(["--untie"] if untie else []))
    tied_warning = "is tied to the output head (lm_head.weight)"
    assert (tied_warning in err) == (not untie), err

    # The config targets exactly the quantized module; compressed-tensors'
    # matcher finds only it in the model (the class name "Embedding" would
    # also match GPT-2's wpe).
    cfg = json.load(open(os.path.join(out, "config.json")))
    targets = cfg["quantization_config"]["config_groups"]["group_0"][
        "targets"]
    assert targets == [embed]
    matched = [n for n, _ in ct_match.match_named_modules(model, targets)]
    assert matched == [embed]
    assert cfg["tie_word_embeddings"] is (not untie)

    # Tokenizer and generation config came along and load.
    for f in ("tokenizer.json", "tokenizer_config.json",
              "generation_config.json"):
        assert open(os.path.join(out, f), "rb").read() == open(
            os.path.join(src, f), "rb").read(), f
    tok = transformers.AutoTokenizer.from_pretrained(out)
    assert tok("w5 w7")["input_ids"] == [5, 7]

    loaded = load(out)
    weight = model.get_input_embeddings().weight.detach()
    q = qembed.quantize(weight.numpy(), bits=4, group_size=32)
    deq = torch.from_numpy(qembed.dequantize(q))
    got = loaded.get_input_embeddings().weight.detach()
    assert torch.equal(got, deq)
    src_state = model.state_dict()
    new_state = loaded.state_dict()
    assert set(new_state) == set(src_state)
    for key, value in src_state.items():
        if key == embed + ".weight":
            continue
        if key == "lm_head.weight":
            # Untied: the exact original table. Tied: the loader ties the
            # head to the (dequantized) embedding, as the warning says.
            want = value if untie else deq
            assert torch.equal(new_state[key], want), key
            continue
        assert torch.equal(new_state[key], value), key
    ids = torch.tensor([[1, 5, 9, V - 1]])
    with torch.no_grad():
        a = loaded(ids).logits
        b = model(ids).logits
    assert 0 < (a - b).abs().max() < 0.5


def test_find_embedding_by_config_and_names():
    t = {n: None for n in ("transformer.wte.weight", "transformer.wpe.weight",
                           "lm_head.weight")}
    assert checkpoint._find_embedding(t, None, {"model_type": "gpt2"}) == \
        "transformer.wte.weight"
    assert checkpoint._find_embedding(t, None, {}) == "transformer.wte.weight"
    bert = {n: None for n in ("bert.embeddings.word_embeddings.weight",
                              "bert.embeddings.position_embeddings.weight")}
    assert checkpoint._find_embedding(bert, None, {"model_type": "bert"}) \
        == "bert.embeddings.word_embeddings.weight"
    t5 = {n: None for n in ("shared.weight", "lm_head.weight")}
    assert checkpoint._find_embedding(t5, None, {"model_type": "t5"}) == \
        "shared.weight"
    two = {"a.embed_tokens.weight": None, "b.embed_tokens.weight": None}
    with pytest.raises(qembed.CheckpointError, match="2 tensors named "
                       r"\*embed_tokens.weight"):
        checkpoint._find_embedding(two, None, {})
    with pytest.raises(qembed.CheckpointError, match="no input embedding "
                       r"found \(looked for \*wte.weight for model_type "
                       "'gpt2'"):
        checkpoint._find_embedding({"x.weight": None}, None,
                                   {"model_type": "gpt2"})


def test_untie_refused_for_t5(tmp_path):
    src = str(tmp_path / "t5")
    torch.manual_seed(0)
    T = transformers
    T.T5ForConditionalGeneration(T.T5Config(
        vocab_size=V, d_model=D, d_kv=32, d_ff=2 * D, num_layers=1,
        num_decoder_layers=1, num_heads=2, decoder_start_token_id=0)
    ).save_pretrained(src)
    with pytest.raises(qembed.CheckpointError, match="not exact for T5"):
        checkpoint.export_embedding(src, str(tmp_path / "o"), untie=True)
    assert not os.path.exists(str(tmp_path / "o"))
    with pytest.warns(checkpoint.TiedEmbeddingWarning):
        checkpoint.export_embedding(src, str(tmp_path / "o"), group_size=32)
    st = checkpoint.read_safetensors(str(tmp_path / "o" /
                                         "model.safetensors"))[0]
    assert "shared.weight_packed" in st and "shared.weight" not in st
