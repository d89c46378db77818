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
import math
import os
import re
import shutil
import struct
import tempfile
import warnings

import numpy as np

import qembed
from qembed import CheckpointError

_DTYPES = {"F32": (np.float32, "f32"), "F16": (np.uint16, "f16"),
           "BF16": (np.uint16, "bf16"), "I32": (np.int32, None),
           "I64": (np.int64, None), "I8": (np.int8, None),
           "U8": (np.uint8, None), "F64": (np.float64, None),
           # float8_e4m3fn (FP8 codes, NVFP4 scales) as raw bytes
           "F8_E4M3": (np.uint8, None)}
_ST_NAME = {"f32": "F32", "f16": "F16", "bf16": "BF16"}
# The safetensors format's own limit on the JSON header.
_MAX_HEADER = 100_000_000


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _check_header(path, header, data_len):
    """Validates every tensor entry of a parsed safetensors header against
    the `data_len` bytes that follow it. Returns the entries sorted by
    offset."""
    if not isinstance(header, dict):
        raise CheckpointError("%s: the safetensors header is not a JSON object"
                              % path)
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict):
        raise CheckpointError("%s: __metadata__ is not a JSON object" % path)
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        where = "%s: tensor %r" % (path, name)
        if not isinstance(info, dict):
            raise CheckpointError("%s: entry is not a JSON object" % where)
        for key in ("dtype", "shape", "data_offsets"):
            if key not in info:
                raise CheckpointError("%s has no %r" % (where, key))
        dtype, shape, offsets = (info["dtype"], info["shape"],
                                 info["data_offsets"])
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise CheckpointError("%s: unsupported safetensors dtype %r"
                                  % (where, dtype))
        if (not isinstance(shape, list)
                or not all(_is_int(d) and d >= 0 for d in shape)):
            raise CheckpointError("%s: shape %r is not a list of integers "
                                  ">= 0" % (where, shape))
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(_is_int(o) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError("%s: data_offsets %r are not [begin, end] "
                                  "with 0 <= begin <= end" % (where, offsets))
        begin, end = offsets
        if end > data_len:
            raise CheckpointError("%s: data_offsets [%d, %d] run past the end "
                                  "of the data (%d bytes)"
                                  % (where, begin, end, data_len))
        nbytes = math.prod(shape) * np.dtype(_DTYPES[dtype][0]).itemsize
        if nbytes != end - begin:
            raise CheckpointError("%s: shape %s of %s needs %d bytes, "
                                  "data_offsets span %d"
                                  % (where, shape, dtype, nbytes, end - begin))
        entries.append((begin, end, name, dtype, shape))
    entries.sort()
    for (b0, e0, n0, _, _), (b1, e1, n1, _, _) in zip(entries, entries[1:]):
        if b1 < e0:
            raise CheckpointError("%s: tensors %r and %r overlap (bytes %d-%d "
                                  "and %d-%d)" % (path, n0, n1, b0, e0, b1, e1))
    return entries, meta


def read_safetensors(path):
    """Returns ({name: (safetensors dtype, numpy array)}, metadata). F16 and
    BF16 come back as uint16 bit patterns. A file that is not a valid
    safetensors file raises CheckpointError saying what is wrong."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError("%s: %d bytes is too short for a "
                                  "safetensors file (8-byte header length)"
                                  % (path, len(head)))
        n = struct.unpack("<Q", head)[0]
        if n < 2 or n > _MAX_HEADER or n > size - 8:
            raise CheckpointError("%s: header length %d is not within the "
                                  "file (%d bytes after the length) and the "
                                  "format's limit of %d bytes"
                                  % (path, n, size - 8, _MAX_HEADER))
        raw = f.read(n)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise CheckpointError("%s: the header is not valid JSON: %s"
                                  % (path, err)) from None
        data = f.read()
    entries, meta = _check_header(path, header, len(data))
    out = {}
    for begin, end, name, dtype, shape in entries:
        arr = np.frombuffer(data, dtype=_DTYPES[dtype][0],
                            count=(end - begin) // np.dtype(
                                _DTYPES[dtype][0]).itemsize, offset=begin)
        out[name] = (dtype, arr.reshape(shape))
    return out, meta


def _write_temp(path, write):
    """Calls write(file) on a new temporary file in the folder of `path`
    and returns its name; on an error the file is removed."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path),
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _write_atomically(path, write):
    """Writes `path` through a temporary file renamed at the end, so `path`
    is either left as it was or completely written."""
    os.replace(_write_temp(path, write), path)


def _safetensors_writer(tensors, metadata):
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

    def write(f):
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)
    return write


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: (safetensors dtype, numpy array)}. Written to a
    temporary file and renamed, so `path` is never left half-written."""
    _write_atomically(path, _safetensors_writer(tensors, metadata))


def _source_files(src):
    if os.path.isdir(src):
        files = sorted(os.path.join(src, f) for f in os.listdir(src)
                       if f.endswith(".safetensors"))
        if not files:
            raise CheckpointError("no .safetensors file in %s" % src)
        return files, os.path.join(src, "config.json")
    if not os.path.isfile(src):
        raise CheckpointError("%s: no such file or folder" % src)
    return [src], None


def _read_config(path):
    """config.json as a dict ({} when `path` is None or absent)."""
    if path is None or not os.path.exists(path):
        return {}
    try:
        with open(path, "rb") as f:
            config = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise CheckpointError("%s is not valid JSON: %s" % (path, err)) \
            from None
    if not isinstance(config, dict):
        raise CheckpointError("%s is not a JSON object" % path)
    return config


# The input embedding's tensor by config.json's model_type, then by the
# names common models use (Llama/Mistral/Gemma/Qwen: embed_tokens; GPT-2:
# transformer.wte; BERT: embeddings.word_embeddings; T5: shared).
_EMBEDDING_BY_MODEL_TYPE = {
    "gpt2": "wte.weight", "gpt_neo": "wte.weight", "gptj": "wte.weight",
    "bert": "embeddings.word_embeddings.weight",
    "roberta": "embeddings.word_embeddings.weight",
    "t5": "shared.weight", "mt5": "shared.weight"}
_EMBEDDING_SUFFIXES = ("embed_tokens.weight", "wte.weight",
                       "word_embeddings.weight", "shared.weight")
# The output projection a tied embedding doubles as, by model_type.
_HEAD_BY_MODEL_TYPE = {"bert": "cls.predictions.decoder.weight",
                       "roberta": "lm_head.decoder.weight"}
# Architectures (config.json "architectures") that have an LM head.
_HEAD_ARCHITECTURE = re.compile(
    r"(ForCausalLM|LMHeadModel|ForConditionalGeneration|ForMaskedLM)$")
# Files of a Hugging Face model folder copied next to the checkpoint.
_COPIED_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model",
                 "special_tokens_map.json", "added_tokens.json", "vocab.json",
                 "merges.txt", "vocab.txt", "spiece.model",
                 "sentencepiece.bpe.model", "generation_config.json",
                 "chat_template.jinja", "chat_template.json")


class TiedEmbeddingWarning(UserWarning):
    """The quantized embedding is also the model's (tied) output head."""


