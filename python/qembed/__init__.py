"""qembed: data-free quantization of embedding tables, and the qembed MLIR
compiler in-process.

Numerics (the same C++ library the compiler's passes and folders use, so
results are bit-identical):

    q = qembed.quantize(table, bits=4, group_size=64)   # numpy in, numpy out
    rows = qembed.dequantize(q)

MLIR:

    text = qembed.run_pipeline(module_text, "quantize-embeddings{bits=4}")

Tables are 2-D numpy arrays of float32 or float16; bfloat16 tables are
passed as uint16 bit patterns with dtype="bf16" (numpy has no bfloat16), or
as ml_dtypes.bfloat16 arrays. Scales of a bf16 scale type are returned as
uint16 bit patterns.
"""

__version__ = "0.3.5"  # also the key of the GPU kernel cache: bump when kernels change

import os
import re
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._cuda import CudaError

# The compiler extension. Without it (a GPU machine that only runs kernels
# compiled elsewhere, from qembed.torch's kernel cache) the package still
# imports; the functions that need it raise ImportError saying why.
try:
    from . import _qembed
    from ._qembed import MLIRError
    _EXTENSION_ERROR = None
except ImportError as _e:
    _qembed = None
    _EXTENSION_ERROR = _e

    class MLIRError(RuntimeError):
        """MLIR parse or pass failure (the extension is missing here)."""

__all__ = ["CudaError", "MLIRError", "CheckpointError", "QuantizedTable",
           "TableLeftDenseWarning",
           "quantize",
           "quantize_codes", "pack", "dequantize", "gather", "gather_bags",
           "run_pipeline", "quantize_embeddings", "run_pipeline_file",
           "quantize_embeddings_file", "extension_available",
           "CodebookTable", "quantize_vq", "dequantize_vq", "gather_vq"]


def extension_available():
    """True when the compiler extension (qembed._qembed) is importable."""
    return _qembed is not None


def _native():
    """The compiler extension, or ImportError when it could not be loaded."""
    if _qembed is None:
        raise ImportError(
            "qembed's compiler extension (qembed._qembed) could not be "
            "imported (%s); the compiler and numerics functions need it. "
            "Build it with `pip install .` from a qembed checkout."
            % _EXTENSION_ERROR)
    return _qembed


class TableLeftDenseWarning(UserWarning):
    """quantize_embeddings left a table dense (a `table left dense: <why>`
    remark of --qembed-quantize)."""


class CheckpointError(ValueError):
    """A checkpoint (safetensors file, config.json, quantization_config)
    that qembed cannot read: the message says which file and field."""


_NAMES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16",
          "bf16": "bf16", "bfloat16": "bf16"}


def _kind_name(dtype, what):
    if dtype is None:
        return None
    key = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if key not in _NAMES:
        raise ValueError("%s must be f32, f16 or bf16, got %r" % (what, dtype))
    return _NAMES[key]


def _table_storage(table, dtype):
    """Returns (contiguous 2-D array of the raw storage, kind name)."""
    if not isinstance(table, np.ndarray):
        raise TypeError("table must be a numpy array, got %s"
                        % type(table).__name__)
    if table.ndim != 2:
        raise ValueError("table must be 2-D (rows x columns), got shape %s"
                         % (table.shape,))
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise ValueError("table must not be empty, got shape %s"
                         % (table.shape,))
    kind = _kind_name(dtype, "dtype")
    name = table.dtype.name
    if kind is None:
        if name in ("float32", "float16", "bfloat16"):
            kind = _NAMES[name]
        else:
            raise TypeError("table dtype %s is not float32, float16 or "
                            "bfloat16 (pass uint16 bit patterns with "
                            "dtype='bf16')" % name)
    if kind == "bf16":
        if name not in ("uint16", "bfloat16"):
            raise TypeError("a bf16 table must be uint16 bit patterns or "
                            "ml_dtypes.bfloat16, got %s" % name)
        table = table.view(np.uint16)
    elif name != {"f32": "float32", "f16": "float16"}[kind]:
        raise TypeError("table dtype %s does not match dtype=%r"
                        % (name, dtype))
    return np.ascontiguousarray(table), kind


