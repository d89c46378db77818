"""Float-format (FP8 / NVFP4 / MXFP4) compressed-tensors checkpoints, checked
against the real libraries: export-ct writes exactly the tensors
compressed-tensors 0.20's own compressors write for the table (same names,
dtypes, shapes and bytes), the config validates as a QuantizationConfig,
safetensors reads the file, compressed-tensors decompresses it to qembed's
dequantization, and import-ct reads it back (load_embedding) into a module
that parses and keeps the format."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import qembed
from qembed import checkpoint

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")
from compressed_tensors.compressors.base import BaseCompressor  # noqa: E402
from compressed_tensors.compressors.mxfp4.base import MXFP4PackedCompressor  # noqa: E402
from compressed_tensors.compressors.naive_quantized.base import FloatQuantizationCompressor  # noqa: E402
from compressed_tensors.compressors.nvfp4.base import NVFP4PackedCompressor  # noqa: E402
from compressed_tensors.quantization import QuantizationConfig  # noqa: E402

from test_float_formats import ct_fp8, ct_mxfp4, ct_nvfp4, same_bits, to_numpy  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
NAME = "model.embed_tokens.weight"
PREFIX = "model.embed_tokens"
COMPRESSORS = {"fp8": FloatQuantizationCompressor,
               "nvfp4": NVFP4PackedCompressor,
               "mxfp4": MXFP4PackedCompressor}


def make_model(folder, dtype):
    gen = torch.Generator().manual_seed(3)
    w = (torch.randn(96, 128, generator=gen) * 0.02).to(DTYPES[dtype])
    w[4] = 0
    other = torch.randn(16, 8, generator=gen)
    os.makedirs(folder, exist_ok=True)
    st_torch.save_file({NAME: w, "lm_head.weight": other},
                       os.path.join(folder, "model.safetensors"))
    json.dump({"model_type": "llama"},
              open(os.path.join(folder, "config.json"), "w"))
    return w, other


def ct_state(fmt, per_tensor, w):
    """compressed-tensors' own compressed state dict of `w`."""
    if fmt == "fp8":
        return ct_fp8(w, per_tensor)[0]
    if fmt == "nvfp4":
        return ct_nvfp4(w)[0]
    return ct_mxfp4(w)[0]


@pytest.mark.parametrize("fmt,per_tensor,dtype", [
    ("fp8", False, "bf16"), ("fp8", True, "f16"), ("fp8", False, "f32"),
    ("nvfp4", False, "bf16"), ("nvfp4", False, "f32"),
    ("mxfp4", False, "bf16"), ("mxfp4", False, "f16")])
def test_export_matches_compressed_tensors(tmp_path, fmt, per_tensor, dtype):
    src, out = str(tmp_path / "model"), str(tmp_path / "quantized")
    w, other = make_model(src, dtype)
    q = checkpoint.export_embedding(src, out, format=fmt,
                                    per_tensor=per_tensor)

    cfg = json.load(open(os.path.join(out, "config.json")))
    qcfg = QuantizationConfig.model_validate(cfg["quantization_config"])
    scheme = qcfg.config_groups["group_0"]
    assert qcfg.format == {"fp8": "float-quantized",
                           "nvfp4": "nvfp4-pack-quantized",
                           "mxfp4": "mxfp4-pack-quantized"}[fmt]
    # The format names the compressor that reads it (weight-only fp8 is
    # float-quantized, the FP8 preset's format; compressed-tensors' own
    # inference would say naive-quantized, the same compressor code).
    assert BaseCompressor.get_value_from_registry(qcfg.format) is \
        COMPRESSORS[fmt]

    got = st_torch.load_file(os.path.join(out, "model.safetensors"))
    assert torch.equal(got["lm_head.weight"], other)
    ours = {k[len(PREFIX) + 1:]: v for k, v in got.items()
            if k.startswith(PREFIX + ".")}
    theirs = {k: v for k, v in ct_state(fmt, per_tensor, w).items()
              if k != "weight_zero_point"}
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        assert ours[k].dtype == theirs[k].dtype, k
        assert ours[k].shape == theirs[k].shape, k
        assert same_bits(to_numpy(ours[k]), to_numpy(theirs[k])), k

    # compressed-tensors decompresses our tensors to qembed's dequantization
    # (nvfp4 / mxfp4 decompress to bf16, fp8 to the scale dtype).
    dec = COMPRESSORS[fmt].decompress(ours, scheme)["weight"]
    out_dtype = {torch.bfloat16: "bf16", torch.float16: "f16",
                 torch.float32: "f32"}[dec.dtype]
    assert same_bits(qembed.dequantize(q, out_dtype=out_dtype),
                     to_numpy(dec))

    # import-ct reads it back without re-quantizing.
    back = checkpoint.load_embedding(out)
    assert back.format == fmt and back.per_tensor == per_tensor
    assert np.array_equal(back.packed, q.packed)
    assert same_bits(back.scales, q.scales)
    assert np.float32(back.global_scale) == np.float32(q.global_scale)
    assert same_bits(qembed.dequantize(back, out_dtype="bf16"),
                     qembed.dequantize(q, out_dtype="bf16"))
    text = checkpoint.import_embedding(out)
    assert "format = %s" % fmt in text
    parsed = qembed.run_pipeline(text, "")
    assert "qembed.gather" in parsed


