"""Bad input gets a typed Python error, never a crash."""

import json
import os
import re
import struct

import numpy as np
import pytest

import qembed

GOOD = np.ones((4, 64), dtype=np.float32)


def test_wrong_table_dtype():
    with pytest.raises(TypeError, match="not float32, float16 or bfloat16"):
        qembed.quantize(np.ones((4, 64), dtype=np.int32))


def test_not_an_array():
    with pytest.raises(TypeError, match="numpy array"):
        qembed.quantize([[1.0, 2.0]])


def test_wrong_rank_and_empty():
    with pytest.raises(ValueError, match="2-D"):
        qembed.quantize(np.ones(64, dtype=np.float32))
    with pytest.raises(ValueError, match="empty"):
        qembed.quantize(np.ones((0, 64), dtype=np.float32))


def test_bad_options():
    with pytest.raises(ValueError, match=r"bits must be an integer in \[2, 8\]"):
        qembed.quantize(GOOD, bits=9)
    with pytest.raises(ValueError, match="group_size"):
        qembed.quantize(GOOD, group_size=-1)
    with pytest.raises(ValueError, match="group size 48 does not divide the row length 64"):
        qembed.quantize(GOOD, group_size=48)
    with pytest.raises(ValueError, match="scale_dtype"):
        qembed.quantize(GOOD, scale_dtype="f64")


def test_bf16_needs_bit_patterns():
    with pytest.raises(TypeError, match="uint16 bit patterns"):
        qembed.quantize(GOOD, dtype="bf16")


def test_pack_errors():
    with pytest.raises(TypeError, match="int8"):
        qembed.pack(np.zeros((2, 8), dtype=np.int32), 4)
    with pytest.raises(ValueError, match="code 9 out of range for 4 bits"):
        qembed.pack(np.full((2, 8), 9, dtype=np.int8), 4)


def test_dequantize_shape_errors():
    q = qembed.quantize(GOOD, bits=4, group_size=32)
    q.scales = q.scales[:, :1]
    with pytest.raises(ValueError, match=r"scales must have shape \(4, 2\)"):
        qembed.dequantize(q)
    q = qembed.quantize(GOOD, bits=4, group_size=32, symmetric=False)
    q.zero_points = None
    with pytest.raises(ValueError, match="needs zero points"):
        qembed.dequantize(q)


def test_mlir_errors():
    with pytest.raises(qembed.MLIRError, match="could not parse"):
        qembed.run_pipeline("func.func @f(", "canonicalize")
    with pytest.raises(ValueError, match="invalid pass pipeline"):
        qembed.run_pipeline("module {}", "no-such-pass")
    with pytest.raises(TypeError):
        qembed.run_pipeline(42, "canonicalize")
    module = """func.func @f(%ids: tensor<2xi64>) -> tensor<2x12xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]]> : tensor<1x12xf32>
  %r = qembed.lookup %t[%ids] : tensor<1x12xf32>, tensor<2xi64> -> tensor<2x12xf32>
  return %r : tensor<2x12xf32>
}"""
    # A group size that does not divide the row leaves the table dense.
    out, diags = qembed.run_pipeline(module, "qembed-quantize{group-size=8}",
                                     diagnostics=True)
    assert "qembed.lookup" in out
    assert "table left dense: group-size 8 does not divide" in diags
    # A pass failure raises MLIRError with the diagnostics.
    with pytest.raises(qembed.MLIRError, match="pass pipeline failed"
                       "(.|\n)*row 0, column 1 is NaN"):
        qembed.run_pipeline(module.replace("2.0,", "0x7FC00000,"),
                            "qembed-quantize{group-size=4}")


# --- Non-finite tables -----------------------------------------------------

GPU_MODULE = """
func.func @g(%p: memref<?x16xi32>, %s: memref<?x2xf16>, %ids: memref<?xi64>, %out: memref<?x128xf16>) {
  qembed.buffer_gather %p[%ids] scales(%s) into %out scheme <bits = 4, group_size = 64, symmetric, scale_type = f16> : memref<?x16xi32>, memref<?x2xf16>, memref<?xi64>, memref<?x128xf16>
  return
}
"""


@pytest.mark.parametrize("options,message", [
    ("chip=", "unknown or unsupported GPU chip ''"),
    ("chip=sm_20", "unknown or unsupported GPU chip 'sm_20'"),
    ("chip=gfx90a", "unknown or unsupported GPU chip 'gfx90a'"),
    ("format=foo", "format must be isa, bin or fatbin"),
    ("block-size=1025", "block-size must be a multiple of 32"),
    ("unroll=1099511627776", "unroll must be in 1..16")])