def _ends_with(name, suffix):
    return name == suffix or name.endswith("." + suffix)


def _find_embedding(tensors, name, config=None):
    """The input embedding's tensor name: `name` when given, else the one
    config.json's model_type names, else the one tensor ending in a common
    embedding name (the first of _EMBEDDING_SUFFIXES that matches)."""
    if name is not None:
        if name not in tensors:
            raise CheckpointError("tensor %r not in the checkpoint" % name)
        return name
    model_type = (config or {}).get("model_type")
    suffixes = _EMBEDDING_SUFFIXES
    if model_type in _EMBEDDING_BY_MODEL_TYPE:
        suffixes = (_EMBEDDING_BY_MODEL_TYPE[model_type],)
    for suffix in suffixes:
        hits = sorted(n for n in tensors if _ends_with(n, suffix))
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise CheckpointError("pass tensor=... (--tensor): %d tensors "
                                  "named *%s (%s)"
                                  % (len(hits), suffix, ", ".join(hits[:5])))
    raise CheckpointError("no input embedding found (looked for %s%s); "
                          "pass tensor=... (--tensor)"
                          % (", ".join("*" + s for s in suffixes),
                             " for model_type %r" % model_type
                             if model_type in _EMBEDDING_BY_MODEL_TYPE
                             else ""))