def _scales_out(raw, kind):
    return raw.view(np.float16) if kind == "f16" else raw


def _scales_in(scales, kind):
    scales = np.ascontiguousarray(scales)
    want = {"f32": "float32", "f16": "float16", "bf16": "uint16"}[kind]
    name = scales.dtype.name
    if kind == "bf16" and name == "bfloat16":
        return scales.view(np.uint16)
    if name != want:
        raise TypeError("scales of type %s must be %s, got %s"
                        % (kind, want, name))
    return scales.view(np.uint16) if kind == "f16" else scales


def _check_options(bits, group_size):
    if not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 8:
        raise ValueError("bits must be an integer in [2, 8], got %r" % (bits,))
    if not isinstance(group_size, (int, np.integer)) or group_size < 0:
        raise ValueError("group_size must be an integer >= 0 (0 = one scale "
                         "per row), got %r" % (group_size,))


@dataclass
class QuantizedTable:
    """A table in compressed-tensors pack-quantized form."""
    packed: np.ndarray                 # int32 [rows, ceil(cols*bits/32)]
    scales: np.ndarray                 # [rows, groups] in scale_dtype
    zero_points: Optional[np.ndarray]  # int8 [rows, groups] or None
    cols: int
    bits: int
    group_size: int                    # 0 = one scale per row
    symmetric: bool
    scale_dtype: str                   # "f32", "f16" or "bf16"
    max_abs_error: float = float("nan")
    sqnr_db: float = float("nan")
    # Float formats (FloatFormats.h): "int", "fp8", "nvfp4" or "mxfp4".
    # fp8 scales are [rows, 1] in the table dtype (scale_dtype); nvfp4 /
    # mxfp4 scales are uint8 [rows, cols/16 | cols/32] E4M3FN bytes / E8M0
    # codes, and scale_dtype is the table's dtype.
    format: str = "int"
    global_scale: float = 1.0          # nvfp4's f32 weight_global_scale
    per_tensor: bool = False           # fp8: one scale for the whole table


FORMATS = ("int", "fp8", "nvfp4", "mxfp4")
_FORMAT_BITS = {"fp8": 8, "nvfp4": 4, "mxfp4": 4}
_FORMAT_GROUP = {"fp8": 0, "nvfp4": 16, "mxfp4": 32}


def _check_format(format, bits, group_size, symmetric, scale_dtype,
                  per_tensor):
    """Checks the options of a float format (which fixes bits, group size,
    symmetry and scale dtype: passing another value is a ValueError)."""
    if format not in FORMATS:
        raise ValueError("format must be one of %s, got %r"
                         % (", ".join(FORMATS), format))
    if format == "int":
        if per_tensor:
            raise ValueError("per_tensor is only for format='fp8'")
        return
    if bits is not None and bits != _FORMAT_BITS[format]:
        raise ValueError("format %r has %d-bit codes, got bits=%r"
                         % (format, _FORMAT_BITS[format], bits))
    if group_size is not None and group_size != _FORMAT_GROUP[format]:
        raise ValueError("format %r fixes group_size=%d, got %r"
                         % (format, _FORMAT_GROUP[format], group_size))
    if not symmetric:
        raise ValueError("format %r is symmetric only" % format)
    if scale_dtype is not None:
        raise ValueError("format %r fixes its scale dtype (fp8: the table's, "
                         "nvfp4: E4M3FN, mxfp4: E8M0); got scale_dtype=%r"
                         % (format, scale_dtype))
    if per_tensor and format != "fp8":
        raise ValueError("per_tensor is only for format='fp8'")


