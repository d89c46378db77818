"""The PyTorch front door of qembed: QuantizedEmbedding, a drop-in
nn.Embedding replacement that keeps the table packed (compressed-tensors
pack-quantized layout) and looks rows up with a fused dequantizing gather.

    from qembed.torch import QuantizedEmbedding
    emb = QuantizedEmbedding.from_embedding(model.get_input_embeddings(),
                                            bits=4, group_size=64).cuda()
    rows = emb(ids)

The gather is the custom op `torch.ops.qembed.gather` (torch.library), so
modules work under torch.compile(fullgraph=True) and in CUDA graphs:

* CPU tensors: the C++ gather of qembed's numerics library (qembed.gather),
  parallel over tokens, reading the torch buffers in place.
* CUDA tensors: the kernel qembed's JIT generates for the scheme (MLIR ->
  PTX, `qembed._qembed.gpu_gather_kernel`), loaded and launched on torch's
  current stream by qembed's CUDA runtime (libqembed_cuda_runtime.so through
  ctypes, qembed._cuda). PTX is cached in memory and on disk
  ($QEMBED_CACHE_DIR, default ~/.cache/qembed; one JSON file per kernel,
  named by a hash of every kernel parameter, the qembed version and the
  chip), so a machine without the compiler extension runs kernels compiled
  elsewhere (`QuantizedEmbedding.compile_kernels` fills the cache without a
  GPU). The first call on a device compiles (or reads) and loads the kernels
  of both unroll variants; do it eagerly before capturing a CUDA graph,
  since modules cannot be loaded during capture.

Ids outside [0, num_embeddings) are clamped to the nearest row (id < 0 reads
row 0, id >= num_embeddings reads the last row), on the CPU and on the GPU,
like the compiled kernels; nn.Embedding would raise instead.

Results are bit-identical to qembed.dequantize (and so to compressed-tensors'
decompression) of the rows, in every output dtype.
"""

import ctypes
import hashlib
import json
import os
import threading
from typing import Optional

import numpy as np
import torch
from torch import nn

import qembed
from qembed import _cuda, checkpoint

__all__ = ["QuantizedEmbedding", "QuantizedEmbeddingBag",
           "quantize_model_embeddings", "KernelUnavailableError",
           "choose_unroll", "cache_dir", "BLOCK_SIZE",
           "FloatFormatEmbedding", "CodebookEmbedding"]

#: Threads per block of the GPU kernels.
BLOCK_SIZE = 256

_KIND = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}
_TORCH = {v: k for k, v in _KIND.items()}
_ID_KIND = {torch.int32: "i32", torch.int64: "i64"}


class KernelUnavailableError(RuntimeError):
    """No GPU kernel for a scheme: the JIT is missing and the disk cache
    has no entry for it (or the JIT rejected the scheme's options)."""


def _kind(dtype, what):
    if isinstance(dtype, str):
        name = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}.get(
            dtype, dtype)
        if name in _TORCH:
            return name
    elif dtype in _KIND:
        return _KIND[dtype]
    raise TypeError("%s must be float32, float16 or bfloat16, got %r"
                    % (what, dtype))


#===-----------------------------------------------------------------------===#
# The custom op
#===-----------------------------------------------------------------------===#

def _check_op_args(packed, scales, zero_points, ids, embedding_dim, bits,
                   group_size, out_dtype):
    if ids.dtype not in _ID_KIND:
        raise TypeError("ids must be int32 or int64, got %s" % ids.dtype)
    if out_dtype not in _KIND:
        raise TypeError("out_dtype must be float32, float16 or bfloat16, "
                        "got %s" % out_dtype)
    if packed.dtype != torch.int32 or packed.dim() != 2:
        raise TypeError("packed must be a 2-D int32 tensor")
    if scales.dtype not in _KIND or scales.dim() != 2:
        raise TypeError("scales must be a 2-D float32/float16/bfloat16 "
                        "tensor")
    if zero_points is not None and zero_points.dtype != torch.int8:
        raise TypeError("zero_points must be int8")
    tensors = [packed, scales, ids] + (
        [zero_points] if zero_points is not None else [])
    if any(t.device != ids.device for t in tensors):
        raise ValueError("ids (%s) and the table (%s) must be on the same "
                         "device" % (ids.device, packed.device))
    if not (packed.is_contiguous() and scales.is_contiguous() and (
            zero_points is None or zero_points.is_contiguous())):
        raise ValueError("packed, scales and zero_points must be contiguous")
    if packed.shape[0] == 0:
        raise ValueError("the table must have at least one row")
    if not 2 <= bits <= 8:
        raise ValueError("bits must be in [2, 8], got %d" % bits)
    if embedding_dim <= 0 or group_size < 0 or (
            group_size and embedding_dim % group_size):
        raise ValueError("group_size %d does not divide embedding_dim %d"
                         % (group_size, embedding_dim))
    rows, words = packed.shape[0], (embedding_dim * bits + 31) // 32
    groups = 1 if group_size == 0 else embedding_dim // group_size
    if packed.shape[1] != words:
        raise ValueError("packed must have %d words per row, got %d"
                         % (words, packed.shape[1]))
    for name, t in (("scales", scales), ("zero_points", zero_points)):
        if t is not None and tuple(t.shape) != (rows, groups):
            raise ValueError("%s must have shape (%d, %d), got %s"
                             % (name, rows, groups, tuple(t.shape)))
    if ids.device.type not in ("cpu", "cuda"):
        raise ValueError("qembed's gather runs on CPU and CUDA tensors, not "
                         "%s" % ids.device)


@torch.library.custom_op("qembed::gather", mutates_args=())
def gather(packed: torch.Tensor, scales: torch.Tensor,
           zero_points: Optional[torch.Tensor], ids: torch.Tensor,
           embedding_dim: int, bits: int, group_size: int,
           out_dtype: torch.dtype) -> torch.Tensor:
    """Rows `ids` (int32/int64, any shape; clamped into [0, rows)) of a
    pack-quantized table, dequantized to `out_dtype`; shape
    ids.shape + (embedding_dim,). Symmetric when zero_points is None. This
    implementation runs on the CPU; CUDA tensors go to the kernel below."""
    _check_op_args(packed, scales, zero_points, ids, embedding_dim, bits,
                   group_size, out_dtype)
    native = qembed._native()
    flat = ids.reshape(-1).contiguous()
    out = torch.empty((flat.numel(), embedding_dim), dtype=out_dtype)

    def storage(t):  # numpy views of the torch storage, no copies
        return t.view(torch.int16).numpy() if t.element_size() == 2 \
            else t.numpy()

    native.gather_raw(
        packed.numpy(), storage(scales),
        None if zero_points is None else zero_points.numpy(), flat.numpy(),
        storage(out), embedding_dim, bits, group_size, zero_points is None,
        _KIND[scales.dtype], _KIND[out_dtype])
    return out.view(tuple(ids.shape) + (embedding_dim,))


