"""compressed-tensors `pack-quantized` checkpoints of embedding tables.

export_embedding: quantizes an embedding weight from a safetensors file (or a
Hugging Face model folder) with qembed's numerics and writes the
compressed-tensors tensors (`weight_packed`, `weight_scale`, `weight_shape`,
`weight_zero_point` packed along dim 0 when asymmetric) plus config.json with
the `quantization_config` block that compressed-tensors / vLLM read.

import_embedding: turns such a checkpoint into an MLIR module whose lookup
reads the packed constants through qembed.gather, without re-quantizing.

safetensors files are read and written here directly (an 8-byte header
length, a JSON header, raw little-endian data), so bf16 needs no torch.
"""

import json
import os
import struct

import numpy as np

import qembed

_DTYPES = {"F32": (np.float32, "f32"), "F16": (np.uint16, "f16"),
           "BF16": (np.uint16, "bf16"), "I32": (np.int32, None),
           "I64": (np.int64, None), "I8": (np.int8, None),
           "U8": (np.uint8, None), "F64": (np.float64, None)}
_ST_NAME = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def read_safetensors(path):
    """Returns ({name: (safetensors dtype, numpy array)}, metadata). F16 and
    BF16 come back as uint16 bit patterns."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        if info["dtype"] not in _DTYPES:
            raise ValueError("%s: unsupported safetensors dtype %s"
                             % (name, info["dtype"]))
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=_DTYPES[info["dtype"]][0])
        out[name] = (info["dtype"], arr.reshape(info["shape"]))
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: (safetensors dtype, numpy array)}."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)


def _source_files(src):
    if os.path.isdir(src):
        files = sorted(os.path.join(src, f) for f in os.listdir(src)
                       if f.endswith(".safetensors"))
        if not files:
            raise ValueError("no .safetensors file in %s" % src)
        return files, os.path.join(src, "config.json")
    return [src], None


def _find_embedding(tensors, name):
    if name is not None:
        if name not in tensors:
            raise KeyError("tensor %r not in the checkpoint" % name)
        return name
    candidates = [n for n in tensors if n.endswith("embed_tokens.weight")]
    if len(candidates) != 1:
        raise ValueError("pass tensor=...: %d tensors named *embed_tokens."
                         "weight" % len(candidates))
    return candidates[0]


def quantization_config(bits, group_size, symmetric, scale_dtype, targets):
    """The `quantization_config` block of config.json (compressed-tensors)."""
    weights = {"num_bits": bits, "type": "int", "symmetric": symmetric,
               "strategy": "channel" if group_size == 0 else "group",
               "group_size": None if group_size == 0 else group_size,
               "block_structure": None, "dynamic": False, "actorder": None,
               "observer": "minmax", "observer_kwargs": {},
               "scale_dtype": None, "zp_dtype": None if symmetric else "torch.int8"}
    return {"quant_method": "compressed-tensors", "format": "pack-quantized",
            "quantization_status": "compressed",
            "config_groups": {"group_0": {
                "targets": targets, "weights": weights,
                "input_activations": None, "output_activations": None,
                "format": "pack-quantized"}},
            "ignore": [], "kv_cache_scheme": None,
            "global_compression_ratio": None}


def _pack_rows_dim0(zero_points, bits):
    """compressed-tensors packs zero points along dim 0: [ceil(R*b/32), G]."""
    return qembed.pack(np.ascontiguousarray(zero_points.T), bits).T.copy()


def _unpack_rows_dim0(packed, bits, rows):
    words = np.ascontiguousarray(packed.T).view(np.uint32).astype(np.uint64)
    j = np.arange(rows)
    bit, mask = j * bits, (1 << bits) - 1
    lo = words[:, bit // 32] >> (bit % 32).astype(np.uint64)
    nxt = np.minimum(bit // 32 + 1, words.shape[1] - 1)
    hi = words[:, nxt] << (32 - bit % 32).astype(np.uint64)
    code = np.where(bit % 32 + bits > 32, lo | hi, lo) & mask
    return (code.astype(np.int64) - (1 << (bits - 1))).astype(np.int8).T.copy()


def export_embedding(src, dst_dir, tensor=None, bits=4, group_size=64,
                     symmetric=True):
    """Writes dst_dir/model.safetensors (the embedding compressed, every
    other tensor unchanged) and dst_dir/config.json. Returns the
    QuantizedTable."""
    files, config_path = _source_files(src)
    tensors = {}
    for f in files:
        tensors.update(read_safetensors(f)[0])
    name = _find_embedding(tensors, tensor)
    st_dtype, weight = tensors.pop(name)
    if st_dtype not in _ST_NAME.values():
        raise TypeError("%s has dtype %s; expected F32, F16 or BF16"
                        % (name, st_dtype))
    kind = _DTYPES[st_dtype][1]
    table = weight.view(np.float16) if kind == "f16" else weight
    q = qembed.quantize(table, bits=bits, group_size=group_size,
                        symmetric=symmetric, dtype=kind)
    prefix = name[:-len(".weight")] if name.endswith(".weight") else name
    scales = q.scales.view(np.uint16) if kind != "f32" else q.scales
    tensors[prefix + ".weight_packed"] = ("I32", q.packed)
    tensors[prefix + ".weight_scale"] = (st_dtype, scales)
    tensors[prefix + ".weight_shape"] = ("I64", np.array(weight.shape,
                                                         dtype=np.int64))
    if not symmetric:
        tensors[prefix + ".weight_zero_point"] = (
            "I32", _pack_rows_dim0(q.zero_points, bits))
    os.makedirs(dst_dir, exist_ok=True)
    write_safetensors(os.path.join(dst_dir, "model.safetensors"), tensors,
                      {"format": "pt"})
    config = {}
    if config_path and os.path.exists(config_path):
        config = json.load(open(config_path))
    config["quantization_config"] = quantization_config(
        bits, group_size, symmetric, kind, ["Embedding"])
    json.dump(config, open(os.path.join(dst_dir, "config.json"), "w"),
              indent=2, sort_keys=True)
    return q


def find_prefix(names):
    """The one `<prefix>` with a `<prefix>.weight_packed` among `names`."""
    found = [n[:-len(".weight_packed")] for n in names
             if n.endswith(".weight_packed")]
    if len(found) != 1:
        raise ValueError("pass prefix=...: %d packed weights (%s)"
                         % (len(found), ", ".join(found[:5])))
    return found[0]


def scheme_from_config(qcfg):
    """(bits, group_size, symmetric) of a `quantization_config` block."""
    if qcfg.get("format") != "pack-quantized":
        raise ValueError("not a pack-quantized checkpoint: format %r"
                         % qcfg.get("format"))
    weights = next(iter(qcfg["config_groups"].values()))["weights"]
    if weights.get("type", "int") != "int":
        raise ValueError("only INT weights are supported")
    if weights.get("strategy") not in ("channel", "group"):
        raise ValueError("only channel and group strategies are supported, "
                         "got %r" % weights.get("strategy"))
    group = 0 if weights["strategy"] == "channel" else weights["group_size"]
    return int(weights["num_bits"]), int(group), bool(weights["symmetric"])


def table_from_tensors(tensors, prefix, bits, group_size, symmetric,
                       scale_kind):
    """A QuantizedTable from the compressed-tensors tensors of `prefix`
    ({name: numpy array}; f16 scales as float16 or uint16 bits, bf16 as
    uint16 bits), without re-quantization. Checks the shapes."""
    def get(key):
        if prefix + "." + key not in tensors:
            raise KeyError("%s.%s not in the checkpoint" % (prefix, key))
        return tensors[prefix + "." + key]
    if prefix + ".weight_g_idx" in tensors:
        raise ValueError("%s has weight_g_idx (activation ordering), which "
                         "qembed does not support" % prefix)
    shape = np.asarray(get("weight_shape")).reshape(-1)
    if shape.size != 2:
        raise ValueError("%s.weight_shape must have 2 entries, got %s"
                         % (prefix, shape.tolist()))
    rows, cols = int(shape[0]), int(shape[1])
    packed = np.ascontiguousarray(get("weight_packed"))
    scales = np.ascontiguousarray(get("weight_scale"))
    if scale_kind == "f16":
        scales = scales.view(np.float16)
    groups = 1 if group_size == 0 else cols // max(group_size, 1)
    words = (cols * bits + 31) // 32
    if packed.dtype != np.int32 or packed.shape != (rows, words):
        raise ValueError("%s.weight_packed must be int32 of shape (%d, %d) "
                         "for %d bits, got %s %s" % (prefix, rows, words,
                                                     bits, packed.dtype,
                                                     packed.shape))
    if scales.shape != (rows, groups):
        raise ValueError("%s.weight_scale must have shape (%d, %d), got %s"
                         % (prefix, rows, groups, scales.shape))
    zps = None
    if not symmetric:
        zps = _unpack_rows_dim0(np.asarray(get("weight_zero_point")), bits,
                                rows)
    return qembed.QuantizedTable(packed, scales, zps, cols, bits, group_size,
                                 symmetric, scale_kind)


def load_embedding(ckpt_dir, prefix=None):
    """Reads a pack-quantized embedding back as a QuantizedTable (no
    re-quantization)."""
    files, config_path = _source_files(ckpt_dir)
    tensors, kinds = {}, {}
    for f in files:
        for name, (st_dtype, arr) in read_safetensors(f)[0].items():
            tensors[name], kinds[name] = arr, _DTYPES[st_dtype][1]
    if prefix is None:
        prefix = find_prefix(tensors)
    if not config_path or not os.path.exists(config_path):
        raise ValueError("no config.json (quantization_config) next to %s"
                         % ckpt_dir)
    cfg = json.load(open(config_path))
    if "quantization_config" not in cfg:
        raise ValueError("%s has no quantization_config" % config_path)
    bits, group, symmetric = scheme_from_config(cfg["quantization_config"])
    kind = kinds.get(prefix + ".weight_scale")
    if kind is None:
        raise KeyError("%s.weight_scale not in the checkpoint" % prefix)
    return table_from_tensors(tensors, prefix, bits, group, symmetric, kind)


def _resource(name, arr):
    return '      %s: "0x%s"' % (name, (struct.pack("<I", 8) +
                                     np.ascontiguousarray(arr).tobytes()).hex())


def import_embedding(ckpt_dir, prefix=None, func_name="embed"):
    """MLIR text: func @embed(%ids: tensor<?xi64>) -> tensor<?xDxT> reading
    the checkpoint's packed constants through qembed.gather."""
    q = load_embedding(ckpt_dir, prefix)
    rows, words = q.packed.shape
    groups = q.scales.shape[1]
    t = q.scale_dtype
    scheme = "scheme <bits = %d, group_size = %d, %s, scale_type = %s>" % (
        q.bits, q.group_size, "symmetric" if q.symmetric else "asymmetric", t)
    p_t = "tensor<%dx%dxi32>" % (rows, words)
    s_t = "tensor<%dx%dx%s>" % (rows, groups, t)
    z_t = "tensor<%dx%dxi8>" % (rows, groups)
    out_t = "tensor<?x%dx%s>" % (q.cols, t)
    lines = ["func.func @%s(%%ids: tensor<?xi64>) -> %s {" % (func_name, out_t),
             "  %%p = arith.constant dense_resource<qembed_packed> : %s" % p_t,
             "  %%s = arith.constant dense_resource<qembed_scales> : %s" % s_t]
    resources = [_resource("qembed_packed", q.packed),
                 _resource("qembed_scales", q.scales)]
    zp, ztype = "", ""
    if not q.symmetric:
        lines.append("  %%z = arith.constant dense_resource<qembed_zero_points>"
                     " : %s" % z_t)
        resources.append(_resource("qembed_zero_points", q.zero_points))
        zp, ztype = " zero_points(%z)", ", " + z_t
    lines += ["  %%r = qembed.gather %%p[%%ids] scales(%%s)%s %s : %s, %s, "
              "tensor<?xi64>%s -> %s" % (zp, scheme, p_t, s_t, ztype, out_t),
              "  return %%r : %s" % out_t, "}",
              "{-#", "  dialect_resources: {", "    builtin: {",
              ",\n".join(resources), "    }", "  }", "#-}"]
    return "\n".join(lines) + "\n"