def _quantize_float(table, format, dtype, per_tensor, error_stats):
    raw, kind = _table_storage(table, dtype)
    packed, scales, gscale, err, sqnr = _native().quantize_float_raw(
        raw, kind, format, bool(per_tensor), bool(error_stats))
    if format == "fp8":
        scales = _scales_out(scales, kind)
    return QuantizedTable(packed, scales, None, raw.shape[1],
                          _FORMAT_BITS[format], _FORMAT_GROUP[format], True,
                          kind, err, sqnr, format, float(gscale),
                          bool(per_tensor))


def quantize(table, bits=None, group_size=None, symmetric=True,
             scale_dtype=None, dtype=None, error_stats=True, format="int",
             per_tensor=False) -> QuantizedTable:
    """Quantizes and packs a table (compressed-tensors INT rules). A table
    holding NaN or +-Inf, or whose scale overflows the scale dtype, raises
    ValueError naming the row (and column). `error_stats` computes
    max_abs_error and sqnr_db (a dequantization and three sums per
    element); without it they are NaN and quantizing is faster.

    format="int" (bits default 4, group_size default 64), or a float format
    bit-exact with compressed-tensors 0.20: "fp8" (E4M3FN codes, one scale
    per row, or per table with per_tensor=True), "nvfp4" (E2M1, groups of
    16, E4M3FN scales and an f32 global scale), "mxfp4" (E2M1, groups of 32,
    E8M0 scales). A float format fixes bits and group_size: other values
    raise ValueError."""
    _check_format(format, bits, group_size, symmetric, scale_dtype,
                  per_tensor)
    if format != "int":
        return _quantize_float(table, format, dtype, per_tensor, error_stats)
    bits = 4 if bits is None else bits
    group_size = 64 if group_size is None else group_size
    _check_options(bits, group_size)
    raw, kind = _table_storage(table, dtype)
    scale_kind = _kind_name(scale_dtype, "scale_dtype") or kind
    packed, scales, zps, err, sqnr = _native().quantize_raw(
        raw, kind, int(bits), int(group_size), bool(symmetric), scale_kind,
        bool(error_stats))
    return QuantizedTable(packed, _scales_out(scales, scale_kind), zps,
                          raw.shape[1], int(bits), int(group_size),
                          bool(symmetric), scale_kind, err, sqnr)


def quantize_codes(table, bits=4, group_size=64, symmetric=True,
                   scale_dtype=None, dtype=None):
    """Returns (int8 codes, scales, zero points or None), unpacked."""
    _check_options(bits, group_size)
    raw, kind = _table_storage(table, dtype)
    scale_kind = _kind_name(scale_dtype, "scale_dtype") or kind
    codes, scales, zps = _native().quantize_codes_raw(
        raw, kind, int(bits), int(group_size), bool(symmetric), scale_kind)
    return codes, _scales_out(scales, scale_kind), zps


def pack(codes, bits):
    """Packs int8 codes [rows, cols] into int32 words (pack-quantized)."""
    if not isinstance(codes, np.ndarray) or codes.dtype != np.int8:
        raise TypeError("codes must be an int8 numpy array")
    if codes.ndim != 2:
        raise ValueError("codes must be 2-D, got shape %s" % (codes.shape,))
    _check_options(bits, 0)
    return _native().pack_raw(np.ascontiguousarray(codes), int(bits))


def _packed_and_zero_points(q):
    """The contiguous packed words and zero points (or None) of `q`,
    dtype-checked for the native calls."""
    packed = np.ascontiguousarray(q.packed)
    if packed.dtype != np.int32 or packed.ndim != 2:
        raise TypeError("packed must be a 2-D int32 array")
    zps = None
    if q.zero_points is not None:
        zps = np.ascontiguousarray(q.zero_points)
        if zps.dtype != np.int8:
            raise TypeError("zero points must be int8")
    return packed, zps


def _float_scales_in(q):
    """The scales of a float-format table as the native calls take them."""
    if q.format == "fp8":
        return _scales_in(q.scales, q.scale_dtype)
    scales = np.ascontiguousarray(q.scales)
    if scales.dtype != np.uint8:
        raise TypeError("%s scales must be uint8 (E4M3FN bytes / E8M0 codes), "
                        "got %s" % (q.format, scales.dtype))
    return scales