def test_cli_export_import(tmp_path):
    src, out = str(tmp_path / "model"), str(tmp_path / "quantized")
    make_model(src, "bf16")
    env = dict(os.environ)
    run = [sys.executable, "-m", "qembed"]
    r = subprocess.run(run + ["export-ct", src, "-o", out, "--format",
                              "nvfp4"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stderr
    mlir = str(tmp_path / "embed.mlir")
    r = subprocess.run(run + ["import-ct", out, "-o", mlir],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "format = nvfp4, global_scale = " in open(mlir).read()
    r = subprocess.run(run + ["export-ct", src, "-o", out, "--format",
                              "nvfp4", "--bits", "8"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 1
    assert "format 'nvfp4' has 4-bit codes, got bits=8" in r.stderr


def test_quantize_embeddings_format():
    """The --quantize-embeddings pipeline from Python: the module's gather
    is in the format, and bad options raise."""
    rows = "[" + ", ".join(["[" + ", ".join(str((i * 7 + j) % 11 - 5.0)
                                            for j in range(32)) + "]"
                            for i in range(4)]) + "]"
    text = """func.func @f(%%ids: tensor<3xi64>) -> tensor<3x32xf32> {
  %%t = arith.constant dense<%s> : tensor<4x32xf32>
  %%r = qembed.lookup %%t[%%ids] : tensor<4x32xf32>, tensor<3xi64> -> tensor<3x32xf32>
  return %%r : tensor<3x32xf32>
}""" % rows
    out = qembed.quantize_embeddings(text, format="mxfp4")
    assert "format = mxfp4" in out and "xf8E8M0FNU>" in out
    out = qembed.quantize_embeddings(text, format="fp8", per_tensor=True)
    assert "format = fp8" in out
    with pytest.raises(ValueError, match="fixes group_size=16"):
        qembed.quantize_embeddings(text, format="nvfp4", group_size=64)


def test_cli_quantize_format(tmp_path):
    """`qembed quantize --format` runs --quantize-embeddings with the
    format; a bit width the format does not have is an error (status 1)."""
    src = tmp_path / "m.mlir"
    src.write_text("""func.func @f(%ids: tensor<3xi64>) -> tensor<3x32xf32> {
  %t = arith.constant dense<[[""" + ", ".join("%d.5" % (i % 7 - 3)
                                              for i in range(32)) + """],
      [""" + ", ".join("%d.25" % (i % 5 - 2) for i in range(32)) + """]]> : tensor<2x32xf32>
  %r = qembed.lookup %t[%ids] : tensor<2x32xf32>, tensor<3xi64> -> tensor<3x32xf32>
  return %r : tensor<3x32xf32>
}
""")
    out = tmp_path / "q.mlir"
    run = [sys.executable, "-m", "qembed", "quantize", str(src), "-o",
           str(out)]
    r = subprocess.run(run + ["--format", "mxfp4"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "format = mxfp4" in text and "tensor<2x1xf8E8M0FNU>" in text
    r = subprocess.run(run + ["--format", "fp8", "--bits", "4"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "format 'fp8' has 8-bit codes, got bits=4" in r.stderr
