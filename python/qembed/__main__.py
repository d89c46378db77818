"""`qembed` console entry point.

    qembed quantize model.mlir -o model.q.mlir --bits 4 --group-size 64
"""

import argparse
import sys

import qembed


def main(argv=None):
    ap = argparse.ArgumentParser(prog="qembed", description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quantize", help="quantize the embedding tables of an "
                       "MLIR module (--quantize-embeddings)")
    q.add_argument("input")
    q.add_argument("-o", "--output", required=True)
    q.add_argument("--bits", type=int, default=4)
    q.add_argument("--group-size", type=int, default=64)
    q.add_argument("--asymmetric", action="store_true")
    q.add_argument("--scale-type", choices=["f32", "f16", "bf16"])
    q.add_argument("--emit-bytecode", action="store_true")
    a = ap.parse_args(argv)
    data = open(a.input, "rb").read()
    try:
        out = qembed.quantize_embeddings(
            data, a.bits, a.group_size, not a.asymmetric, a.scale_type,
            a.emit_bytecode)
    except (qembed.MLIRError, ValueError) as e:
        print("qembed: %s" % e, file=sys.stderr)
        return 1
    with open(a.output, "wb" if a.emit_bytecode else "w") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