def dequantize(q: QuantizedTable, out_dtype=None):
    """Reference dequantization `(q - zp) * scale` in the scale dtype,
    converted to out_dtype (default: the scale dtype)."""
    out_kind = _kind_name(out_dtype, "out_dtype") or q.scale_dtype
    if getattr(q, "format", "int") != "int":
        return gather(q, np.arange(q.packed.shape[0], dtype=np.int64),
                      out_dtype=out_kind)
    packed, zps = _packed_and_zero_points(q)
    out = _native().dequantize_raw(packed, _scales_in(q.scales, q.scale_dtype),
                                 zps, q.cols, q.bits, q.group_size,
                                 q.symmetric, q.scale_dtype, out_kind)
    return _scales_out(out, out_kind)


def gather(q: QuantizedTable, ids, out_dtype=None, out=None, threads=None):
    """The fused dequantizing gather on the CPU: the rows `ids` (int32 or
    int64 numpy array, any shape) of the dequantized table, shape
    ids.shape + (cols,), without densifying the table. Values equal
    dequantize(q, out_dtype)[ids]; ids outside [0, rows) are clamped to the
    nearest row, as the compiled kernels do. bf16 output is uint16 bit
    patterns. `out` (a C-contiguous array of that shape and dtype) receives
    the rows when given. `threads` caps the threads it runs on (None or 0:
    all cores; small gathers run on fewer, since starting a thread costs
    more than it saves)."""
    if threads is None:
        threads = 0
    if isinstance(threads, bool) or not isinstance(threads, int) or (
            threads < 0):
        raise ValueError("threads must be a non-negative int or None, got %r"
                         % (threads,))
    out_kind = _kind_name(out_dtype, "out_dtype") or q.scale_dtype
    ids = np.asarray(ids)
    if ids.dtype not in (np.int32, np.int64):
        raise TypeError("ids must be int32 or int64, got %s" % ids.dtype)
    flat = np.ascontiguousarray(ids.reshape(-1))
    storage = {"f32": np.float32, "f16": np.uint16, "bf16": np.uint16}[out_kind]
    shape = ids.shape + (q.cols,)
    if out is None:
        result = np.empty(shape, dtype=storage)
    else:
        if not isinstance(out, np.ndarray) or out.shape != shape:
            raise ValueError("out must be a numpy array of shape %s"
                             % (shape,))
        if out.dtype.itemsize != np.dtype(storage).itemsize or (
                not out.flags.c_contiguous):
            raise TypeError("out must be C-contiguous with %d-byte elements"
                            % np.dtype(storage).itemsize)
        result = out
    packed, zps = _packed_and_zero_points(q)
    rows2d = result.reshape(flat.shape[0], q.cols)
    if getattr(q, "format", "int") != "int":
        _native().gather_float_raw(packed, _float_scales_in(q),
                                   float(q.global_scale), flat, rows2d,
                                   q.cols, q.format, q.scale_dtype, out_kind,
                                   threads)
        return _scales_out(result, out_kind) if out is None else result
    _native().gather_raw(packed, _scales_in(q.scales, q.scale_dtype), zps,
                         flat, rows2d, q.cols, q.bits, q.group_size, q.symmetric,
                         q.scale_dtype, out_kind, threads)
    return _scales_out(result, out_kind) if out is None else result