def test_gpu_pipeline_options_raise(options, message):
    # These crashed or aborted the interpreter before the options were
    # checked (an empty chip segfaulted inside NVVM's target verifier).
    with pytest.raises(qembed.MLIRError, match=re.escape(message)):
        qembed.run_pipeline(GPU_MODULE, "qembed-gpu-pipeline{%s}" % options)


def test_gpu_kernel_jit_errors():
    k = qembed._qembed.gpu_gather_kernel
    with pytest.raises(ValueError, match="unknown or unsupported GPU chip"):
        k(4, 64, True, "f16", "f16", 4096, "i64", "sm_20")
    with pytest.raises(ValueError, match="multiple of 8"):
        k(4, 0, True, "f16", "f16", 12, "i64", "sm_90")
    with pytest.raises(ValueError, match="id_type must be"):
        k(4, 64, True, "f16", "f16", 4096, "u8", "sm_90")
    ptx = k(3, 6, False, "bf16", "f32", 24, "i32", "sm_90", 128, 1)
    assert ".entry " + ptx["name"] in ptx["ptx"] and ptx["slices_per_row"] == 6


def test_nan_and_inf_tables_are_refused():
    t = np.ones((3, 8), dtype=np.float32)
    t[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"element at row 1, column 2 is NaN"):
        qembed.quantize(t, group_size=8)
    with pytest.raises(ValueError, match=r"row 1, column 2 is NaN"):
        qembed.quantize_codes(t, group_size=8)
    h = np.ones((2, 8), dtype=np.float16)
    h[1, 7] = -np.inf
    with pytest.raises(ValueError, match=r"element at row 1, column 7 is -Inf"):
        qembed.quantize(h, group_size=0, symmetric=False)
    b = np.full((2, 8), 0x3F80, dtype=np.uint16)  # bf16 1.0
    b[0, 3] = 0x7F80                               # bf16 +Inf
    with pytest.raises(ValueError, match=r"element at row 0, column 3 is \+Inf"):
        qembed.quantize(b, group_size=8, dtype="bf16")


def test_scale_overflowing_f16_is_refused():
    t = np.ones((2, 8), dtype=np.float32)
    t[1, 0] = 1e6  # 4-bit scale 133333 > 65504
    with pytest.raises(ValueError, match=r"the scale of row 1 .* overflows "
                                         r"the scale type f16"):
        qembed.quantize(t, bits=4, group_size=0, scale_dtype="f16")
    q = qembed.quantize(t, bits=4, group_size=0)  # f32 scales are fine
    assert np.isfinite(qembed.dequantize(q)).all()


def test_nan_table_in_a_module():
    module = """func.func @f(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 0x7FC00000, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<1x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}"""
    with pytest.raises(qembed.MLIRError, match="element at row 0, column 2 is NaN"):
        qembed.run_pipeline(module, "qembed-quantize{group-size=8}")


def test_corrupt_bytecode_raises_mlir_error():
    """Diagnostics quoting bytes of corrupt bytecode used to raise
    UnicodeDecodeError instead of MLIRError."""
    module = """func.func @f(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  %t = arith.constant dense<1.0> : tensor<4x8xf32>
  %r = qembed.lookup %t[%ids] : tensor<4x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}"""
    bc = qembed.run_pipeline(module, "", bytecode=True)
    i = bc.index(b"qembed")
    bad = bc[:i] + b"\xff\xfe" + bc[i + 2:]
    with pytest.raises(qembed.MLIRError, match="is unknown"):
        qembed.run_pipeline(bad, "canonicalize")
    with pytest.raises(qembed.MLIRError):
        qembed.run_pipeline(bc[:len(bc) // 2], "canonicalize")


# --- Checkpoints: bad files end in one line, exit 1, no output -------------

from qembed import checkpoint  # noqa: E402
from qembed.__main__ import main  # noqa: E402

NAME = "model.embed_tokens.weight"


def make_model(folder, table=None):
    os.makedirs(folder, exist_ok=True)
    if table is None:
        table = np.linspace(-1, 1, 8 * 64, dtype=np.float32).reshape(8, 64)
    checkpoint.write_safetensors(
        os.path.join(folder, "model.safetensors"),
        {NAME: ("F32", table), "lm_head.weight": ("F32", np.ones((2, 4),
                                                                 np.float32))})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "llama"}, f)
    return folder


def run_cli(capsys, *argv):
    """Runs the console entry point; returns (status, stderr)."""
    rc = main(list(argv))
    err = capsys.readouterr().err
    return rc, err


