"""`qembed` console entry point.

    qembed quantize model.mlir -o model.q.mlir --bits 4 --group-size 64
    qembed export-ct model_dir_or.safetensors -o out_dir --bits 4 --group-size 64
    qembed import-ct out_dir -o embed.mlir [--emit-bytecode]
    (--format fp8|nvfp4|mxfp4 [--per-tensor]: float formats, for quantize
    and export-ct)
"""

import argparse
import sys
import warnings

import qembed


def main(argv=None):
    ap = argparse.ArgumentParser(prog="qembed", description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quantize", help="quantize the embedding tables of an "
                       "MLIR module (--quantize-embeddings)")
    q.add_argument("input")
    q.add_argument("-o", "--output", required=True)
    q.add_argument("--bits", type=int, help="default 4 (int)")
    q.add_argument("--group-size", type=int, help="default 64 (int)")
    q.add_argument("--format", choices=["int", "fp8", "nvfp4", "mxfp4"],
                   default="int", help="float formats (compressed-tensors "
                   "FP8 / NVFP4A16 / MXFP4A16) fix bits and group size")
    q.add_argument("--per-tensor", action="store_true",
                   help="--format fp8: one scale for the whole table")
    q.add_argument("--asymmetric", action="store_true")
    q.add_argument("--scale-type", choices=["f32", "f16", "bf16"])
    q.add_argument("--emit-bytecode", action="store_true")
    q.add_argument("--min-rows", type=int, default=0,
                   help="tables with fewer rows stay dense (e.g. 2048: "
                   "vocabularies only, not position/token-type tables)")
    q.add_argument("--min-table-bytes", type=int, default=0,
                   help="tables smaller than this stay dense")
    q.add_argument("--allow-unregistered-dialect", action="store_true",
                   help="keep ops of other dialects (generic form only)")
    e = sub.add_parser("export-ct", help="quantize an embedding weight into "
                       "a compressed-tensors pack-quantized checkpoint")
    e.add_argument("source", help="a .safetensors file or a model folder")
    e.add_argument("-o", "--output", required=True, help="output folder")
    e.add_argument("--tensor", help="default: the input embedding by "
                   "config.json's model_type or common names (embed_tokens, "
                   "wte, word_embeddings, shared)")
    e.add_argument("--bits", type=int, help="default 4 (int)")
    e.add_argument("--group-size", type=int, help="default 64 (int)")
    e.add_argument("--format", choices=["int", "fp8", "nvfp4", "mxfp4"],
                   default="int", help="float formats (compressed-tensors "
                   "FP8 / NVFP4A16 / MXFP4A16) fix bits and group size")
    e.add_argument("--per-tensor", action="store_true",
                   help="--format fp8: one scale for the whole table")
    e.add_argument("--asymmetric", action="store_true")
    e.add_argument("--untie", action="store_true",
                   help="the embedding is tied to the output head: write "
                   "the head as a dense copy of the original table")
    i = sub.add_parser("import-ct", help="MLIR module (qembed.gather over the "
                       "packed constants) from a pack-quantized checkpoint")
    i.add_argument("checkpoint")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--prefix", help="default: the only *.weight_packed")
    i.add_argument("--emit-bytecode", action="store_true")
    a = ap.parse_args(argv)
    from qembed import checkpoint
    try:
        if a.command == "export-ct":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", checkpoint.TiedEmbeddingWarning)
                q = checkpoint.export_embedding(a.source, a.output, a.tensor,
                                                a.bits, a.group_size,
                                                not a.asymmetric, a.untie,
                                                format=a.format,
                                                per_tensor=a.per_tensor)
            for w in caught:
                print("qembed: warning: %s" % w.message, file=sys.stderr)
            print("wrote %s: %d x %d, max |error| %.4g, SQNR %.1f dB" % (
                a.output, q.packed.shape[0], q.cols, q.max_abs_error,
                q.sqnr_db))
            return 0
        if a.command == "import-ct":
            text = checkpoint.import_embedding(a.checkpoint, a.prefix)
            # Parsing the module checks it (and makes the bytecode).
            out = qembed.run_pipeline(text, "", bytecode=a.emit_bytecode)
            if not a.emit_bytecode:
                out = text.encode()
            checkpoint._write_atomically(a.output, lambda f: f.write(out))
            return 0
        with open(a.input, "rb") as f:
            data = f.read()
        out, diags = qembed.quantize_embeddings(
            data, a.bits, a.group_size, not a.asymmetric, a.scale_type,
            a.emit_bytecode, a.allow_unregistered_dialect, a.min_rows,
            a.min_table_bytes, diagnostics=True, format=a.format,
            per_tensor=a.per_tensor)
        # Tables left dense are said, never skipped silently.
        for line in diags.splitlines():
            if "remark: table left dense" in line:
                print("qembed: %s" % line, file=sys.stderr)
        if not a.emit_bytecode:
            out = out.encode()
        checkpoint._write_atomically(a.output, lambda f: f.write(out))
        return 0
    except (ValueError, KeyError, TypeError, OSError, qembed.MLIRError) as err:
        print("qembed: %s" % err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
