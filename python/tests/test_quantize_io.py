"""The Python API's input and output paths: bytecode is parsed in place
(the reader references the caller's bytes) and written straight into the
returned bytes object; the results are byte-identical to qembed-opt's and
the caller's input is left untouched."""

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

