"""compressed-tensors checkpoints, checked against the real libraries:
export equals compressed-tensors' own compression of the weight, the config
validates, safetensors/torch reads the file, the library decompresses our
tensors to qembed's dequantization, and import -> IREE CPU -> run returns
exactly the library's decompressed rows."""

import json
import os

import numpy as np
import pytest

import qembed
from qembed import checkpoint
from conftest import iree_cpu_run

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")
from compressed_tensors.compressors.pack_quantized.base import PackedQuantizationCompressor  # noqa: E402
from compressed_tensors.quantization import QuantizationConfig, QuantizationScheme  # noqa: E402
from compressed_tensors.quantization.lifecycle import forward as ct_forward  # noqa: E402
from compressed_tensors.quantization.utils.helpers import calculate_qparams  # noqa: E402
iree_compiler = pytest.importorskip("iree.compiler")
iree_runtime = pytest.importorskip("iree.runtime")

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
NAME = "model.embed_tokens.weight"


def make_model(folder, dtype):
    gen = torch.Generator().manual_seed(0)
    w = (torch.randn(200, 128, generator=gen) * 0.02).to(DTYPES[dtype])
    other = torch.randn(16, 8, generator=gen)
    os.makedirs(folder, exist_ok=True)
    st_torch.save_file({NAME: w, "lm_head.weight": other},
                       os.path.join(folder, "model.safetensors"))
    json.dump({"model_type": "llama"}, open(os.path.join(folder, "config.json"), "w"))
    return w, other


@pytest.mark.parametrize("dtype,bits,group,symmetric", [
    ("bf16", 4, 64, True), ("f16", 8, 0, True), ("f32", 2, 32, False),
    ("bf16", 4, 32, False)])
def test_export_import_round_trip(tmp_path, dtype, bits, group, symmetric):
    src, out = str(tmp_path / "model"), str(tmp_path / "quantized")
    w, other = make_model(src, dtype)
    checkpoint.export_embedding(src, out, bits=bits, group_size=group,
                                symmetric=symmetric)

    # The config is a valid compressed-tensors QuantizationConfig.
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["model_type"] == "llama"
    qcfg = QuantizationConfig.model_validate(cfg["quantization_config"])
    scheme = qcfg.config_groups["group_0"]
    assert isinstance(scheme, QuantizationScheme)

    # safetensors (torch) reads our file; other tensors are untouched.
    got = st_torch.load_file(os.path.join(out, "model.safetensors"))
    assert torch.equal(got["lm_head.weight"], other)
    assert NAME not in got
    prefix = NAME[:-len(".weight")]

    # Same tensors as compressed-tensors' own compression.
    args = scheme.weights
    g = 128 if group == 0 else group
    wg = w.reshape(200, 128 // g, g)
    scale, zp = calculate_qparams(wg.amin(-1), wg.amax(-1), args)
    ref = PackedQuantizationCompressor.compress(
        {"weight": w, "weight_scale": scale, "weight_zero_point": zp}, scheme)
    for key in ("weight_packed", "weight_shape", "weight_scale") + (
            () if symmetric else ("weight_zero_point",)):
        assert torch.equal(got[prefix + "." + key], ref[key]), key

    # The library decompresses our tensors to qembed's dequantization.
    local = {k[len(prefix) + 1:]: v for k, v in got.items()
             if k.startswith(prefix + ".")}
    dense = PackedQuantizationCompressor.decompress(local, scheme)["weight"]
    q = checkpoint.load_embedding(out)
    ours = qembed.dequantize(q)
    theirs = dense.to(DTYPES[dtype])
    if dtype == "bf16":
        theirs = theirs.view(torch.int16).numpy().view(np.uint16)
    else:
        theirs = theirs.numpy()
    assert np.array_equal(ours.view(np.uint8), theirs.view(np.uint8))

    # import -> IREE CPU -> run: exactly the decompressed rows.
    text = checkpoint.import_embedding(out)
    linalg = qembed.run_pipeline(text, "qembed-to-linalg")
    ids = np.array([0, 199, 5, 5, 42], dtype=np.int64)
    rows = iree_cpu_run(linalg, "embed", ids)
    assert np.array_equal(rows.view(np.uint8), theirs[ids].view(np.uint8))


def test_errors(tmp_path):
    src = str(tmp_path / "model")
    make_model(src, "f32")
    with pytest.raises(qembed.CheckpointError, match="not in the checkpoint"):
        checkpoint.export_embedding(src, str(tmp_path / "o"), tensor="nope")
    with pytest.raises(ValueError, match="group size 48 does not divide"):
        checkpoint.export_embedding(src, str(tmp_path / "o"), group_size=48)
    with pytest.raises(ValueError, match="no .safetensors"):
        checkpoint.export_embedding(str(tmp_path), str(tmp_path / "o"))