def gather_bags(q: QuantizedTable, ids, offsets, mode="sum", out_dtype=None):
    """The fused EmbeddingBag on the CPU (what qembed.gather_bags computes):
    one row per bag, bag b being ids[offsets[b]:offsets[b + 1]] (the last bag
    runs to the end of `ids`; bounds are clamped into [0, len(ids)], a bag
    whose end is not after its start is empty and gives zeros). `ids` and
    `offsets` are 1-D int32/int64 arrays; ids outside [0, rows) are clamped.
    Each row value is dequantize(q, out_dtype)'s, added in bag order in f32
    and rounded once to the output dtype; mode="mean" divides that rounded
    sum by the bag's size in f32 and rounds again (PyTorch's CPU
    embedding_bag rule for f32 and f16). Returns a (bags, cols) array (bf16
    as uint16 bit patterns); the table is never densified."""
    if mode not in ("sum", "mean"):
        raise ValueError("mode must be 'sum' or 'mean', got %r" % (mode,))
    out_kind = _kind_name(out_dtype, "out_dtype") or q.scale_dtype
    ids = np.asarray(ids)
    offsets = np.asarray(offsets)
    for name, a in (("ids", ids), ("offsets", offsets)):
        if a.dtype not in (np.int32, np.int64):
            raise TypeError("%s must be int32 or int64, got %s"
                            % (name, a.dtype))
        if a.ndim != 1:
            raise ValueError("%s must be 1-D, got shape %s" % (name, a.shape))
    storage = {"f32": np.float32, "f16": np.uint16, "bf16": np.uint16}[out_kind]
    result = np.empty((offsets.shape[0], q.cols), dtype=storage)
    packed, zps = _packed_and_zero_points(q)
    _native().gather_bags_raw(packed, _scales_in(q.scales, q.scale_dtype), zps,
                              np.ascontiguousarray(ids),
                              np.ascontiguousarray(offsets), result, q.cols,
                              q.bits, q.group_size, q.symmetric, q.scale_dtype,
                              out_kind, mode)
    return _scales_out(result, out_kind)


@dataclass
class CodebookTable:
    """A table in qembed's codebook VQ form (see #qembed.codebook)."""
    codes: np.ndarray      # int32 [rows, ceil(cols/dim*stages*log2(entries)/32)]
    scales: np.ndarray     # float16 [rows, 1]
    codebooks: np.ndarray  # [groups, stages, entries, dim] in codebook_dtype
    cols: int
    dim: int
    entries: int
    stages: int
    groups: int
    codebook_dtype: str    # "f32", "f16" or "bf16" (bf16 as uint16 bits)
    sqnr_db: float = float("nan")

    @property
    def bits_per_param(self):
        """Storage bits per table element: codes, scales and codebooks."""
        rows = self.codes.shape[0]
        bits = (self.codes.nbytes + self.scales.nbytes +
                self.codebooks.nbytes) * 8
        return bits / (rows * self.cols)


def _vq_int(name, v, lo, hi=None):
    if not isinstance(v, (int, np.integer)) or v < lo or (hi is not None
                                                         and v > hi):
        raise ValueError("%s must be an integer in [%d, %s], got %r"
                         % (name, lo, hi if hi is not None else "...", v))
    return int(v)


def quantize_vq(table, dim=4, entries=256, stages=1, groups=1,
                iterations=16, seed=0, codebook_dtype="f16", dtype=None,
                threads=None) -> CodebookTable:
    """Codebook vector quantization of a table (the numerics of
    --qembed-quantize format=vq): per-row f16 scales, vectors of `dim`
    columns, `stages` residual codebooks of `entries` entries per column
    group, k-means++ and `iterations` Lloyd iterations on a row sample drawn
    with `seed`. The result depends only on the table and the options (not
    on `threads`: None/0 = all cores). NaN/Inf or an overflowing scale
    raises ValueError."""
    raw, kind = _table_storage(table, dtype)
    book_kind = _kind_name(codebook_dtype, "codebook_dtype")
    args = (_vq_int("dim", dim, 1, 64), _vq_int("entries", entries, 2, 65536),
            _vq_int("stages", stages, 1, 8), _vq_int("groups", groups, 1),
            _vq_int("iterations", iterations, 0, 1000))
    seed = _vq_int("seed", seed, 0, 2 ** 64 - 1)
    codes, scales, books, sqnr = _native().vq_quantize_raw(
        raw, kind, *args, book_kind, seed,
        _vq_int("threads", threads or 0, 0))
    books = books.reshape(groups, stages, entries, dim)
    return CodebookTable(codes, scales.view(np.float16),
                         _scales_out(books, book_kind), raw.shape[1],
                         int(dim), int(entries), int(stages), int(groups),
                         book_kind, sqnr)


