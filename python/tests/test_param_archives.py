"""Parameter archives --qembed-quantize-globals reads (IRPA, safetensors,
GGUF) and writes (IRPA, safetensors): corrupt archives are errors, never
crashes; what it writes is read back by IREE's runtime and by the
safetensors package with the bytes of qembed.quantize."""

import importlib.util
import os
import random

import numpy as np
import pytest

import qembed
import qembed.iree

_spec = importlib.util.spec_from_file_location(
    "param_archive", os.path.join(os.path.dirname(__file__), "..", "..",
                                  "test", "Inputs", "param_archive.py"))
param_archive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(param_archive)

MODULE = """
"util.global"() <{initial_value = #flow.parameter.named<"model"::"emb"> : tensor<4x64xf32>, sym_name = "emb", sym_visibility = "private", type = tensor<4x64xf32>}> : () -> ()
func.func @f(%ids: tensor<2x1xindex>) -> tensor<2x64xf32> {
  %t = "util.global.load"() <{global = @emb}> : () -> tensor<4x64xf32>
  %r = tensor.gather %t[%ids] gather_dims([0]) unique : (tensor<4x64xf32>, tensor<2x1xindex>) -> tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}
"""


def table():
    return (np.arange(4 * 64, dtype=np.float32) * 0.25 - 3.0).reshape(4, 64)


def write(path):
    data = table().tobytes()
    entries = [("other", "F32", [2, 2], np.ones(4, np.float32).tobytes()),
               ("emb", "F32", [4, 64], data)]
    {".irpa": param_archive.write_irpa, ".gguf": param_archive.write_gguf,
     ".safetensors": param_archive.write_safetensors}[
        os.path.splitext(path)[1]](path, entries)


@pytest.mark.parametrize("ext", [".irpa", ".safetensors", ".gguf"])
def test_corrupt_archives_are_errors(tmp_path, ext):
    """Truncations and byte flips of a valid archive: each run either
    quantizes (the bytes read are then those of a valid table) or raises
    MLIRError; the process never crashes."""
    good = tmp_path / ("good" + ext)
    write(str(good))
    blob = good.read_bytes()
    rng = random.Random(ext)
    bad = tmp_path / ("bad" + ext)
    outcomes = {"ok": 0, "error": 0}
    cuts = list(range(0, min(len(blob), 400), 7)) + [len(blob) - 1]
    cases = [blob[:n] for n in cuts]
    for _ in range(150):
        b = bytearray(blob)
        for _ in range(rng.randint(1, 4)):
            # Mostly the header and index, where the offsets and sizes are.
            b[rng.randrange(min(len(b), 512))] = rng.randrange(256)
        cases.append(bytes(b))
    for case in cases:
        bad.write_bytes(case)
        try:
            qembed.iree.quantize_globals(
                MODULE, group_size=64, parameters={"model": str(bad)},
                output_parameters=str(tmp_path / "out.irpa"), lower=False)
            outcomes["ok"] += 1
        except qembed.MLIRError as err:
            assert "cannot quantize parameter 'emb'" in str(err) or \
                "cannot quantize this table" in str(err), str(err)
            outcomes["error"] += 1
    # Every truncation before the data ends is an error.
    assert outcomes["error"] >= len(cuts) - 1, outcomes


@pytest.mark.parametrize("ext", [".irpa", ".safetensors", ".gguf"])
@pytest.mark.parametrize("out_ext", [".irpa", ".safetensors"])
def test_written_archives_read_back(tmp_path, ext, out_ext):
    src = tmp_path / ("model" + ext)
    write(str(src))
    out = tmp_path / ("q" + out_ext)
    q = qembed.iree.quantize_globals(MODULE, bits=3, group_size=32,
                                     symmetric=False,
                                     parameters={"model": str(src)},
                                     output_parameters=str(out), lower=False)
    assert "emb.qembed_zero_points" in q
    ref = qembed.quantize(table(), bits=3, group_size=32, symmetric=False)
    expected = {"emb.qembed_packed": ref.packed.astype(np.int32).tobytes(),
                "emb.qembed_scales": ref.scales.astype(np.float32).tobytes(),
                "emb.qembed_zero_points": ref.zero_points.astype(
                    np.int8).tobytes()}
    rt = pytest.importorskip("iree.runtime")
    index = rt.ParameterIndex()
    index.load(str(out))
    got = {k: rt.parameter_index_entry_as_numpy_flat_ndarray(e).tobytes()
           for k, e in index.items()}
    assert got == expected
    if out_ext == ".safetensors":
        st = pytest.importorskip("safetensors.numpy")
        tensors = st.load_file(str(out))
        assert tensors["emb.qembed_packed"].dtype == np.int32
        assert tensors["emb.qembed_scales"].dtype == np.float32
        assert tensors["emb.qembed_zero_points"].dtype == np.int8
        assert {k: v.tobytes() for k, v in tensors.items()} == expected