@gather.register_fake
def _gather_fake(packed, scales, zero_points, ids, embedding_dim, bits,
                 group_size, out_dtype):
    return ids.new_empty(tuple(ids.shape) + (embedding_dim,),
                         dtype=out_dtype)


@gather.register_kernel("cuda")
def _gather_cuda(packed, scales, zero_points, ids, embedding_dim, bits,
                 group_size, out_dtype):
    _check_op_args(packed, scales, zero_points, ids, embedding_dim, bits,
                   group_size, out_dtype)
    flat = ids.reshape(-1).contiguous()
    tokens = flat.numel()
    out = torch.empty((tokens, embedding_dim), dtype=out_dtype,
                      device=ids.device)
    if tokens:
        _launch(packed, scales, zero_points, flat, out, embedding_dim, bits,
                group_size)
    return out.view(tuple(ids.shape) + (embedding_dim,))


#===-----------------------------------------------------------------------===#
# GPU kernels: JIT, caches, launch
#===-----------------------------------------------------------------------===#

def cache_dir():
    """The on-disk PTX cache: $QEMBED_CACHE_DIR or ~/.cache/qembed."""
    return os.environ.get("QEMBED_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "qembed")


def choose_unroll(tokens, slices_per_row, block_size=BLOCK_SIZE,
                  sm_count=132):
    """Slices per thread for a launch. With 2, a thread issues the loads of
    two slices before its stores (more bytes in flight, the fast choice for
    large launches); with few tokens that halves the number of blocks and
    leaves SMs idle, so below two blocks' worth of slices per SM (about
    135k slices on a 132-SM H100, i.e. ~260 tokens of a 4096-wide f16 row)
    it is 1."""
    return 1 if tokens * slices_per_row < 2 * block_size * sm_count else 2


_BYTES = {torch.float32: 4, torch.float16: 2, torch.bfloat16: 2}


def _slices_per_row(cols, out_dtype):
    """16-byte output slices per row (the kernel's unit of work)."""
    return -(-cols * _BYTES[out_dtype] // 16)


_lock = threading.RLock()
_ptx = {}        # kernel parameters (a tuple) -> cache entry
_loaded = {}     # (device index, kernel parameters) -> (function, entry)
_devices = {}    # device index -> (chip, SM count)
_launchers = {}  # (device index, scheme, dtypes) -> see _launcher


def _params(bits, group_size, symmetric, scale_type, out_type, cols, id_type,
            chip, block_size, unroll):
    return (("bits", int(bits)), ("group_size", int(group_size)),
            ("symmetric", bool(symmetric)), ("scale_type", scale_type),
            ("out_type", out_type), ("cols", int(cols)),
            ("id_type", id_type), ("chip", chip),
            ("block_size", int(block_size)), ("unroll", int(unroll)))


def _float_params(fmt, scale_type, out_type, cols, id_type, chip, block_size,
                  unroll, global_scale):
    """The _params() of a float-format kernel (FP8 / NVFP4 / MXFP4), plus
    the format and nvfp4's global scale (part of the kernel); integer
    kernels keep their old keys."""
    bits = 8 if fmt == "fp8" else 4
    group = {"fp8": 0, "nvfp4": 16, "mxfp4": 32}[fmt]
    if fmt != "nvfp4":
        global_scale = 1.0  # only nvfp4's kernel depends on it
    return _params(bits, group, True, scale_type, out_type, cols, id_type,
                   chip, block_size, unroll) + (
        ("format", fmt), ("global_scale", float(np.float32(global_scale))))


_FLOAT_SCALE_TYPE = {"nvfp4": "f8E4M3FN", "mxfp4": "f8E8M0FNU"}


def float_format_kernels(fmt, cols, scale_dtype, out_dtype, id_dtype, chip,
                         global_scale=1.0):
    """The cache entries ({unroll: entry}) of the float-format gather
    kernels for one table: fmt "fp8" (scale_dtype: the table's torch dtype),
    "nvfp4" or "mxfp4" (scale_dtype ignored: E4M3FN / E8M0 bytes). Compiles
    them (no GPU needed) when the compiler extension is here, else reads
    them from the kernel cache."""
    scale_type = _FLOAT_SCALE_TYPE.get(fmt) or _KIND[scale_dtype]
    return {unroll: kernel(_float_params(
        fmt, scale_type, _KIND[out_dtype], cols, _ID_KIND[id_dtype], chip,
        BLOCK_SIZE, unroll, global_scale)) for unroll in (1, 2)}


def float_format_gather(packed, scales, ids, fmt, cols, out_dtype,
                        global_scale=1.0):
    """Dequantized rows `ids` of a float-format table on the GPU, by qembed's
    generated kernel: packed (int32 [rows, words], 16-byte aligned), scales
    (fp8: [rows, 1] in the table's dtype; nvfp4 / mxfp4: uint8
    [rows, groups] E4M3FN bytes / E8M0 codes), ids (int32 / int64, any
    shape; clamped into [0, rows)). Bit-identical to qembed.gather of the
    same QuantizedTable."""
    if not (packed.is_cuda and scales.is_cuda and ids.is_cuda):
        raise ValueError("float_format_gather runs on CUDA tensors")
    device = ids.device
    index = device.index if device.index is not None else \
        torch.cuda.current_device()
    flat = ids.reshape(-1).contiguous()
    out = torch.empty(tuple(ids.shape) + (cols,), dtype=out_dtype,
                      device=device)
    if packed.data_ptr() % 16 or out.data_ptr() % 16:
        raise ValueError("the GPU kernel needs the packed table and the "
                         "output 16-byte aligned")
    rows, tokens = packed.shape[0], flat.numel()
    if tokens == 0:
        return out
    chip, sms = _device_info(index)
    spr = _slices_per_row(cols, out_dtype)
    unroll = choose_unroll(tokens, spr, BLOCK_SIZE, sms)
    scale_type = _FLOAT_SCALE_TYPE.get(fmt) or _KIND[scales.dtype]
    function, entry = _function(index, _float_params(
        fmt, scale_type, _KIND[out_dtype], cols, _ID_KIND[flat.dtype], chip,
        BLOCK_SIZE, unroll, global_scale))
    per_block = entry["block_size"] * entry["unroll"]
    _cuda.runtime().launch_gather(
        index, function, -(-tokens * spr // per_block), entry["block_size"],
        _current_stream(index), packed.data_ptr(), scales.data_ptr(), 0,
        flat.data_ptr(), out.data_ptr(), tokens, rows)
    return out


def _cache_file(params):
    blob = json.dumps({"params": dict(params),
                       "qembed": qembed.__version__}, sort_keys=True)
    return os.path.join(cache_dir(),
                        hashlib.sha256(blob.encode()).hexdigest()[:32] +
                        ".json")


def _read_cached(path, params):
    try:
        with open(path) as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return None
    if entry.get("params") != dict(params) or \
            entry.get("qembed") != qembed.__version__ or \
            not isinstance(entry.get("ptx"), str):
        return None
    return entry


def _write_cached(path, entry):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "w") as f:
            json.dump(entry, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache folder only costs a recompilation


def _jit_cached(params, jit_name, fields, hint):
    """The cache entry of a kernel: from memory, the disk cache, or the
    extension's JIT function `jit_name` called with `params` (less its
    "kernel" key), which fills both. `fields` maps the JIT result's keys
    beyond ptx / name to their types; `hint` says how to fill the cache."""
    with _lock:
        if params in _ptx:
            return _ptx[params]
        path = _cache_file(params)
        entry = _read_cached(path, params)
        if entry is None:
            jit = getattr(qembed._qembed, jit_name, None)
            if jit is None:
                why = ("the compiler extension has no %s" % jit_name
                       if qembed.extension_available() else
                       "the compiler extension is missing (%s)"
                       % qembed._EXTENSION_ERROR)
                raise KernelUnavailableError(
                    "no GPU kernel for %s: %s, and the kernel cache %s has no "
                    "entry %s (%s)" % (dict(params), why, cache_dir(),
                                       os.path.basename(path), hint))
            args = {k: v for k, v in params if k != "kernel"}
            try:
                result = jit(**args)
            except ValueError as e:
                raise KernelUnavailableError(
                    "qembed's JIT cannot generate a kernel for %s: %s"
                    % (dict(params), e)) from e
            missing = ({"ptx", "name"} | set(fields)) - set(result)
            if missing:
                raise KernelUnavailableError(
                    "%s returned no %s" % (jit_name, sorted(missing)))
            entry = {"params": dict(params), "qembed": qembed.__version__,
                     "ptx": result["ptx"], "name": result["name"]}
            entry.update({k: t(result[k]) for k, t in fields.items()})
            _write_cached(path, entry)
        _ptx[params] = entry
        return entry


def kernel(params):
    """The cache entry (ptx, name, block_size, unroll, slices_per_row, ...)
    of a gather kernel: from memory, the disk cache, or the JIT (which fills
    both). `params` is the tuple of _params()."""
    return _jit_cached(
        params, "gpu_gather_kernel",
        {"block_size": int, "unroll": int, "slices_per_row": int},
        "compile it on a machine with the extension, e.g. with "
        "QuantizedEmbedding.compile_kernels, and copy the cache folder")


def _device_info(index):
    with _lock:
        if index not in _devices:
            major, minor = torch.cuda.get_device_capability(index)
            sms = torch.cuda.get_device_properties(index).multi_processor_count
            _devices[index] = ("sm_%d%d" % (major, minor), sms)
        return _devices[index]


def _function(index, params, entry_of=None):
    """(CUfunction handle, cache entry) of a kernel loaded on device
    `index`; loads it in the device's (torch's primary) context. `entry_of`
    gives the cache entry of `params` (default: kernel, the gathers')."""
    with _lock:
        hit = _loaded.get((index, params))
        if hit is not None:
            return hit
        if torch.cuda.is_current_stream_capturing():
            raise _cuda.CudaError(
                "qembed: the kernel %s is not loaded on cuda:%d and modules "
                "cannot be loaded during CUDA graph capture; call the module "
                "once eagerly (with ids of the same dtype) before capturing"
                % (dict(params), index))
        entry = (entry_of or kernel)(params)
        rt = _cuda.runtime()
        rt.ensure_context(index)
        module = rt.load_module(entry["ptx"])
        function = rt.get_function(module, entry["name"])
        _loaded[(index, params)] = (function, entry)
        return function, entry


def _launcher(index, bits, group_size, symmetric, scale_dtype, out_dtype,
              cols, id_dtype):
    """(slices per row, SM count, {unroll: (function, block size, slices
    per block)}) for a scheme on device `index`. Both unroll variants are
    loaded at the first call, so that a CUDA graph captured later finds
    whichever it needs; later calls are one dict lookup."""
    key = (index, bits, group_size, symmetric, scale_dtype, out_dtype, cols,
           id_dtype)
    hit = _launchers.get(key)
    if hit is not None:
        return hit
    with _lock:
        chip, sms = _device_info(index)
        spr = _slices_per_row(cols, out_dtype)
        base = (bits, group_size, symmetric, _KIND[scale_dtype],
                _KIND[out_dtype], cols, _ID_KIND[id_dtype], chip, BLOCK_SIZE)
        variants = {}
        for unroll in (1, 2):
            function, entry = _function(index, _params(*base, unroll))
            if entry["slices_per_row"] != spr:
                raise _cuda.CudaError(
                    "qembed: kernel %s works on %d slices per row, expected "
                    "%d" % (entry["name"], entry["slices_per_row"], spr))
            variants[unroll] = (function, entry["block_size"],
                                entry["block_size"] * entry["unroll"])
        hit = _launchers[key] = (spr, sms, variants)
        return hit


def _launch(packed, scales, zero_points, ids, out, cols, bits, group_size):
    device = ids.device
    index = device.index if device.index is not None else \
        torch.cuda.current_device()
    if packed.data_ptr() % 16 or out.data_ptr() % 16:
        raise ValueError("qembed's GPU kernel needs the packed table and the "
                         "output 16-byte aligned")
    rows = packed.shape[0]
    tokens = ids.numel()
    if tokens >= 2 ** 31 or rows >= 2 ** 31:
        raise ValueError("the GPU kernel takes fewer than 2^31 tokens and "
                         "rows")
    spr, sms, variants = _launcher(index, bits, group_size,
                                   zero_points is None, scales.dtype,
                                   out.dtype, cols, ids.dtype)
    function, block, per_block = variants[
        choose_unroll(tokens, spr, BLOCK_SIZE, sms)]
    _cuda.runtime().launch_gather(
        index, function, -(-tokens * spr // per_block), block,
        _current_stream(index), packed.data_ptr(), scales.data_ptr(),
        0 if zero_points is None else zero_points.data_ptr(),
        ids.data_ptr(), out.data_ptr(), tokens, rows)


def _bags_params(bits, group_size, symmetric, scale_type, out_type, cols,
                 id_type, offset_type, mode, include_last_offset, chip,
                 block_size):
    """The cache key of an EmbeddingBag kernel (gpu_gather_bags_kernel's
    arguments)."""
    return (("kernel", "bags"), ("bits", int(bits)),
            ("group_size", int(group_size)), ("symmetric", bool(symmetric)),
            ("scale_type", scale_type), ("out_type", out_type),
            ("cols", int(cols)), ("id_type", id_type),
            ("offset_type", offset_type), ("mode", mode),
            ("include_last_offset", bool(include_last_offset)),
            ("chip", chip), ("block_size", int(block_size)))


def bags_kernel(params):
    """The cache entry (ptx, name, block_size, unit_elements) of an
    EmbeddingBag kernel (`params`: the tuple of _bags_params)."""
    return _jit_cached(
        params, "gpu_gather_bags_kernel",
        {"block_size": int, "unit_elements": int},
        "compile it on a machine with the extension with "
        "QuantizedEmbeddingBag.compile_kernels and copy the cache folder")


def _launch_bags(module, ids, offsets, bags, count, last_offset):
    """(bags, embedding_dim) output of qembed's EmbeddingBag kernel on the
    GPU: `ids` (1-D), `offsets` (1-D, `bags` entries, or bags + 1 when
    `last_offset`: then the last one ends the last bag), `count` ids in
    use."""
    index = ids.device.index if ids.device.index is not None else \
        torch.cuda.current_device()
    out = torch.empty((bags, module.embedding_dim), dtype=module.dtype,
                      device=ids.device)
    if bags == 0:
        return out
    packed, scales, zps = module.packed, module.scales, module.zero_points
    if packed.data_ptr() % 16 or out.data_ptr() % 16:
        raise ValueError("qembed's GPU bag kernel needs the packed table and "
                         "the output 16-byte aligned")
    rows = packed.shape[0]
    if count >= 2 ** 31 or bags >= 2 ** 31 or rows >= 2 ** 31 or \
            bags * module.embedding_dim >= 2 ** 62:
        raise ValueError("the GPU bag kernel takes fewer than 2^31 ids, bags "
                         "and rows")
    chip, sms = _device_info(index)
    params = _bags_params(module.bits, module.group_size, zps is None,
                          _KIND[scales.dtype], _KIND[module.dtype],
                          module.embedding_dim, _ID_KIND[ids.dtype],
                          _ID_KIND[offsets.dtype], module.mode,
                          last_offset, chip, BLOCK_SIZE)
    function, entry = _function(index, params, bags_kernel)
    block = entry["block_size"]
    # One thread per unit of output columns; the kernel strides over more.
    units = bags * (module.embedding_dim // entry["unit_elements"])
    grid = max(1, min(-(-units // block), 2 ** 31 - 1))
    args = [ctypes.c_void_p(packed.data_ptr()),
            ctypes.c_void_p(scales.data_ptr())]
    if zps is not None:
        args.append(ctypes.c_void_p(zps.data_ptr()))
    args += [ctypes.c_void_p(ids.data_ptr()),
             ctypes.c_void_p(offsets.data_ptr()),
             ctypes.c_void_p(out.data_ptr()), ctypes.c_int32(count),
             ctypes.c_int32(bags), ctypes.c_int32(rows)]
    _cuda.runtime().launch(function, (grid, 1, 1), (block, 1, 1),
                           _current_stream(index), args)
    return out


def _current_stream(index):
    """The raw handle of torch's current stream on device `index`."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    if raw is not None:  # a plain int, without building a Stream object
        return raw(index)
    return torch.cuda.current_stream(index).cuda_stream


#===-----------------------------------------------------------------------===#
# The module
#===-----------------------------------------------------------------------===#

def _owned(a):
    """A writable C-contiguous array (copied when `a` is read-only, e.g. a
    view of a file's bytes), for torch.from_numpy."""
    a = np.ascontiguousarray(a)
    return a if a.flags.writeable else a.copy()


def _table_tensors(q):
    """(packed, scales, zero_points) torch tensors of a QuantizedTable."""
    packed = torch.from_numpy(_owned(q.packed))
    if q.scale_dtype == "bf16":
        scales = torch.from_numpy(_owned(q.scales).view(np.int16)).view(
            torch.bfloat16)
    elif q.scale_dtype == "f16":
        scales = torch.from_numpy(_owned(q.scales).view(np.float16))
    else:
        scales = torch.from_numpy(_owned(q.scales))
    zps = None if q.zero_points is None else torch.from_numpy(
        _owned(q.zero_points))
    return packed, scales, zps


def _to_numpy(t):
    """Raw storage of a CPU copy of a tensor (16-bit floats as uint16)."""
    if not isinstance(t, torch.Tensor):
        return np.asarray(t)
    t = t.detach().cpu().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


class QuantizedEmbedding(nn.Module):
    """An embedding table kept quantized: `packed` (int32 [V, ceil(D*bits/32)]
    compressed-tensors pack-quantized words), `scales` ([V, groups],
    float32/float16/bfloat16) and, for asymmetric schemes, `zero_points`
    (int8 [V, groups], unpacked) are its buffers, so state_dict/load_state_dict
    and .to(device) work as for any module.

    forward(ids) takes int32/int64 ids of any shape (non-contiguous too) and
    returns ids.shape + (embedding_dim,) rows in `dtype`, bit-identical to
    qembed.dequantize of those rows. Ids outside [0, num_embeddings) are
    clamped to the nearest row (nn.Embedding raises). padding_idx is stored,
    and like in F.embedding it does not change the forward.

    Casting the module (`.half()`, `.to(torch.bfloat16)`) changes the output
    dtype; the scales keep theirs (the quantized table is never re-rounded).
    """

    def __init__(self, packed, scales, zero_points=None, *, embedding_dim,
                 bits, group_size, padding_idx=None, dtype=None):
        super().__init__()
        if not isinstance(packed, torch.Tensor) or not isinstance(
                scales, torch.Tensor):
            raise TypeError("packed and scales must be tensors")
        if packed.dtype != torch.int32 or packed.dim() != 2:
            raise TypeError("packed must be a 2-D int32 tensor, got %s %s"
                            % (packed.dtype, tuple(packed.shape)))
        if scales.dtype not in _KIND or scales.dim() != 2:
            raise TypeError("scales must be a 2-D float32/float16/bfloat16 "
                            "tensor, got %s %s" % (scales.dtype,
                                                   tuple(scales.shape)))
        if not isinstance(bits, int) or not 2 <= bits <= 8:
            raise ValueError("bits must be an integer in [2, 8], got %r"
                             % (bits,))
        if not isinstance(embedding_dim, int) or embedding_dim <= 0:
            raise ValueError("embedding_dim must be a positive integer, got "
                             "%r" % (embedding_dim,))
        if not isinstance(group_size, int) or group_size < 0 or (
                group_size and embedding_dim % group_size):
            raise ValueError("group_size must be 0 (one scale per row) or "
                             "divide embedding_dim %d, got %r"
                             % (embedding_dim, group_size))
        rows = packed.shape[0]
        if rows == 0:
            raise ValueError("the table must have at least one row")
        words = (embedding_dim * bits + 31) // 32
        groups = 1 if group_size == 0 else embedding_dim // group_size
        if packed.shape[1] != words:
            raise ValueError("packed must have %d words per row for %d bits "
                             "x %d columns, got %d" % (words, bits,
                                                       embedding_dim,
                                                       packed.shape[1]))
        if tuple(scales.shape) != (rows, groups):
            raise ValueError("scales must have shape (%d, %d), got %s"
                             % (rows, groups, tuple(scales.shape)))
        if zero_points is not None:
            if not isinstance(zero_points, torch.Tensor) or \
                    zero_points.dtype != torch.int8:
                raise TypeError("zero_points must be an int8 tensor")
            if tuple(zero_points.shape) != (rows, groups):
                raise ValueError("zero_points must have shape (%d, %d), got "
                                 "%s" % (rows, groups,
                                         tuple(zero_points.shape)))
        devices = {packed.device, scales.device} | (
            {zero_points.device} if zero_points is not None else set())
        if len(devices) != 1:
            raise ValueError("packed, scales and zero_points must be on one "
                             "device, got %s" % sorted(map(str, devices)))
        if padding_idx is not None:
            if not -rows <= padding_idx < rows:
                raise ValueError("padding_idx must be within num_embeddings")
            padding_idx = padding_idx % rows
        self.num_embeddings = rows
        self.embedding_dim = embedding_dim
        self.bits = bits
        self.group_size = group_size
        self.padding_idx = padding_idx
        self.dtype = _TORCH[_kind(dtype if dtype is not None
                                  else scales.dtype, "dtype")]
        self.register_buffer("packed", packed.contiguous())
        self.register_buffer("scales", scales.contiguous())
        self.register_buffer("zero_points", None if zero_points is None
                             else zero_points.contiguous())
        # Validated launch plans of the eager CUDA path (see _forward_cuda).
        self._plans = {}

    @property
    def symmetric(self):
        return self.zero_points is None

    @property
    def scale_dtype(self):
        return self.scales.dtype

    # -- constructors --------------------------------------------------------

    @classmethod
    def from_embedding(cls, embedding, bits=None, group_size=None,
                       symmetric=True, scale_dtype=None, dtype=None,
                       format="int", per_tensor=False, vq=None):
        """Quantizes an nn.Embedding (or a 2-D weight tensor) with qembed's
        numerics (bit-exact with compressed-tensors). scale_dtype defaults
        to the weight's dtype, dtype (the output) too. The module lands on
        the weight's device. bits and group_size default to 4 and 64.

        format="fp8" | "nvfp4" | "mxfp4" (with per_tensor for fp8) returns a
        FloatFormatEmbedding, vq=dict(dim=..., entries=..., ...) (the
        options of qembed.quantize_vq) a CodebookEmbedding; bits,
        group_size, symmetric and scale_dtype are then the format's (other
        values raise ValueError)."""
        if vq is not None or format != "int":
            if cls is not QuantizedEmbedding:
                raise ValueError("%s.from_embedding takes integer schemes "
                                 "only (format=%r, vq=%r)"
                                 % (cls.__name__, format, vq))
            return _from_embedding_other(embedding, bits, group_size,
                                         symmetric, scale_dtype, dtype,
                                         format, per_tensor, vq)
        bits = 4 if bits is None else bits
        group_size = 64 if group_size is None else group_size
        padding_idx = None
        if isinstance(embedding, nn.Embedding):
            if embedding.max_norm is not None:
                raise ValueError("embeddings with max_norm (renormalized on "
                                 "lookup) cannot be quantized")
            weight, padding_idx = embedding.weight, embedding.padding_idx
        elif isinstance(embedding, torch.Tensor):
            weight = embedding
        else:
            raise TypeError("from_embedding takes an nn.Embedding or a "
                            "weight tensor, got %s" % type(embedding).__name__)
        if weight.dim() != 2:
            raise ValueError("the weight must be 2-D, got shape %s"
                             % (tuple(weight.shape),))
        kind = _kind(weight.dtype, "the weight dtype")
        table = _to_numpy(weight)
        if kind == "f16":
            table = table.view(np.float16)
        scale_kind = kind if scale_dtype is None else _kind(scale_dtype,
                                                            "scale_dtype")
        q = qembed.quantize(table, bits=bits, group_size=group_size,
                            symmetric=symmetric, scale_dtype=scale_kind,
                            dtype=kind)
        packed, scales, zps = _table_tensors(q)
        module = cls(packed, scales, zps, embedding_dim=q.cols, bits=q.bits,
                     group_size=q.group_size, padding_idx=padding_idx,
                     dtype=weight.dtype if dtype is None else dtype)
        return module.to(weight.device)

    @classmethod
    def from_compressed_tensors(cls, source, prefix=None, *, bits=None,
                                group_size=None, symmetric=None,
                                quantization_config=None, padding_idx=None,
                                dtype=None):
        """Reads a compressed-tensors pack-quantized embedding, as `qembed
        export-ct` and llm-compressor write it: `<prefix>.weight_packed`,
        `weight_scale`, `weight_shape` and, when asymmetric,
        `weight_zero_point` (packed along dim 0).

        `source` is a checkpoint folder (*.safetensors + config.json with
        the quantization_config) or a dict of tensors (a state dict). For a
        dict the scheme comes from `quantization_config` (config.json's
        dict or its quantization_config block), else from bits/group_size/
        symmetric, else it is inferred from the shapes (symmetric when there
        is no zero point; bits when the words per row allow one value only).
        `prefix` (e.g. "model.embed_tokens") is found when there is one
        packed weight. The module is on the CPU; dtype defaults to the
        scale dtype."""
        if isinstance(source, (str, os.PathLike)):
            source = os.fspath(source)
            if not os.path.isdir(source):
                raise ValueError("%s is not a checkpoint folder" % source)
            q = checkpoint.load_embedding(source, prefix)
        elif isinstance(source, dict) and quantization_config is not None \
                and _is_float_config(quantization_config):
            q = _float_table_from_dict(source, prefix, quantization_config)
        elif isinstance(source, dict):
            q = cls._table_from_dict(source, prefix, bits, group_size,
                                     symmetric, quantization_config)
        else:
            raise TypeError("source must be a checkpoint folder or a dict of "
                            "tensors, got %s" % type(source).__name__)
        if getattr(q, "format", "int") != "int":
            return FloatFormatEmbedding.from_table(q, padding_idx, dtype)
        packed, scales, zps = _table_tensors(q)
        return cls(packed, scales, zps, embedding_dim=q.cols, bits=q.bits,
                   group_size=q.group_size, padding_idx=padding_idx,
                   dtype=dtype)

    @staticmethod
    def _table_from_dict(tensors, prefix, bits, group_size, symmetric,
                         quantization_config):
        if prefix is None:
            prefix = checkpoint.find_prefix(tensors)
        if prefix.endswith(".weight"):
            prefix = prefix[:-len(".weight")]
        if quantization_config is not None:
            qcfg = quantization_config.get("quantization_config",
                                           quantization_config)
            bits, group_size, symmetric = checkpoint.scheme_from_config(qcfg)
        for key in ("weight_packed", "weight_scale", "weight_shape"):
            if prefix + "." + key not in tensors:
                raise KeyError("%s.%s not in the tensors" % (prefix, key))
        arrays = {k: _to_numpy(v) for k, v in tensors.items()
                  if k.startswith(prefix + ".")}
        scale = tensors[prefix + ".weight_scale"]
        scale_kind = _kind(scale.dtype if isinstance(scale, torch.Tensor)
                           else np.dtype(scale.dtype).name, "weight_scale")
        rows, cols = (int(x) for x in
                      arrays[prefix + ".weight_shape"].reshape(-1)[:2])
        if symmetric is None:
            symmetric = prefix + ".weight_zero_point" not in arrays
        if bits is None:
            words = arrays[prefix + ".weight_packed"].shape[-1]
            fits = [b for b in range(2, 9) if (cols * b + 31) // 32 == words]
            if len(fits) != 1:
                raise ValueError("cannot tell the bits from %d words per row "
                                 "of %d columns (%s): pass bits= or "
                                 "quantization_config=" % (words, cols,
                                                           fits or "none"))
            bits = fits[0]
        if group_size is None:
            groups = arrays[prefix + ".weight_scale"].shape[-1]
            if groups <= 0 or cols % groups:
                raise ValueError("%d scales per row do not divide %d columns"
                                 % (groups, cols))
            group_size = 0 if groups == 1 else cols // groups
        return checkpoint.table_from_tensors(arrays, prefix, bits,
                                             group_size, symmetric,
                                             scale_kind)

    # -- GPU kernels ahead of time --------------------------------------------

    def compile_kernels(self, chip, id_dtypes=(torch.int64, torch.int32)):
        """Generates the GPU kernels of this module for `chip` (e.g.
        "sm_90") into the memory and disk caches, both unroll variants and
        every id dtype, without a GPU. Returns the cache file paths. Copy
        them (or the whole cache folder) to a machine without the compiler
        extension to run there."""
        paths = []
        for id_dtype in id_dtypes:
            for unroll in (1, 2):
                params = _params(self.bits, self.group_size, self.symmetric,
                                 _KIND[self.scales.dtype], _KIND[self.dtype],
                                 self.embedding_dim, _ID_KIND[id_dtype], chip,
                                 BLOCK_SIZE, unroll)
                kernel(params)
                paths.append(_cache_file(params))
        return paths

    # -- nn.Module ------------------------------------------------------------

    def forward(self, ids):
        if isinstance(ids, torch.Tensor) and ids.is_cuda and \
                not torch.compiler.is_compiling():
            # Eager CUDA calls skip the custom op's dispatch (tens of us per
            # call); traced/compiled graphs go through torch.ops.qembed. The
            # checks below run once per plan (_plan).
            return self._forward_cuda(ids)
        if not isinstance(ids, torch.Tensor):
            raise TypeError("ids must be a tensor, got %s"
                            % type(ids).__name__)
        if ids.dtype not in _ID_KIND:
            raise TypeError("ids must be int32 or int64, got %s" % ids.dtype)
        if ids.device != self.packed.device:
            raise ValueError("ids are on %s, the table on %s"
                             % (ids.device, self.packed.device))
        return torch.ops.qembed.gather(self.packed, self.scales,
                                       self.zero_points, ids,
                                       self.embedding_dim, self.bits,
                                       self.group_size, self.dtype)

    def _plan(self, ids):
        """Everything a launch needs except the ids and the output, checked
        once per table, device, id dtype and output dtype. Keyed on the
        buffer objects (the plan holds them, so their ids stay unique):
        replacing a buffer, moving or casting the module makes a new plan;
        in-place writes to the buffers' values need none."""
        buffers = self._buffers  # a plain dict: no nn.Module.__getattr__
        packed, scales, zps = (buffers["packed"], buffers["scales"],
                               buffers["zero_points"])
        key = (ids.dtype, ids.get_device(), self.dtype, id(packed),
               id(scales), id(zps))
        plan = self._plans.get(key)
        if plan is None:
            if ids.dtype not in _ID_KIND:
                raise TypeError("ids must be int32 or int64, got %s"
                                % ids.dtype)
            if ids.device != packed.device:
                raise ValueError("ids are on %s, the table on %s"
                                 % (ids.device, packed.device))
            _check_op_args(packed, scales, zps, ids, self.embedding_dim,
                           self.bits, self.group_size, self.dtype)
            rows = packed.shape[0]
            if packed.data_ptr() % 16:
                raise ValueError("qembed's GPU kernel needs the packed table "
                                 "16-byte aligned")
            if rows >= 2 ** 31:
                raise ValueError("the GPU kernel takes fewer than 2^31 rows")
            index = ids.get_device()
            spr, sms, variants = _launcher(
                index, self.bits, self.group_size, zps is None, scales.dtype,
                self.dtype, self.embedding_dim, ids.dtype)
            plan = self._plans[key] = (
                index, spr, 2 * BLOCK_SIZE * sms, variants, rows,
                packed.data_ptr(), scales.data_ptr(),
                0 if zps is None else zps.data_ptr(),
                _cuda.runtime().launch_gather, self.embedding_dim,
                (packed, scales, zps))
        return plan

    def _forward_cuda(self, ids):
        index, spr, small, variants, rows, p, s, z, launch, cols, _ = \
            self._plan(ids)
        flat = ids if ids.dim() == 1 else ids.reshape(-1)
        if not flat.is_contiguous():
            flat = flat.contiguous()
        n = flat.shape[0]
        out = torch.empty((n, cols), dtype=self.dtype, device=ids.device)
        if n:
            if n >= 2 ** 31:
                raise ValueError("the GPU kernel takes fewer than 2^31 "
                                 "tokens")
            # choose_unroll, inlined: unroll 1 below two blocks per SM.
            function, block, per_block = variants[1 if n * spr < small else 2]
            launch(index, function, -(-n * spr // per_block), block,
                   _current_stream(index), p, s, z, flat.data_ptr(),
                   out.data_ptr(), n, rows)
        return out if ids.dim() == 1 else \
            out.view(tuple(ids.shape) + (cols,))

    def _apply(self, fn, recurse=True):
        # Module casts move the scales but never convert them: they go
        # through as integers of the same width. The output dtype follows
        # floating-point casts.
        probe = fn(torch.empty(0, dtype=self.dtype,
                               device=self.packed.device))
        if probe.dtype != self.dtype:
            if probe.dtype not in _KIND:
                raise TypeError("QuantizedEmbedding outputs float32, float16 "
                                "or bfloat16, not %s" % probe.dtype)
            self.dtype = probe.dtype
        self._plans = {}  # the buffers move: launch plans are stale
        scale_dtype = self.scales.dtype
        as_int = torch.int32 if scale_dtype == torch.float32 else torch.int16
        self._buffers["scales"] = self.scales.view(as_int)
        try:
            return super()._apply(fn, recurse)
        finally:
            self._buffers["scales"] = self._buffers["scales"].view(
                scale_dtype)

    def extra_repr(self):
        s = "%d, %d, bits=%d, group_size=%d, %s, scale_dtype=%s, dtype=%s" % (
            self.num_embeddings, self.embedding_dim, self.bits,
            self.group_size, "symmetric" if self.symmetric else "asymmetric",
            self.scales.dtype, self.dtype)
        if self.padding_idx is not None:
            s += ", padding_idx=%d" % self.padding_idx
        return s


#===-----------------------------------------------------------------------===#
# Hugging Face models
#===-----------------------------------------------------------------------===#

class QuantizedEmbeddingBag(QuantizedEmbedding):
    """nn.EmbeddingBag(mode="sum" or "mean") over a quantized table (the
    buffers of QuantizedEmbedding). forward(input, offsets) takes a 1-D
    int32/int64 `input` with 1-D `offsets` (bag b is input[offsets[b]:
    offsets[b + 1]], the last bag runs to the end; with include_last_offset
    the last offset ends the last bag instead), or a 2-D `input` of fixed
    bags (one per row, offsets=None). It returns (bags, embedding_dim) rows
    in `dtype`: qembed.gather_bags, i.e. each dequantized row value added in
    bag order in f32, rounded once to `dtype` (mean: that sum divided by the
    bag size in f32, rounded again); empty bags are zeros. That equals
    PyTorch's CPU embedding_bag on the dequantized table bit for bit for
    float32 and float16 (bfloat16 within two bfloat16 ulps of the bag's
    magnitude:
    PyTorch's bfloat16 kernel is not the correctly rounded f32 sum). The
    table is never densified. Ids outside [0, num_embeddings) are clamped.

    Runs on the CPU (the numerics library's fused gather_bags) and on CUDA
    tensors (qembed's generated bag kernel, the one IREE CUDA programs run:
    one thread per 16-byte output slice, the same arithmetic bit for bit; the
    kernels come from the cache or the JIT like QuantizedEmbedding's, see
    compile_kernels). Offsets must be non-decreasing, as PyTorch requires
    (others are clamped, and with include_last_offset the CPU and CUDA paths
    may cut such bags differently). mode="max", per_sample_weights and
    padding_idx are not supported (ValueError)."""

    def __init__(self, packed, scales, zero_points=None, *, embedding_dim,
                 bits, group_size, mode="mean", include_last_offset=False,
                 dtype=None):
        super().__init__(packed, scales, zero_points,
                         embedding_dim=embedding_dim, bits=bits,
                         group_size=group_size, dtype=dtype)
        if mode not in ("sum", "mean"):
            raise ValueError("mode must be 'sum' or 'mean' (max is not "
                             "supported), got %r" % (mode,))
        self.mode = mode
        self.include_last_offset = bool(include_last_offset)

    @classmethod
    def from_embedding_bag(cls, bag, bits=4, group_size=64, symmetric=True,
                           scale_dtype=None, dtype=None):
        """Quantizes an nn.EmbeddingBag's weight with qembed's numerics
        (bit-exact with compressed-tensors) and keeps its mode and
        include_last_offset."""
        if not isinstance(bag, nn.EmbeddingBag):
            raise TypeError("from_embedding_bag takes an nn.EmbeddingBag, "
                            "got %s" % type(bag).__name__)
        if bag.mode not in ("sum", "mean"):
            raise ValueError("mode=%r is not supported (sum and mean are)"
                             % (bag.mode,))
        if bag.max_norm is not None:
            raise ValueError("embedding bags with max_norm (renormalized on "
                             "lookup) cannot be quantized")
        if bag.padding_idx is not None:
            raise ValueError("padding_idx is not supported")
        table = QuantizedEmbedding.from_embedding(
            bag.weight.detach().cpu(), bits=bits, group_size=group_size,
            symmetric=symmetric, scale_dtype=scale_dtype, dtype=dtype)
        module = cls(table.packed, table.scales, table.zero_points,
                     embedding_dim=table.embedding_dim, bits=table.bits,
                     group_size=table.group_size, mode=bag.mode,
                     include_last_offset=bag.include_last_offset,
                     dtype=table.dtype)
        return module.to(bag.weight.device)

    def compile_kernels(self, chip, id_dtypes=(torch.int64, torch.int32),
                        offset_dtypes=(torch.int64, torch.int32)):
        """Generates this module's GPU bag kernels for `chip` (every id and
        offset dtype) into the memory and disk caches, without a GPU.
        Returns the cache file paths (copy them to a machine without the
        compiler extension)."""
        paths = []
        # 2-D inputs (fixed bags) take the plain kernel even with
        # include_last_offset.
        lasts = (False, True) if self.include_last_offset else (False,)
        for id_dtype in id_dtypes:
            for offset_dtype in offset_dtypes:
                for last in lasts:
                    params = _bags_params(
                        self.bits, self.group_size, self.symmetric,
                        _KIND[self.scales.dtype], _KIND[self.dtype],
                        self.embedding_dim, _ID_KIND[id_dtype],
                        _ID_KIND[offset_dtype], self.mode, last, chip,
                        BLOCK_SIZE)
                    bags_kernel(params)
                    paths.append(_cache_file(params))
        return paths

    def forward(self, input, offsets=None, per_sample_weights=None):
        if per_sample_weights is not None:
            raise ValueError("per_sample_weights are not supported")
        device = self.packed.device
        for name, t in (("input", input), ("offsets", offsets)):
            if t is None:
                continue
            if not isinstance(t, torch.Tensor):
                raise TypeError("%s must be a tensor, got %s"
                                % (name, type(t).__name__))
            if t.dtype not in _ID_KIND:
                raise TypeError("%s must be int32 or int64, got %s"
                                % (name, t.dtype))
            if t.device != device:
                raise ValueError("%s is on %s, the table on %s"
                                 % (name, t.device, device))
        if input.dim() == 2:
            if offsets is not None:
                raise ValueError("offsets must be None for a 2-D input")
            bags, per_bag = input.shape
            ids = input.reshape(-1)
            offs = torch.arange(bags, dtype=torch.int64,
                                device=device) * per_bag
            last = False
        elif input.dim() == 1:
            if offsets is None or offsets.dim() != 1:
                raise ValueError("a 1-D input needs 1-D offsets")
            ids, offs = input, offsets
            last = self.include_last_offset
            if last and offs.shape[0] == 0:
                raise ValueError("include_last_offset needs at least one "
                                 "offset")
        else:
            raise ValueError("input must be 1-D or 2-D, got %d-D"
                             % input.dim())
        if device.type == "cuda":
            # The kernel reads the offsets as they are (with
            # include_last_offset the last one ends the last bag).
            ids, offs = ids.contiguous(), offs.contiguous()
            bags = offs.shape[0] - 1 if last else offs.shape[0]
            return _launch_bags(self, ids, offs, bags, ids.shape[0], last)
        if device.type != "cpu":
            raise ValueError("QuantizedEmbeddingBag runs on CPU or CUDA "
                             "tensors, not %s" % device)
        if last:
            end = min(max(int(offs[-1]), 0), ids.shape[0])
            ids, offs = ids[:end], offs[:-1]
        scales = _to_numpy(self.scales)
        if self.scales.dtype == torch.float16:
            scales = scales.view(np.float16)
        q = qembed.QuantizedTable(
            packed=_to_numpy(self.packed), scales=scales,
            zero_points=None if self.zero_points is None
            else _to_numpy(self.zero_points), cols=self.embedding_dim,
            bits=self.bits, group_size=self.group_size,
            symmetric=self.symmetric, scale_dtype=_KIND[self.scales.dtype])
        out = qembed.gather_bags(q, _to_numpy(ids), _to_numpy(offs),
                                 mode=self.mode, out_dtype=_KIND[self.dtype])
        out = np.ascontiguousarray(out)
        if self.dtype == torch.bfloat16:
            return torch.from_numpy(out.view(np.int16)).view(torch.bfloat16)
        return torch.from_numpy(out)

    def extra_repr(self):
        return super().extra_repr() + ", mode=%s%s" % (
            self.mode, ", include_last_offset=True"
            if self.include_last_offset else "")


def quantize_model_embeddings(model, bits=None, group_size=None,
                              symmetric=True, scale_dtype=None, format="int",
                              per_tensor=False, vq=None):
    """Replaces a transformers model's input embedding
    (get_input_embeddings / set_input_embeddings) with a QuantizedEmbedding
    and returns the model. format= / per_tensor= / vq= select a float format
    or codebook VQ (QuantizedEmbedding.from_embedding).

    Tied embeddings: when the lm_head shares the embedding's weight (or the
    config says tie_word_embeddings), the lm_head keeps the exact dense
    weight: it gets its own Parameter holding the original tensor (no copy),
    and config.tie_word_embeddings becomes False so that transformers does
    not tie it to the quantized module again. Only the lookup is quantized;
    the output projection, which reads the whole table every step, stays
    dense and exact."""
    embedding = model.get_input_embeddings()
    if isinstance(embedding, QuantizedEmbedding):
        raise ValueError("the model's input embedding is quantized already")
    if not isinstance(embedding, nn.Embedding):
        raise TypeError("the input embedding is a %s, not an nn.Embedding"
                        % type(embedding).__name__)
    config = getattr(model, "config", None)
    tied_config = bool(getattr(config, "tie_word_embeddings", False))
    head = model.get_output_embeddings() if hasattr(
        model, "get_output_embeddings") else None
    head_weight = getattr(head, "weight", None)
    quantized = QuantizedEmbedding.from_embedding(
        embedding, bits=bits, group_size=group_size, symmetric=symmetric,
        scale_dtype=scale_dtype, format=format, per_tensor=per_tensor, vq=vq)
    if head_weight is not None and (tied_config or
                                    head_weight is embedding.weight):
        if head_weight is embedding.weight:
            head.weight = nn.Parameter(embedding.weight.detach(),
                                       requires_grad=head_weight.requires_grad)
        if config is not None and tied_config:
            config.tie_word_embeddings = False
    model.set_input_embeddings(quantized)
    return model


def _from_embedding_other(embedding, bits, group_size, symmetric,
                          scale_dtype, dtype, format, per_tensor, vq):
    """QuantizedEmbedding.from_embedding for a float format or codebook VQ:
    checks that the INT options were left alone."""
    if vq is not None:
        if format != "int" or per_tensor:
            raise ValueError("vq= is codebook quantization: it takes no "
                             "format=%r / per_tensor" % (format,))
        if (bits, group_size, scale_dtype) != (None, None, None) or \
                not symmetric:
            raise ValueError("vq= takes no bits, group_size, symmetric or "
                             "scale_dtype (its options are in the vq dict)")
        if not isinstance(vq, dict):
            raise TypeError("vq must be a dict of qembed.quantize_vq "
                            "options, got %s" % type(vq).__name__)
        return CodebookEmbedding.from_embedding(embedding, vq, dtype)
    qembed._check_format(format, bits, group_size, symmetric, scale_dtype,
                         per_tensor)
    return FloatFormatEmbedding.from_embedding(embedding, format, per_tensor,
                                               dtype)


# The float-format and codebook modules reuse the helpers above.
from qembed._torch_formats import (  # noqa: E402
    CodebookEmbedding, FloatFormatEmbedding, _float_table_from_dict,
    _is_float_config)