def dequantize_vq(q: CodebookTable, out_dtype="f32", threads=None):
    """Reference dequantization of a CodebookTable (what the fused gathers
    compute, bit for bit): f32 sum of the stages' entries times the row's
    scale, rounded once to `out_dtype` (bf16 as uint16 bit patterns)."""
    out_kind = _kind_name(out_dtype, "out_dtype")
    books = np.ascontiguousarray(q.codebooks)
    if q.codebook_dtype == "f16":
        books = books.view(np.uint16)
    out = _native().vq_dequantize_raw(
        np.ascontiguousarray(q.codes), np.ascontiguousarray(q.scales).view(
            np.uint16), books.reshape(-1, q.dim), q.cols, q.dim, q.entries,
        q.stages, q.groups, q.codebook_dtype, out_kind,
        _vq_int("threads", threads or 0, 0))
    return _scales_out(out, out_kind)


def gather_vq(q: CodebookTable, ids, out_dtype="f32", threads=None):
    """The CPU fused gather of a CodebookTable: rows `ids` (any integer
    array; clamped into [0, rows)) dequantized without densifying the
    table, bit-identical to dequantize_vq(q)[ids]. Returns
    ids.shape + (cols,) in out_dtype (bf16 as uint16 bit patterns)."""
    out_kind = _kind_name(out_dtype, "out_dtype")
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError("ids must be integers, got %s" % ids.dtype)
    flat = np.ascontiguousarray(ids.reshape(-1).astype(np.int64))
    books = np.ascontiguousarray(q.codebooks)
    if q.codebook_dtype == "f16":
        books = books.view(np.uint16)
    out = _native().vq_gather_raw(
        np.ascontiguousarray(q.codes),
        np.ascontiguousarray(q.scales).view(np.uint16),
        books.reshape(-1, q.dim), flat, q.cols, q.dim, q.entries, q.stages,
        q.groups, q.codebook_dtype, out_kind,
        _vq_int("threads", threads or 0, 0))
    return _scales_out(out, out_kind).reshape(ids.shape + (q.cols,))


def _is_mlir_module(obj):
    """True for an MLIR Python-bindings Module (torch-mlir's, IREE's, ...):
    duck-typed, since each project ships its own copy of the bindings."""
    op = getattr(obj, "operation", None)
    return op is not None and callable(getattr(op, "get_asm", None))


def _module_source(module, allow_unregistered):
    """Returns (text or bytes to parse, allow_unregistered). A bindings
    Module is printed in generic form, which parses without its dialects
    (torch-mlir's tm_tensor.scan, IREE's util ops), and those ops are kept
    intact."""
    if _is_mlir_module(module):
        return module.operation.get_asm(print_generic_op_form=True), True
    if isinstance(module, (str, bytes)):
        return module, allow_unregistered
    raise TypeError("module must be MLIR text (str), text or bytecode "
                    "(bytes), or an MLIR Python-bindings Module (e.g. what "
                    "torch_mlir.fx.export_and_import returns), got %s"
                    % type(module).__name__)


_CUSTOM_UNKNOWN = re.compile(r"Dialect `([\w.]+)' not found for custom op "
                             r"'([\w.]+)'")
_GENERIC_UNKNOWN = "operation being parsed with an unregistered dialect"


def _explain_unknown_dialect(err):
    """An MLIRError for a module using a dialect qembed does not load,
    saying how to hand such a module over; None for other errors."""
    text = str(err)
    m = _CUSTOM_UNKNOWN.search(text)
    if m:
        return MLIRError(
            "the module uses the '%s' dialect (%s) in its custom syntax, "
            "which cannot be parsed without the dialect (qembed does not "
            "load it), so qembed cannot retry it any other way. Pass the "
            "torch-mlir Module object itself (qembed prints it in generic "
            "form), or its generic form: "
            "module.operation.get_asm(print_generic_op_form=True) with "
            "allow_unregistered=True (qembed-opt: --allow-unregistered-dialect "
            "on `--mlir-print-op-generic` output).\n%s"
            % (m.group(1), m.group(2), text))
    if _GENERIC_UNKNOWN in text:
        return MLIRError(
            "the module has ops of a dialect qembed does not load; pass "
            "allow_unregistered=True to keep them as they are (they are in "
            "generic form, so they parse).\n%s" % text)
    return None


