"""The Python API's input and output paths: bytecode is parsed in place
(the reader references the caller's bytes) and written straight into the
returned bytes object; the results are byte-identical to qembed-opt's and
the caller's input is left untouched. The file-to-file API (memory-mapped
input, output written to the file) writes what qembed-opt writes."""

import os
import subprocess

import pytest

import qembed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "embedding_bf16.mlir")
QEMBED_OPT = os.path.join(os.getcwd(), "bin", "qembed-opt")

SCHEMES = [(4, 64, True), (8, 0, True), (3, 32, False), (2, 64, True)]


@pytest.fixture(scope="module")
def example_bytecode():
    return qembed.run_pipeline(open(EXAMPLE).read(), "", bytecode=True)


@pytest.mark.parametrize("bits,group,sym", SCHEMES)
def test_bytecode_output_matches_qembed_opt(tmp_path, example_bytecode,
                                            bits, group, sym):
    if not os.path.exists(QEMBED_OPT):
        pytest.fail("run pytest from the build folder (needs bin/qembed-opt)")
    src = tmp_path / "in.mlirbc"
    src.write_bytes(example_bytecode)
    opts = "bits=%d group-size=%d symmetric=%s" % (bits, group,
                                                   "true" if sym else "false")
    cli = subprocess.run([QEMBED_OPT, str(src), "--quantize-embeddings=" + opts,
                          "--emit-bytecode", "-o", str(tmp_path / "q.mlirbc")],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    before = bytes(example_bytecode)
    out = qembed.quantize_embeddings(example_bytecode, bits=bits,
                                     group_size=group, symmetric=sym,
                                     bytecode=True)
    assert type(out) is bytes
    assert out == (tmp_path / "q.mlirbc").read_bytes()
    # The reader referenced the input in place; nothing wrote into it.
    assert example_bytecode == before


def test_bytecode_and_text_inputs_agree(example_bytecode):
    text = open(EXAMPLE).read()
    a = qembed.quantize_embeddings(example_bytecode, bytecode=True)
    b = qembed.quantize_embeddings(text, bytecode=True)
    c = qembed.quantize_embeddings(text.encode(), bytecode=True)
    assert a == b == c
    # Text output of bytecode input, and a str holding non-ASCII text
    # (read through its UTF-8 form).
    out = qembed.quantize_embeddings(example_bytecode)
    assert out == qembed.quantize_embeddings("// café\n" + text)


def test_bytes_subclass_and_empty_output():
    class Bytes(bytes):
        pass
    bc = qembed.run_pipeline(Bytes(open(EXAMPLE, "rb").read()), "",
                             bytecode=True)
    assert type(bc) is bytes and bc[:4] == b"ML\xefR"
    # An empty module still round-trips through the in-place writer.
    empty = qembed.run_pipeline("module {}", "", bytecode=True)
    assert qembed.run_pipeline(empty, "").strip() == "module {\n}"



@pytest.mark.parametrize("bits,group,sym", SCHEMES)
def test_file_to_file_matches_qembed_opt(tmp_path, example_bytecode, bits,
                                         group, sym):
    """quantize_embeddings_file (memory-mapped input, output written to the
    file) writes what qembed-opt writes."""
    src = tmp_path / "in.mlirbc"
    src.write_bytes(example_bytecode)
    opts = "bits=%d group-size=%d symmetric=%s" % (bits, group,
                                                   "true" if sym else "false")
    cli = subprocess.run([QEMBED_OPT, str(src), "--quantize-embeddings=" + opts,
                          "--emit-bytecode", "-o", str(tmp_path / "q.mlirbc")],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    out = tmp_path / "py.mlirbc"
    assert qembed.quantize_embeddings_file(src, out, bits=bits,
                                           group_size=group, symmetric=sym,
                                           bytecode=True) is None
    assert out.read_bytes() == (tmp_path / "q.mlirbc").read_bytes()
    # Text output of the same run equals the in-memory API's.
    qembed.quantize_embeddings_file(str(src), str(tmp_path / "q.mlir"),
                                    bits=bits, group_size=group,
                                    symmetric=sym)
    assert (tmp_path / "q.mlir").read_text() == qembed.quantize_embeddings(
        example_bytecode, bits=bits, group_size=group, symmetric=sym)


def test_file_api_errors_and_remarks(tmp_path):
    with pytest.raises(OSError, match="cannot read"):
        qembed.run_pipeline_file(tmp_path / "missing.mlir", "",
                                 tmp_path / "out.mlir")
    with pytest.raises(OSError, match="cannot write"):
        qembed.run_pipeline_file(EXAMPLE, "", tmp_path / "no" / "out.mlir")
    with pytest.raises(ValueError, match="invalid pass pipeline"):
        qembed.run_pipeline_file(EXAMPLE, "no-such-pass",
                                 tmp_path / "out.mlir")
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @f(")
    with pytest.raises(qembed.MLIRError, match="could not parse"):
        qembed.run_pipeline_file(bad, "", tmp_path / "out.mlir")
    # A failed run leaves no output file behind.
    assert not (tmp_path / "out.mlir").exists()
    with pytest.warns(qembed.TableLeftDenseWarning, match="min-rows=2048"):
        qembed.quantize_embeddings_file(EXAMPLE, tmp_path / "d.mlir",
                                        min_rows=2048)
    diags = qembed.quantize_embeddings_file(EXAMPLE, tmp_path / "d.mlir",
                                            min_rows=2048, diagnostics=True)
    assert "table left dense: it has 1024 rows" in diags
    assert "qembed.gather" not in (tmp_path / "d.mlir").read_text()