def _tied_head(tensors, config, name):
    """The output head's tensor name when the embedding `name` is tied to it
    (config tie_word_embeddings true, or an LM-head model whose checkpoint
    has no head tensor), else None."""
    archs = config.get("architectures") or []
    if archs and not any(isinstance(a, str) and _HEAD_ARCHITECTURE.search(a)
                         for a in archs):
        return None  # e.g. BertModel: no output head at all
    head = _HEAD_BY_MODEL_TYPE.get(config.get("model_type"), "lm_head.weight")
    tied = config.get("tie_word_embeddings") is True
    if not archs and not tied:
        return None  # nothing says there is a head
    if tied or head not in tensors:
        return head
    return None


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


# compressed-tensors 0.20 formats of the float schemes (FP8 / FP8_DYNAMIC,
# NVFP4A16, MXFP4A16 presets): the compressor and the weights arguments as
# QuantizationArgs.model_dump() writes them.
_FLOAT_CT_FORMAT = {"fp8": "float-quantized", "nvfp4": "nvfp4-pack-quantized",
                    "mxfp4": "mxfp4-pack-quantized"}


def float_quantization_config(fmt, per_tensor, targets):
    """The `quantization_config` block of a float-format embedding."""
    weights = {"num_bits": 8 if fmt == "fp8" else 4, "type": "float",
               "symmetric": True, "dynamic": False}
    if fmt == "fp8":
        weights.update(group_size=None,
                       strategy="tensor" if per_tensor else "channel")
    elif fmt == "nvfp4":
        weights.update(group_size=16, strategy="tensor_group",
                       scale_dtype="torch.float8_e4m3fn")
    else:
        weights.update(group_size=32, strategy="group",
                       scale_dtype="torch.uint8")
    ct_format = _FLOAT_CT_FORMAT[fmt]
    return {"quant_method": "compressed-tensors", "format": ct_format,
            "quantization_status": "compressed",
            "config_groups": {"group_0": {
                "targets": targets, "weights": weights,
                "input_activations": None, "output_activations": None,
                "format": ct_format}},
            "ignore": [], "kv_cache_scheme": None,
            "global_compression_ratio": None}