def run_pipeline(module, pipeline: str,
                 bytecode: bool = False, diagnostics: bool = False,
                 allow_unregistered: bool = False):
    """Parses `module` (MLIR text, text/bytecode as bytes, or an MLIR
    Python-bindings Module such as torch_mlir.fx.export_and_import's), runs
    the pass
    pipeline and returns the result as text (or bytecode bytes); with
    diagnostics=True, a (result, remarks and warnings text) pair. The
    pipeline runs on the module: "quantize-embeddings{bits=4}" or
    "builtin.module(quantize-embeddings{bits=4})". allow_unregistered
    accepts ops of dialects qembed does not know (IREE's util.func, ...)
    in generic form, e.g. `iree-compile --compile-to=input
    --mlir-print-op-generic` output. A Module object is printed in generic
    form and parsed with allow_unregistered, so ops of dialects qembed does
    not know (torch-mlir's tm_tensor.scan) pass through unchanged; MLIR text
    in custom form that uses such a dialect raises MLIRError saying so."""
    if not isinstance(pipeline, str):
        raise TypeError("pipeline must be a string")
    source, allow = _module_source(module, bool(allow_unregistered))
    p = pipeline.strip()
    if p.startswith("builtin.module(") and p.endswith(")"):
        p = p[len("builtin.module("):-1]
    try:
        return _native().run_pipeline(source, p, bool(bytecode),
                                      bool(diagnostics), allow)
    except MLIRError as err:
        better = _explain_unknown_dialect(err)
        if better is None:
            raise
        raise better from None


