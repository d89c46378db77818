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

__version__ = "0.2.0"  # also the key of the GPU kernel cache: bump when kernels change

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
           "quantize_codes", "pack", "dequantize", "gather", "run_pipeline",
           "quantize_embeddings", "run_pipeline_file",
           "quantize_embeddings_file", "extension_available"]


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


def quantize(table, bits=4, group_size=64, symmetric=True, scale_dtype=None,
             dtype=None, error_stats=True) -> QuantizedTable:
    """Quantizes and packs a table (compressed-tensors INT rules). A table
    holding NaN or +-Inf, or whose scale overflows the scale dtype, raises
    ValueError naming the row (and column). `error_stats` computes
    max_abs_error and sqnr_db (a dequantization and three sums per
    element); without it they are NaN and quantizing is faster."""
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


def dequantize(q: QuantizedTable, out_dtype=None):
    """Reference dequantization `(q - zp) * scale` in the scale dtype,
    converted to out_dtype (default: the scale dtype)."""
    out_kind = _kind_name(out_dtype, "out_dtype") or q.scale_dtype
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
    _native().gather_raw(packed, _scales_in(q.scales, q.scale_dtype), zps,
                         flat, rows2d, q.cols, q.bits, q.group_size, q.symmetric,
                         q.scale_dtype, out_kind, threads)
    return _scales_out(result, out_kind) if out is None else result


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


def quantize_embeddings(module, bits=4, group_size=64,
                        symmetric=True, scale_type=None, bytecode=False,
                        allow_unregistered=False, min_rows=0,
                        min_table_bytes=0, diagnostics=False):
    """Runs --quantize-embeddings with the given options on `module` (what
    run_pipeline accepts, a torch-mlir Module object included). Tables with
    fewer than `min_rows` rows or `min_table_bytes` bytes, and tables whose
    row length `group_size` does not divide, stay dense: each gets a
    `table left dense: <why>` remark, returned with diagnostics=True as
    (result, diagnostics text), else issued as a TableLeftDenseWarning."""
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