def float_tensors(q, prefix, st_dtype):
    """{name: (safetensors dtype, array)} of a float-format QuantizedTable as
    compressed-tensors' compressors store it: fp8 `weight` (F8_E4M3
    [rows, cols]) and `weight_scale` ([rows, 1], or [1] per tensor, in the
    table dtype); nvfp4 / mxfp4 `weight_packed` (U8 [rows, cols/2]) and
    `weight_scale` (F8_E4M3 [rows, cols/16] / U8 E8M0 [rows, cols/32]), plus
    nvfp4's F32 [1] `weight_global_scale`."""
    rows = q.packed.shape[0]
    codes = np.ascontiguousarray(q.packed).view(np.uint8)
    scales = np.ascontiguousarray(q.scales)
    if q.format == "fp8":
        scales = scales.view(np.uint16) if st_dtype != "F32" else scales
        if q.per_tensor:
            scales = scales.reshape(-1)[:1].copy()
        return {prefix + ".weight": ("F8_E4M3",
                                     codes[:, :q.cols].copy()),
                prefix + ".weight_scale": (st_dtype, scales)}
    out = {prefix + ".weight_packed": ("U8", codes[:, :q.cols // 2].copy()),
           prefix + ".weight_scale": (
               "F8_E4M3" if q.format == "nvfp4" else "U8", scales)}
    if q.format == "nvfp4":
        out[prefix + ".weight_global_scale"] = (
            "F32", np.array([q.global_scale], dtype=np.float32))
    assert out[prefix + ".weight_packed"][1].shape == (rows, q.cols // 2)
    return out


def float_scheme_from_config(cfg):
    """(format, per_tensor) of a float-format `quantization_config`, checked
    against the compressed-tensors presets qembed reads exactly."""
    fmt = {v: k for k, v in _FLOAT_CT_FORMAT.items()}.get(cfg.get("format"))
    groups_cfg = cfg.get("config_groups")
    if fmt is None or not isinstance(groups_cfg, dict) or len(groups_cfg) != 1:
        raise CheckpointError("not a float-quantized, nvfp4-pack-quantized or "
                              "mxfp4-pack-quantized checkpoint with one "
                              "config group")
    w = next(iter(groups_cfg.values()))
    w = w.get("weights") if isinstance(w, dict) else None
    if not isinstance(w, dict) or w.get("type") != "float":
        raise CheckpointError("%s: the config group has no float weights"
                              % cfg.get("format"))
    want = float_quantization_config(fmt, w.get("strategy") == "tensor",
                                     [])["config_groups"]["group_0"]["weights"]
    for key in ("num_bits", "strategy", "group_size", "symmetric"):
        if w.get(key) != want[key]:
            raise CheckpointError("%s: weights.%s must be %r, got %r" % (
                cfg.get("format"), key, want[key], w.get(key)))
    if fmt != "fp8" and w.get("scale_dtype") not in (None,
                                                       want["scale_dtype"]):
        raise CheckpointError("%s: weights.scale_dtype must be %r, got %r" % (
            cfg.get("format"), want["scale_dtype"], w.get("scale_dtype")))
    return fmt, w.get("strategy") == "tensor"


def float_table_from_tensors(tensors, st_dtypes, prefix, fmt, per_tensor):
    """A float-format QuantizedTable from compressed-tensors tensors, every
    shape and dtype checked (CheckpointError)."""
    if fmt == "fp8":
        name = prefix + ".weight"
        codes = _array(tensors, name, (np.uint8,), None, "weight")
        if st_dtypes.get(name) != "F8_E4M3" or codes.ndim != 2:
            raise CheckpointError("%s must be a 2-D F8_E4M3 tensor" % name)
        rows, cols = codes.shape
        sname = prefix + ".weight_scale"
        st = st_dtypes.get(sname)
        if st not in _ST_NAME.values():
            raise CheckpointError("%s must be F32, F16 or BF16, got %s"
                                  % (sname, st))
        kind = _DTYPES[st][1]
        scales = _array(tensors, sname, (_DTYPES[st][0],),
                        (1,) if per_tensor else (rows, 1), "weight_scale")
        scales = np.ascontiguousarray(
            np.broadcast_to(scales.reshape(-1, 1), (rows, 1)))
        words = (cols + 3) // 4
        padded = np.zeros((rows, words * 4), dtype=np.uint8)
        padded[:, :cols] = codes
        if kind == "f16":
            scales = scales.view(np.float16)
        return qembed.QuantizedTable(
            padded.view(np.int32), scales, None, cols, 8, 0, True, kind,
            format="fp8", per_tensor=per_tensor)
    name = prefix + ".weight_packed"
    packed = _array(tensors, name, (np.uint8,), None, "weight_packed")
    if st_dtypes.get(name) != "U8" or packed.ndim != 2:
        raise CheckpointError("%s must be a 2-D U8 tensor" % name)
    rows, cols = packed.shape[0], packed.shape[1] * 2
    group = 16 if fmt == "nvfp4" else 32
    if cols % group:
        raise CheckpointError("%s: %d columns are not a multiple of %s's "
                              "group of %d" % (name, cols, fmt, group))
    sname = prefix + ".weight_scale"
    scales = _array(tensors, sname, (np.uint8,), (rows, cols // group),
                    "weight_scale")
    want = "F8_E4M3" if fmt == "nvfp4" else "U8"
    if st_dtypes.get(sname) != want:
        raise CheckpointError("%s must be %s, got %s"
                              % (sname, want, st_dtypes.get(sname)))
    gscale = 1.0
    if fmt == "nvfp4":
        g = _array(tensors, prefix + ".weight_global_scale", (np.float32,),
                   (1,), "weight_global_scale")
        gscale = float(g[0])
        if not math.isfinite(gscale) or gscale == 0:
            raise CheckpointError("weight_global_scale must be finite and "
                                  "non-zero, got %r" % gscale)
    words = np.ascontiguousarray(packed).view(np.int32)
    # The dequantized table's dtype is not stored: qembed uses bf16, what
    # compressed-tensors' decompressor returns.
    return qembed.QuantizedTable(words, np.ascontiguousarray(scales), None,
                                 cols, 4, group, True, "bf16",
                                 format=fmt, global_scale=gscale)


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


def export_embedding(src, dst_dir, tensor=None, bits=None, group_size=None,
                     symmetric=True, untie=False, format="int",
                     per_tensor=False):
    """Writes dst_dir/model.safetensors (the input embedding compressed,
    every other tensor unchanged), dst_dir/config.json with a
    `quantization_config` that targets exactly that module, and copies of
    the tokenizer, generation-config and special-tokens files. Returns the
    QuantizedTable.

    The embedding is `tensor`, or found by config.json's model_type and
    common names (embed_tokens, GPT-2's wte, BERT's word_embeddings, T5's
    shared). When it is tied to the output head (tie_word_embeddings, or an
    LM-head model whose checkpoint has no head tensor), loaders would tie
    the head to the quantized table: a TiedEmbeddingWarning says so, and
    untie=True writes the head as a dense copy of the original table (so it
    stays exact) and sets tie_word_embeddings to false.

    Everything is read, checked and quantized before anything is written;
    the files are written to temporary names and renamed at the end, so a
    failure leaves no partial output.

    format="fp8" | "nvfp4" | "mxfp4" writes compressed-tensors 0.20's
    float-quantized / nvfp4-pack-quantized / mxfp4-pack-quantized layout
    (see float_tensors) instead of pack-quantized; bits and group_size are
    then the format's."""
    if format == "int":
        bits = 4 if bits is None else bits
        group_size = 64 if group_size is None else group_size
    qembed._check_format(format, bits if format != "int" else None,
                         group_size if format != "int" else None, symmetric,
                         None, per_tensor)
    files, config_path = _source_files(src)
    tensors = {}
    for f in files:
        tensors.update(read_safetensors(f)[0])
    config = _read_config(config_path)
    name = _find_embedding(tensors, tensor, config)
    st_dtype, weight = tensors[name]
    if st_dtype not in _ST_NAME.values() or weight.ndim != 2:
        raise CheckpointError("%s has dtype %s and shape %s; expected a 2-D "
                              "F32, F16 or BF16 tensor"
                              % (name, st_dtype, list(weight.shape)))
    head = _tied_head(tensors, config, name)
    if head is not None and untie and config.get("model_type") in (
            "t5", "mt5"):
        raise CheckpointError(
            "--untie is not exact for T5: a tied T5 scales the decoder output "
            "by d_model**-0.5, an untied one does not")
    kind = _DTYPES[st_dtype][1]
    table = weight.view(np.float16) if kind == "f16" else weight
    if format != "int":
        q = qembed.quantize(table, dtype=kind, error_stats=False,
                            format=format, per_tensor=per_tensor)
    else:
        q = qembed.quantize(table, bits=bits, group_size=group_size,
                            symmetric=symmetric, dtype=kind,
                            error_stats=False)
    del tensors[name]
    prefix = name[:-len(".weight")] if name.endswith(".weight") else name
    scales = q.scales.view(np.uint16) if kind != "f32" else q.scales
    if format != "int":
        tensors.update(float_tensors(q, prefix, st_dtype))
    else:
        tensors[prefix + ".weight_packed"] = ("I32", q.packed)
        tensors[prefix + ".weight_scale"] = (st_dtype, scales)
        tensors[prefix + ".weight_shape"] = ("I64", np.array(
            weight.shape, dtype=np.int64))
    if not symmetric:
        tensors[prefix + ".weight_zero_point"] = (
            "I32", _pack_rows_dim0(q.zero_points, bits))
    if head is not None:
        if untie:
            if head not in tensors:
                tensors[head] = (st_dtype, weight)
            config["tie_word_embeddings"] = False
        else:
            warnings.warn(
                "%s is tied to the output head (%s): loaders tie the head to "
                "the quantized embedding, so the logits change too; pass "
                "untie=True (--untie) to write %s as a dense copy of the "
                "original table" % (name, head, head), TiedEmbeddingWarning,
                stacklevel=2)
    # Target the module by its full name: the class name "Embedding" would
    # also match GPT-2's wpe or BERT's position embeddings.
    if format != "int":
        config["quantization_config"] = float_quantization_config(
            format, per_tensor, [prefix])
    else:
        config["quantization_config"] = quantization_config(
            bits, group_size, symmetric, kind, [prefix])
    config_text = json.dumps(config, indent=2, sort_keys=True).encode()
    copied = []
    if config_path is not None:
        folder = os.path.dirname(config_path)
        copied = [f for f in _COPIED_FILES
                  if os.path.isfile(os.path.join(folder, f))]

    # Every file goes to a temporary name in dst_dir first; all are renamed
    # only once all are complete.
    created = not os.path.isdir(dst_dir)
    os.makedirs(dst_dir, exist_ok=True)
    temps = []

    def copier(path):
        def write(f):
            with open(path, "rb") as src_file:
                shutil.copyfileobj(src_file, f)
        return write
    outputs = [("model.safetensors",
                _safetensors_writer(tensors, {"format": "pt"})),
               ("config.json", lambda f: f.write(config_text))] + [
        (f, copier(os.path.join(os.path.dirname(config_path), f)))
        for f in copied]
    try:
        for out_name, write in outputs:
            temps.append((_write_temp(os.path.join(dst_dir, out_name), write),
                          out_name))
        for tmp, out_name in temps:
            os.replace(tmp, os.path.join(dst_dir, out_name))
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        if created and not os.listdir(dst_dir):
            os.rmdir(dst_dir)
        raise
    return q


def find_prefix(names):
    """The one `<prefix>` with a `<prefix>.weight_packed` among `names`."""
    found = [n[:-len(".weight_packed")] for n in names
             if n.endswith(".weight_packed")]
    if len(found) != 1:
        raise CheckpointError("pass prefix=...: %d packed weights (%s)"
                              % (len(found), ", ".join(found[:5])))
    return found[0]


def scheme_from_config(cfg):
    """(bits, group_size, symmetric) of a `quantization_config` block, every
    field checked (CheckpointError names the one that is wrong)."""
    if not isinstance(cfg, dict):
        raise CheckpointError("quantization_config must be an object")
    if cfg.get("format") != "pack-quantized":
        raise CheckpointError("not a pack-quantized checkpoint: format %r"
                              % cfg.get("format"))
    groups_cfg = cfg.get("config_groups")
    if not isinstance(groups_cfg, dict) or len(groups_cfg) != 1:
        raise CheckpointError("quantization_config must have exactly one "
                              "config group")
    group_cfg = next(iter(groups_cfg.values()))
    weights = group_cfg.get("weights") if isinstance(group_cfg, dict) else None
    if not isinstance(weights, dict):
        raise CheckpointError("the config group has no weights object")
    if weights.get("type", "int") != "int":
        raise CheckpointError("only INT weights are supported")
    bits, symmetric = weights.get("num_bits"), weights.get("symmetric")
    if not _is_int(bits) or not 2 <= bits <= 8:
        raise CheckpointError("num_bits must be an integer in [2, 8], got %r"
                              % (bits,))
    if not isinstance(symmetric, bool):
        raise CheckpointError("symmetric must be true or false, got %r"
                              % (symmetric,))
    strategy = weights.get("strategy")
    if strategy == "channel":
        group = 0
    elif strategy == "group":
        group = weights.get("group_size")
        if not _is_int(group) or group <= 0:
            raise CheckpointError("group_size must be an integer > 0, got %r"
                                  % (group,))
    else:
        raise CheckpointError("strategy must be 'channel' or 'group', got %r"
                              % (strategy,))
    return bits, group, symmetric


def _array(tensors, name, dtypes, shape, what):
    """tensors[name] (a numpy array) checked to have one of the numpy
    `dtypes` and `shape`."""
    if name not in tensors:
        raise CheckpointError("the checkpoint has no %s (%s)" % (what, name))
    arr = np.asarray(tensors[name])
    if arr.dtype not in [np.dtype(d) for d in dtypes]:
        raise CheckpointError("%s has dtype %s; expected %s" % (
            name, arr.dtype, " or ".join(np.dtype(d).name for d in dtypes)))
    if shape is not None and tuple(arr.shape) != tuple(shape):
        raise CheckpointError("%s has shape %s; expected %s"
                              % (name, list(arr.shape), list(shape)))
    return arr


def table_from_tensors(tensors, prefix, bits, group_size, symmetric,
                       scale_kind):
    """A QuantizedTable from the compressed-tensors tensors of `prefix`
    ({name: numpy array}; f16 scales as float16 or uint16 bits, bf16 as
    uint16 bits), without re-quantization. Every shape and dtype is checked
    against weight_shape and the scheme (CheckpointError)."""
    if prefix + ".weight_g_idx" in tensors:
        raise CheckpointError("%s has weight_g_idx (activation ordering), "
                              "which qembed does not support" % prefix)
    shape = _array(tensors, prefix + ".weight_shape", (np.int64, np.int32),
                   (2,), "weight_shape")
    rows, cols = (int(x) for x in shape)
    if rows <= 0 or cols <= 0:
        raise CheckpointError("weight_shape %s must be positive"
                              % [rows, cols])
    if group_size and cols % group_size:
        raise CheckpointError("group_size %d does not divide the row length "
                              "%d" % (group_size, cols))
    groups = 1 if group_size == 0 else cols // group_size
    packed = _array(tensors, prefix + ".weight_packed", (np.int32,),
                    (rows, (cols * bits + 31) // 32), "weight_packed")
    scale_dtypes = {"f32": (np.float32,), "f16": (np.float16, np.uint16),
                    "bf16": (np.uint16,)}.get(scale_kind)
    if scale_dtypes is None:
        raise CheckpointError("scales must be f32, f16 or bf16, got %r"
                              % (scale_kind,))
    scales = _array(tensors, prefix + ".weight_scale", scale_dtypes,
                    (rows, groups), "weight_scale")
    if scale_kind == "f16":
        scales = scales.view(np.float16)
    zps = None
    if not symmetric:
        zp_packed = _array(tensors, prefix + ".weight_zero_point",
                           (np.int32,), ((rows * bits + 31) // 32, groups),
                           "weight_zero_point")
        zps = _unpack_rows_dim0(zp_packed, bits, rows)
    return qembed.QuantizedTable(np.ascontiguousarray(packed),
                                 np.ascontiguousarray(scales), zps, cols,
                                 bits, group_size, symmetric, scale_kind)


def load_embedding(ckpt_dir, prefix=None):
    """Reads a pack-quantized embedding back as a QuantizedTable (no
    re-quantization). Every field the module depends on is checked against
    the others (bits, group size, weight_shape, tensor shapes and dtypes);
    an inconsistent checkpoint raises CheckpointError."""
    files, config_path = _source_files(ckpt_dir)
    if config_path is None:
        raise CheckpointError("%s: pass the checkpoint folder (with "
                              "config.json), not a file" % ckpt_dir)
    tensors, st_dtypes = {}, {}
    for f in files:
        for name, (st_dtype, arr) in read_safetensors(f)[0].items():
            tensors[name], st_dtypes[name] = arr, st_dtype
    is_float = _config_format(config_path) in _FLOAT_CT_FORMAT.values()
    if prefix is None and not is_float:
        prefix = find_prefix(tensors)
    if not os.path.exists(config_path):
        raise CheckpointError("%s: no config.json" % ckpt_dir)
    cfg = _read_config(config_path).get("quantization_config")
    if not isinstance(cfg, dict):
        raise CheckpointError("%s has no quantization_config object"
                              % config_path)
    if cfg.get("format") in _FLOAT_CT_FORMAT.values():
        if prefix is None:
            prefix = _find_float_prefix(tensors)
        fmt, per_tensor = float_scheme_from_config(cfg)
        return float_table_from_tensors(tensors, st_dtypes, prefix, fmt,
                                        per_tensor)
    bits, group, symmetric = scheme_from_config(cfg)
    name = prefix + ".weight_scale"
    if name not in st_dtypes:
        raise CheckpointError("the checkpoint has no weight_scale (%s)" % name)
    if st_dtypes[name] not in _ST_NAME.values():
        raise CheckpointError("%s has dtype %s; expected %s" % (
            name, st_dtypes[name], " or ".join(_ST_NAME.values())))
    return table_from_tensors(tensors, prefix, bits, group, symmetric,
                              _DTYPES[st_dtypes[name]][1])


def _config_format(config_path):
    """quantization_config.format of config.json, or None."""
    if config_path is None or not os.path.exists(config_path):
        return None
    cfg = _read_config(config_path).get("quantization_config")
    return cfg.get("format") if isinstance(cfg, dict) else None


def _float_prefixes(tensors):
    """Prefixes with the tensors of a float-format table: `weight_packed`
    (nvfp4 / mxfp4) or an fp8 `weight` next to a `weight_scale`."""
    out = [n[:-len(".weight_packed")] for n in tensors
           if n.endswith(".weight_packed")]
    out += [n[:-len(".weight_scale")] for n in tensors
            if n.endswith(".weight_scale")
            and n[:-len("_scale")] in tensors]
    return out


def _find_float_prefix(tensors):
    found = _float_prefixes(tensors)
    if len(found) != 1:
        raise CheckpointError("pass prefix=...: %d quantized weights (%s)"
                              % (len(found), ", ".join(found[:5])))
    return found[0]


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
    fmt = getattr(q, "format", "int")
    st = {"nvfp4": "f8E4M3FN", "mxfp4": "f8E8M0FNU"}.get(fmt, t)
    extra = ""
    if fmt != "int":
        extra = ", format = %s" % fmt
    if fmt == "nvfp4":
        # 9 significant digits read back as the same f32 (an exponent keeps
        # it a float literal).
        extra += ", global_scale = %.8e" % q.global_scale
    scheme = "scheme <bits = %d, group_size = %d, %s, scale_type = %s%s>" % (
        q.bits, q.group_size, "symmetric" if q.symmetric else "asymmetric",
        st, extra)
    p_t = "tensor<%dx%dxi32>" % (rows, words)
    s_t = "tensor<%dx%dx%s>" % (rows, groups, st)
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