def assert_one_line_error(rc, err, pattern):
    assert rc == 1
    assert err.startswith("qembed: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(pattern, err), err


def raw_safetensors(path, header, data=b""):
    blob = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob + data)


GOOD_ENTRY = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
DATA = np.arange(4, dtype=np.float32).tobytes()


@pytest.mark.parametrize("header,data,pattern", [
    (None, b"\x01\x02", r"too short for a safetensors file"),
    (b"\xff" * 8, b"", r"header length 18446744073709551615 is not within"),
    (b"{}", b"", None),  # valid, but no embedding: see below
    (b"{not json", b"", r"the header is not valid JSON"),
    (b"\xff\xfe{}", b"", r"the header is not valid JSON"),
    ([1, 2], b"", r"header is not a JSON object"),
    ({"w": {"shape": [2, 2], "data_offsets": [0, 16]}}, DATA, r"has no 'dtype'"),
    ({"w": dict(GOOD_ENTRY, dtype="Q7")}, DATA, r"unsupported safetensors dtype 'Q7'"),
    ({"w": dict(GOOD_ENTRY, shape=[3, 2])}, DATA,
     r"shape \[3, 2\] of F32 needs 24 bytes, data_offsets span 16"),
    ({"w": dict(GOOD_ENTRY, shape=[-1, 4])}, DATA, r"not a list of integers >= 0"),
    ({"w": dict(GOOD_ENTRY, shape=[True, 4])}, DATA, r"not a list of integers >= 0"),
    ({"w": dict(GOOD_ENTRY, shape=[2 ** 62, 2 ** 62])}, DATA,
     r"needs \d+ bytes, data_offsets span 16"),
    ({"w": dict(GOOD_ENTRY, data_offsets=[0, 2 ** 64])}, DATA,
     r"run past the end of the data \(16 bytes\)"),
    ({"w": dict(GOOD_ENTRY, data_offsets=[16, 32])}, DATA, r"run past the end"),
    ({"w": dict(GOOD_ENTRY, data_offsets=[8, 0])}, DATA, r"0 <= begin <= end"),
    ({"w": dict(GOOD_ENTRY, data_offsets="0-16")}, DATA, r"not \[begin, end\]"),
    ({"w": GOOD_ENTRY, "v": dict(GOOD_ENTRY, shape=[1, 2], data_offsets=[8, 16])},
     DATA, r"tensors 'w' and 'v' overlap"),
    ({"w": GOOD_ENTRY, "__metadata__": [1]}, DATA, r"__metadata__ is not a JSON object"),
])
def test_bad_safetensors(tmp_path, capsys, header, data, pattern):
    path = str(tmp_path / "bad.safetensors")
    if header is None:
        with open(path, "wb") as f:
            f.write(data)
    elif isinstance(header, bytes) and len(header) == 8 and pattern and "header length" in pattern:
        with open(path, "wb") as f:
            f.write(header)
    else:
        raw_safetensors(path, header, data)
    out = str(tmp_path / "out")
    if pattern is None:
        pattern = r"no input embedding found \(looked for \*embed_tokens.weight"
    else:
        with pytest.raises(qembed.CheckpointError, match=pattern):
            checkpoint.read_safetensors(path)
    rc, err = run_cli(capsys, "export-ct", path, "-o", out)
    assert_one_line_error(rc, err, pattern)
    assert not os.path.exists(out)


def test_export_nan_table_writes_nothing(tmp_path, capsys):
    table = np.ones((4, 64), dtype=np.float32)
    table[2, 5] = np.inf
    src = make_model(str(tmp_path / "model"), table)
    out = str(tmp_path / "out")
    rc, err = run_cli(capsys, "export-ct", src, "-o", out)
    assert_one_line_error(rc, err, r"element at row 2, column 5 is \+Inf")
    assert not os.path.exists(out)
    # An existing output folder keeps its files untouched.
    os.makedirs(out)
    with open(os.path.join(out, "model.safetensors"), "w") as f:
        f.write("old")
    rc, err = run_cli(capsys, "export-ct", src, "-o", out)
    assert rc == 1
    assert os.listdir(out) == ["model.safetensors"]
    assert open(os.path.join(out, "model.safetensors")).read() == "old"


def test_export_corrupt_config_writes_nothing(tmp_path, capsys):
    src = make_model(str(tmp_path / "model"))
    with open(os.path.join(src, "config.json"), "w") as f:
        f.write('{"model_type": ')
    out = str(tmp_path / "out")
    rc, err = run_cli(capsys, "export-ct", src, "-o", out)
    assert_one_line_error(rc, err, r"config.json is not valid JSON")
    assert not os.path.exists(out)