def quantize_embeddings(module, bits=None, group_size=None,
                        symmetric=True, scale_type=None, bytecode=False,
                        allow_unregistered=False, min_rows=0,
                        min_table_bytes=0, diagnostics=False, format="int",
                        per_tensor=False, vq=None):
    """Runs --quantize-embeddings with the given options on `module` (what
    run_pipeline accepts, a torch-mlir Module object included). Tables with
    fewer than `min_rows` rows or `min_table_bytes` bytes, and tables whose
    row length `group_size` does not divide, stay dense: each gets a
    `table left dense: <why>` remark, returned with diagnostics=True as
    (result, diagnostics text), else issued as a TableLeftDenseWarning.
    `vq` (a dict of quantize_vq's dim, entries, stages, groups, iterations,
    seed) selects codebook vector quantization (format=vq) instead of
    integer codes; bits/group_size/symmetric/scale_type are then unused.
    format="fp8" | "nvfp4" | "mxfp4" quantizes to a float format (bits and
    group_size are then the format's; see quantize)."""
    if vq is not None and format != "int":
        raise ValueError("vq= selects codebook VQ; it cannot be combined with "
                         "format=%r" % (format,))
    _check_format(format, bits, group_size, symmetric, scale_type,
                  per_tensor)
    if format != "int":
        bits = _FORMAT_BITS[format]
        group_size = _FORMAT_GROUP[format]
    bits = 4 if bits is None else bits
    group_size = 64 if group_size is None else group_size
    _check_options(bits, group_size)
    for name, v in (("min_rows", min_rows), ("min_table_bytes",
                                             min_table_bytes)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError("%s must be an integer >= 0, got %r" % (name, v))
    opts = "bits=%d group-size=%d symmetric=%s min-rows=%d " \
        "min-table-bytes=%d" % (bits, group_size,
                                "true" if symmetric else "false",
                                min_rows, min_table_bytes)
    if scale_type is not None:
        opts += " scale-type=%s" % _kind_name(scale_type, "scale_type")
    if format != "int":
        opts += " format=%s per-tensor=%s" % (format,
                                              "true" if per_tensor else "false")
    if vq is not None:
        opts += _vq_pass_options(vq)
    out, diags = run_pipeline(module, "quantize-embeddings{%s}" % opts,
                              bytecode, diagnostics=True,
                              allow_unregistered=allow_unregistered)
    if diagnostics:
        return out, diags
    # Without the diagnostics, tables left dense are still said.
    for line in diags.splitlines():
        if "remark: table left dense" in line:
            warnings.warn(line, TableLeftDenseWarning, stacklevel=2)
    return out


def _vq_pass_options(vq):
    """The pass options (" format=vq vq-dim=...") for a dict of quantize_vq
    options (dim, entries, stages, groups, iterations, seed), as
    --quantize-embeddings and --qembed-quantize-globals take them."""
    names = {"dim": "vq-dim", "entries": "vq-entries",
             "stages": "vq-stages", "groups": "vq-groups",
             "iterations": "vq-iterations", "seed": "seed"}
    opts = " format=vq"
    for key, value in dict(vq).items():
        if key not in names:
            raise ValueError("unknown vq option %r (expected one of %s)"
                             % (key, ", ".join(sorted(names))))
        opts += " %s=%d" % (names[key], _vq_int(key, value, 0))
    return opts


def _quantize_options(bits, group_size, symmetric, scale_type, min_rows,
                      min_table_bytes):
    """The --quantize-embeddings option string (checked)."""
    _check_options(bits, group_size)
    for name, v in (("min_rows", min_rows), ("min_table_bytes",
                                             min_table_bytes)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError("%s must be an integer >= 0, got %r" % (name, v))
    opts = "bits=%d group-size=%d symmetric=%s min-rows=%d " \
        "min-table-bytes=%d" % (bits, group_size,
                                "true" if symmetric else "false",
                                min_rows, min_table_bytes)
    if scale_type is not None:
        opts += " scale-type=%s" % _kind_name(scale_type, "scale_type")
    return opts


def run_pipeline_file(input_path, pipeline: str, output_path,
                      bytecode: bool = False, allow_unregistered: bool = False):
    """run_pipeline from the file `input_path` (MLIR text or bytecode) to
    the file `output_path`, as qembed-opt runs it: the input is
    memory-mapped and the result written to the file, so neither is held in
    Python memory (for bytecode input, --quantize-embeddings keeps peak
    memory at about the output's size). Returns the diagnostics text
    (remarks, warnings). Unreadable / unwritable files raise OSError."""
    if not isinstance(pipeline, str):
        raise TypeError("pipeline must be a string")
    p = pipeline.strip()
    if p.startswith("builtin.module(") and p.endswith(")"):
        p = p[len("builtin.module("):-1]
    return _native().run_pipeline_file(os.fspath(input_path), p,
                                       os.fspath(output_path), bool(bytecode),
                                       bool(allow_unregistered))


def quantize_embeddings_file(input_path, output_path, bits=4, group_size=64,
                             symmetric=True, scale_type=None, bytecode=False,
                             allow_unregistered=False, min_rows=0,
                             min_table_bytes=0, diagnostics=False):
    """quantize_embeddings from file to file (see run_pipeline_file): the
    way to quantize a real-size table from Python in the time and memory of
    qembed-opt. Returns None, or the diagnostics text with
    diagnostics=True; tables left dense are otherwise issued as
    TableLeftDenseWarning."""
    opts = _quantize_options(bits, group_size, symmetric, scale_type,
                             min_rows, min_table_bytes)
    diags = run_pipeline_file(input_path, "quantize-embeddings{%s}" % opts,
                              output_path, bytecode, allow_unregistered)
    if diagnostics:
        return diags
    for line in diags.splitlines():
        if "remark: table left dense" in line:
            warnings.warn(line, TableLeftDenseWarning, stacklevel=2)
    return None
