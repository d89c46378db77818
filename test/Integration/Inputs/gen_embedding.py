#!/usr/bin/env python3
"""Writes a runnable module holding an embedding lookup shaped like front-end
output (Torch-MLIR's aten.embedding / index_select linalg.generic, or
tensor.gather) over a random, non-splat table, plus a @main that calls it and
prints every output element's f32 bit pattern (f16/bf16 widened exactly).

The table has rows of very different magnitudes, a row with an outlier and
an all-zero row (the eps-scale path). Pure Python: no numpy needed."""

import argparse
import random
import struct


def round_f16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def bf16_bits(x):
    b = struct.unpack("<I", struct.pack("<f", x))[0]
    b += 0x7FFF + ((b >> 16) & 1)
    return (b >> 16) & 0xFFFF


def round_bf16(x):
    return struct.unpack("<f", struct.pack("<I", bf16_bits(x) << 16))[0]


def round_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


ROUND = {"f32": round_f32, "f16": round_f16, "bf16": round_bf16}


def raw_bytes(values, dtype):
    if dtype == "f32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "f16":
        return struct.pack("<%de" % len(values), *values)
    return struct.pack("<%dH" % len(values), *[bf16_bits(v) for v in values])


def make_realistic_table(rows, cols, dtype, rng):
    """Like a trained LLM embedding: N(0, 0.02) entries, row norms varying
    log-normally, a few outlier columns shared by all rows."""
    outliers = set(rng.sample(range(cols), max(1, cols // 64)))
    table = []
    for _ in range(rows):
        scale = 0.02 * rng.lognormvariate(0.0, 0.4)
        row = [rng.gauss(0.0, scale) * (6.0 if c in outliers else 1.0)
               for c in range(cols)]
        table.append([ROUND[dtype](v) for v in row])
    return table


def make_table(rows, cols, dtype, rng):
    table = []
    for r in range(rows):
        mag = 10 ** rng.uniform(-3, 1)  # rows from 1e-3 to 10
        row = [rng.gauss(0.0, mag) for _ in range(cols)]
        if r == 1:
            row = [0.0] * cols  # all-zero row: scale becomes eps
        if r == 2:
            row[cols // 3] = 40 * mag  # an outlier
        if r == 3:
            row = [abs(v) + mag for v in row]  # all positive (asymmetric)
        table.append([ROUND[dtype](v) for v in row])
    return table


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--cols", type=int, default=128)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--form", choices=["embedding", "index_select", "gather",
                                     "index_tensor"],
                   default="embedding")
    p.add_argument("--static", action="store_true",
                   help="static ids shape (default: dynamic dims)")
    p.add_argument("--resource", action="store_true",
                   help="table as dense_resource (as the fx importer emits)")
    p.add_argument("--realistic", action="store_true",
                   help="trained-embedding-like values instead of test rows")
    p.add_argument("--tied", action="store_true",
                   help="also use the table in a tied lm_head matmul")
    a = p.parse_args()
    rng = random.Random(a.seed)
    V, D, T = a.rows, a.cols, a.dtype
    table = (make_realistic_table if a.realistic else make_table)(V, D, T, rng)
    flat = [v for row in table for v in row]

    # Ids: the first and last row, repeats, and random rows.
    ids2d = [[0, V - 1, 2, 2, 1], [3, rng.randrange(V), V - 1, 0, 3]]
    ids2d = [[i % V for i in row] for row in ids2d]  # tiny tables
    if a.form == "index_tensor":
        # weight[ids]: negative ids count from the end, down to -V.
        ids2d = [[0, -1, 2, -V, 1], [3, -rng.randrange(1, V), V - 1, 0, -3]]
    if a.form in ("embedding", "index_tensor"):
        ids = ids2d
    else:
        ids = ids2d[0] + ids2d[1]
    one_d = a.form not in ("embedding", "index_tensor")
    n0, n1 = (len(ids), None) if one_d else (len(ids), len(ids[0]))
    static_ids = "%d" % n0 if one_d else "%dx%d" % (n0, n1)
    dyn_ids = "?" if one_d else "?x?"
    ids_shape = static_ids if a.static else dyn_ids
    ids_t = "tensor<%sxi64>" % ids_shape
    out_t = "tensor<%sx%dx%s>" % (ids_shape, D, T)
    table_t = "tensor<%dx%dx%s>" % (V, D, T)

    out = []
    w = out.append
    if a.resource:
        name = "torch_tensor_%d_%d_torch.%s" % (V, D, T)
        table_attr = "dense_resource<%s>" % name
    else:
        table_attr = 'dense<"0x%s">' % raw_bytes(flat, T).hex().upper()
    rets = out_t + (", tensor<2x%dx%s>" % (V, T) if a.tied else "")
    w("func.func @forward(%%ids: %s) -> (%s) {" % (ids_t, rets))
    w("  %%table = arith.constant %s : %s" % (table_attr, table_t))
    w("  %c0 = arith.constant 0 : index")
    w("  %c1 = arith.constant 1 : index")
    if a.form == "gather":
        n = n0
        w("  %%idx = tensor.expand_shape %%ids [[0, 1]] output_shape [%s, 1] "
          ": %s into tensor<%sx1xi64>" % (
              "%d" % n if a.static else "%n", ids_t, ids_shape)
          if a.static else
          "  %%n = tensor.dim %%ids, %%c0 : %s\n"
          "  %%idx = tensor.expand_shape %%ids [[0, 1]] output_shape [%%n, 1] "
          ": %s into tensor<?x1xi64>" % (ids_t, ids_t))
        w("  %%idxc = arith.index_cast %%idx : tensor<%sx1xi64> to "
          "tensor<%sx1xindex>" % (ids_shape, ids_shape))
        w("  %%rows = tensor.gather %%table[%%idxc] gather_dims([0]) : "
          "(%s, tensor<%sx1xindex>) -> %s" % (table_t, ids_shape, out_t))
    else:
        loops = 2 if one_d else 3
        dims = ["d%d" % i for i in range(loops)]
        ids_map = "affine_map<(%s) -> (%s)>" % (", ".join(dims),
                                               ", ".join(dims[:-1]))
        out_map = "affine_map<(%s) -> (%s)>" % (", ".join(dims), ", ".join(dims))
        dyn = []
        if not a.static:
            for i in range(loops - 1):
                w("  %%d%d = tensor.dim %%ids, %%c%d : %s" % (i, i, ids_t))
                dyn.append("%%d%d" % i)
        w("  %%init = tensor.empty(%s) : %s" % (", ".join(dyn), out_t))
        w("  %%c%d_i64 = arith.constant %d : i64" % (V, V))
        w("  %c0_i64 = arith.constant 0 : i64")
        w("  %%rows = linalg.generic {indexing_maps = [%s, %s], iterator_types"
          " = [%s]} ins(%%ids : %s) outs(%%init : %s) {" % (
              ids_map, out_map, ", ".join(['"parallel"'] * loops), ids_t,
              out_t))
        w("  ^bb0(%%in: i64, %%out: %s):" % T)
        if a.form == "index_tensor":
            # Torch-MLIR's aten.index.Tensor body: wrap negative ids.
            w("    %neg = arith.cmpi slt, %in, %c0_i64 : i64")
            w("    %%wrapped = arith.addi %%in, %%c%d_i64 : i64" % V)
            w("    %sel = arith.select %neg, %wrapped, %in : i64")
            w("    %row = arith.index_cast %sel : i64 to index")
        else:
            w("    %row = arith.index_cast %in : i64 to index")
        w("    %%col = linalg.index %d : index" % (loops - 1))
        if a.form == "embedding":
            w("    %%lt = arith.cmpi slt, %%in, %%c%d_i64 : i64" % V)
            w('    cf.assert %lt, "index must be smaller than dim size"')
            w("    %ge = arith.cmpi sge, %in, %c0_i64 : i64")
            w('    cf.assert %ge, "index must be larger or equal to 0"')
        w("    %%v = tensor.extract %%table[%%row, %%col] : %s" % table_t)
        w("    linalg.yield %%v : %s" % T)
        w("  } -> %s" % out_t)
    results = "%rows"
    if a.tied:
        # lm_head tied to the embedding: logits = h @ table^T.
        hs = [ROUND[T](rng.gauss(0, 1)) for _ in range(2 * D)]
        w('  %%h = arith.constant dense<"0x%s"> : tensor<2x%dx%s>' % (
            raw_bytes(hs, T).hex().upper(), D, T))
        w("  %%zero = arith.constant 0.0 : %s" % T)
        w("  %%le = tensor.empty() : tensor<2x%dx%s>" % (V, T))
        w("  %%lz = linalg.fill ins(%%zero : %s) outs(%%le : tensor<2x%dx%s>) "
          "-> tensor<2x%dx%s>" % (T, V, T, V, T))
        w("  %%logits = linalg.generic {indexing_maps = [affine_map<(i, v, d) "
          "-> (i, d)>, affine_map<(i, v, d) -> (v, d)>, affine_map<(i, v, d) "
          "-> (i, v)>], iterator_types = [\"parallel\", \"parallel\", "
          "\"reduction\"]} ins(%%h, %%table : tensor<2x%dx%s>, %s) outs(%%lz "
          ": tensor<2x%dx%s>) {" % (D, T, table_t, V, T))
        w("  ^bb0(%%x: %s, %%y: %s, %%acc: %s):" % (T, T, T))
        w("    %%m = arith.mulf %%x, %%y : %s" % T)
        w("    %%s = arith.addf %%acc, %%m : %s" % T)
        w("    linalg.yield %%s : %s" % T)
        w("  } -> tensor<2x%dx%s>" % (V, T))
        results += ", %logits"
    w("  return %s : %s" % (results, rets))
    w("}")
    w("")

    # @main: call, widen to f32, print the bit patterns.
    w("func.func private @printMemrefI32(tensor<*xi32>) attributes "
      "{llvm.emit_c_interface}")

    def emit_print(val, shape, rank):
        dims = ["a%d" % i for i in range(rank)]
        m = "affine_map<(%s) -> (%s)>" % (", ".join(dims), ", ".join(dims))
        w("  %%e_%s = tensor.empty() : tensor<%sxi32>" % (val, shape))
        w("  %%b_%s = linalg.generic {indexing_maps = [%s, %s], iterator_types"
          " = [%s]} ins(%%%s : tensor<%sx%s>) outs(%%e_%s : tensor<%sxi32>) {"
          % (val, m, m, ", ".join(['"parallel"'] * rank), val, shape, T, val,
             shape))
        w("  ^bb0(%%x: %s, %%o: i32):" % T)
        x = "%x"
        if T != "f32":
            w("    %%w = arith.extf %%x : %s to f32" % T)
            x = "%w"
        w("    %%i = arith.bitcast %s : f32 to i32" % x)
        w("    linalg.yield %i : i32")
        w("  } -> tensor<%sxi32>" % shape)
        w("  %%u_%s = tensor.cast %%b_%s : tensor<%sxi32> to tensor<*xi32>"
          % (val, val, shape))
        w("  call @printMemrefI32(%%u_%s) : (tensor<*xi32>) -> ()" % val)

    w("func.func @main() {")
    ids_lit = str(ids).replace(" ", "")
    w("  %%ids = arith.constant dense<%s> : tensor<%sxi64>" % (ids_lit,
                                                             static_ids))
    w("  %%idsd = tensor.cast %%ids : tensor<%sxi64> to %s" % (static_ids,
                                                              ids_t))
    res = "%r" + (", %logits" if a.tied else "")
    w("  %s = call @forward(%%idsd) : (%s) -> (%s)" % (res, ids_t, rets))
    w("  %%rs = tensor.cast %%r : %s to tensor<%sx%dx%s>" % (out_t, static_ids,
                                                          D, T))
    emit_print("rs", "%sx%d" % (static_ids, D), 2 if one_d else 3)
    if a.tied:
        emit_print("logits", "2x%d" % V, 2)
    w("  return")
    w("}")
    if a.resource:
        blob = struct.pack("<I", 4 if T == "f32" else 2) + raw_bytes(flat, T)
        w("{-#\n  dialect_resources: {\n    builtin: {\n      %s: \"0x%s\"\n"
          "    }\n  }\n#-}" % (name, blob.hex().upper()))
    print("\n".join(out))


if __name__ == "__main__":
    main()
