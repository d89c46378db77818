"""The compiler in-process: the shipped example through
--quantize-embeddings, text and bytecode, and the console entry point."""

import os
import subprocess
import sys

import pytest

import qembed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "embedding_bf16.mlir")


def test_quantize_embeddings_on_the_example():
    src = open(EXAMPLE).read()
    out, diags = qembed.run_pipeline(src, "quantize-embeddings{report=true}",
                                     diagnostics=True)
    assert "qembed.gather" in out
    assert "tensor<1024x256xbf16>" not in out  # the dense table is gone
    assert "tensor<1024x32xi32>" in out
    assert "524288 -> 139264 bytes" in diags
    assert out == qembed.quantize_embeddings(src)


def test_tables_left_dense_warn():
    src = open(EXAMPLE).read()
    with pytest.warns(qembed.TableLeftDenseWarning,
                      match="it has 1024 rows, fewer than min-rows=2048"):
        out = qembed.quantize_embeddings(src, min_rows=2048)
    assert "qembed.gather" not in out
    out, diags = qembed.quantize_embeddings(src, group_size=48,
                                            diagnostics=True)
    assert "group-size 48 does not divide its row length 256" in diags
    assert "qembed.gather" not in out


def test_bytecode_in_and_out():
    src = open(EXAMPLE, "rb").read()
    bc = qembed.quantize_embeddings(src, bits=8, group_size=0, bytecode=True)
    assert isinstance(bc, bytes) and bc[:4] == b"ML\xefR"
    text = qembed.run_pipeline(bc, "")
    assert "scheme <bits = 8, group_size = 0, symmetric, scale_type = bf16>" in text


def test_console_entry_point(tmp_path):
    out = tmp_path / "q.mlir"
    r = subprocess.run([sys.executable, "-m", "qembed", "quantize", EXAMPLE,
                        "-o", str(out), "--bits", "2", "--group-size", "32",
                        "--asymmetric"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "zero_points(" in out.read_text()
    # A group size that does not divide the 256 columns leaves the table
    # dense, with a remark on stderr.
    dense = subprocess.run([sys.executable, "-m", "qembed", "quantize",
                            EXAMPLE, "-o", str(out), "--group-size", "48"],
                           capture_output=True, text=True)
    assert dense.returncode == 0, dense.stderr
    assert ("table left dense: group-size 48 does not divide its row "
            "length 256") in dense.stderr
    assert "qembed.gather" not in out.read_text()
    small = subprocess.run([sys.executable, "-m", "qembed", "quantize",
                            EXAMPLE, "-o", str(out), "--min-rows", "1025"],
                           capture_output=True, text=True)
    assert small.returncode == 0, small.stderr
    assert "it has 1024 rows, fewer than min-rows=1025" in small.stderr
    assert "qembed.gather" not in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "qembed", "quantize", EXAMPLE,
                          "-o", str(out), "--min-table-bytes", "-1"],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "min_table_bytes must be an integer >= 0" in bad.stderr