def exported(tmp_path, bits=4, group=32, symmetric=True):
    src = make_model(str(tmp_path / "model"))
    out = str(tmp_path / "ckpt")
    checkpoint.export_embedding(src, out, bits=bits, group_size=group,
                                symmetric=symmetric)
    return out


def edit_config(ckpt, **weights):
    path = os.path.join(ckpt, "config.json")
    cfg = json.load(open(path))
    cfg["quantization_config"]["config_groups"]["group_0"]["weights"].update(
        weights)
    json.dump(cfg, open(path, "w"))


def edit_tensor(ckpt, suffix, dtype, arr):
    path = os.path.join(ckpt, "model.safetensors")
    tensors, meta = checkpoint.read_safetensors(path)
    tensors["model.embed_tokens." + suffix] = (dtype, arr)
    checkpoint.write_safetensors(path, tensors, meta)


def test_import_round_trip_without_torch(tmp_path, capsys):
    ckpt = exported(tmp_path, bits=3, group=0, symmetric=False)
    out = str(tmp_path / "embed.mlir")
    rc, err = run_cli(capsys, "import-ct", ckpt, "-o", out)
    assert rc == 0, err
    text = open(out).read()
    assert "scheme <bits = 3, group_size = 0, asymmetric, scale_type = f32>" in text
    qembed.run_pipeline(text, "qembed-to-linalg")


@pytest.mark.parametrize("edit,pattern", [
    (lambda c: edit_config(c, num_bits=9), r"num_bits must be an integer in \[2, 8\], got 9"),
    (lambda c: edit_config(c, num_bits="4"), r"num_bits must be an integer"),
    (lambda c: edit_config(c, group_size=24), r"group_size 24 does not divide the row length 64"),
    (lambda c: edit_config(c, group_size=0), r"group_size must be an integer > 0"),
    (lambda c: edit_config(c, strategy="tensor"), r"strategy must be 'channel' or 'group'"),
    (lambda c: edit_config(c, symmetric="yes"), r"symmetric must be true or false"),
    (lambda c: edit_config(c, type="float"), r"only INT weights"),
    (lambda c: edit_tensor(c, "weight_shape", "I64", np.array([8, 128], np.int64)),
     r"weight_packed has shape \[8, 8\]; expected \[8, 16\]"),
    (lambda c: edit_tensor(c, "weight_shape", "I64", np.array([9, 64], np.int64)),
     r"weight_packed has shape \[8, 8\]; expected \[9, 8\]"),
    (lambda c: edit_tensor(c, "weight_shape", "I64", np.array([8, 64, 1], np.int64)),
     r"weight_shape has shape \[3\]; expected \[2\]"),
    (lambda c: edit_tensor(c, "weight_shape", "I64", np.array([0, 64], np.int64)),
     r"weight_shape \[0, 64\] must be positive"),
    (lambda c: edit_tensor(c, "weight_scale", "I32", np.zeros((8, 2), np.int32)),
     r"weight_scale has dtype I32; expected F32 or F16 or BF16"),
    (lambda c: edit_tensor(c, "weight_scale", "F32", np.ones((8, 3), np.float32)),
     r"weight_scale has shape \[8, 3\]; expected \[8, 2\]"),
    (lambda c: os.unlink(os.path.join(c, "config.json")), r"no config.json"),
])
def test_import_inconsistent_checkpoint(tmp_path, capsys, edit, pattern):
    ckpt = exported(tmp_path)
    edit(ckpt)
    out = str(tmp_path / "embed.mlir")
    with pytest.raises(qembed.CheckpointError, match=pattern):
        checkpoint.import_embedding(ckpt)
    rc, err = run_cli(capsys, "import-ct", ckpt, "-o", out)
    assert_one_line_error(rc, err, pattern)
    assert not os.path.exists(out)


def test_import_needs_a_folder(tmp_path, capsys):
    ckpt = exported(tmp_path)
    rc, err = run_cli(capsys, "import-ct",
                      os.path.join(ckpt, "model.safetensors"), "-o",
                      str(tmp_path / "x.mlir"))
    assert_one_line_error(rc, err, r"pass the checkpoint folder")
    rc, err = run_cli(capsys, "import-ct", str(tmp_path / "nope"), "-o",
                      str(tmp_path / "x.mlir"))
    assert_one_line_error(rc, err, r"no such file or folder")


def test_deeply_nested_module():
    # 20,000 nested modules: MLIR runs on a large-stack thread (on the
    # interpreter's stack the recursive parser segfaulted the process).
    n = 20000
    out = qembed.run_pipeline("module {" * n + "}" * n, "canonicalize")
    assert out.count("module {") == n
