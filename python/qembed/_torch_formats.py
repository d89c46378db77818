"""The float-format (FP8 / NVFP4 / MXFP4) and codebook VQ embeddings of
qembed.torch: FloatFormatEmbedding and CodebookEmbedding, their custom ops
`torch.ops.qembed.gather_float` and `torch.ops.qembed.gather_vq`, and the
disk-cached codebook kernels. Import them from qembed.torch; this module is
loaded at the end of it (it reuses its kernel cache and launch helpers).

Both modules are QuantizedEmbedding subclasses (isinstance checks, such as
quantize_model_embeddings' "quantized already", hold), reached with
QuantizedEmbedding.from_embedding(emb, format=...) or (emb, vq={...}).

* CPU forward: qembed's numerics library (qembed.gather of a float-format
  QuantizedTable, qembed.gather_vq of a CodebookTable) on the buffers in
  place; bit-identical to qembed.dequantize / dequantize_vq of the rows.
* CUDA forward: qembed's generated kernels (gpu_gather_kernel with a format,
  gpu_codebook_kernel), from memory, the disk cache ($QEMBED_CACHE_DIR) or
  the JIT, as for the INT schemes; `compile_kernels(chip)` fills the cache
  without a GPU.
"""

import ctypes
import os

import numpy as np
import torch
from torch import nn

import qembed
from qembed import _cuda
from qembed import torch as _qt

__all__ = ["FloatFormatEmbedding", "CodebookEmbedding", "codebook_kernel"]

_KIND, _TORCH, _ID_KIND = _qt._KIND, _qt._TORCH, _qt._ID_KIND
_FORMAT_BITS = {"fp8": 8, "nvfp4": 4, "mxfp4": 4}
_FORMAT_GROUP = {"fp8": 0, "nvfp4": 16, "mxfp4": 32}


def _raw_view(t):
    """A numpy view of a contiguous CPU tensor's storage (16-bit floats as
    int16), no copy."""
    return t.view(torch.int16).numpy() if t.dtype in (
        torch.float16, torch.bfloat16) else t.numpy()


def _check_ids(ids, device):
    if not isinstance(ids, torch.Tensor):
        raise TypeError("ids must be a tensor, got %s" % type(ids).__name__)
    if ids.dtype not in _ID_KIND:
        raise TypeError("ids must be int32 or int64, got %s" % ids.dtype)
    if ids.device != device:
        raise ValueError("ids are on %s, the table on %s"
                         % (ids.device, device))
    if ids.device.type not in ("cpu", "cuda"):
        raise ValueError("qembed's gathers run on CPU and CUDA tensors, not "
                         "%s" % ids.device)


def _protect_floats(module, names, fn, recurse):
    """nn.Module._apply that moves the float buffers `names` without
    converting them (viewed as same-width integers during the call) and
    lets the output dtype follow floating-point casts."""
    probe = fn(torch.empty(0, dtype=module.dtype,
                           device=module._buffers[names[0]].device))
    if probe.dtype != module.dtype:
        if probe.dtype not in _KIND:
            raise TypeError("%s outputs float32, float16 or bfloat16, not %s"
                            % (type(module).__name__, probe.dtype))
        module.dtype = probe.dtype
    saved = {}
    for name in names:
        t = module._buffers[name]
        if t is not None and t.dtype in _KIND:
            saved[name] = t.dtype
            module._buffers[name] = t.view(
                torch.int32 if t.dtype == torch.float32 else torch.int16)
    try:
        return nn.Module._apply(module, fn, recurse)
    finally:
        for name, dtype in saved.items():
            module._buffers[name] = module._buffers[name].view(dtype)


def _weight_of(embedding):
    """(weight, padding_idx) of an nn.Embedding or a 2-D weight tensor."""
    if isinstance(embedding, nn.Embedding):
        if embedding.max_norm is not None:
            raise ValueError("embeddings with max_norm (renormalized on "
                             "lookup) cannot be quantized")
        weight, padding_idx = embedding.weight, embedding.padding_idx
    elif isinstance(embedding, torch.Tensor):
        weight, padding_idx = embedding, None
    else:
        raise TypeError("from_embedding takes an nn.Embedding or a weight "
                        "tensor, got %s" % type(embedding).__name__)
    if weight.dim() != 2:
        raise ValueError("the weight must be 2-D, got shape %s"
                         % (tuple(weight.shape),))
    kind = _qt._kind(weight.dtype, "the weight dtype")
    table = _qt._to_numpy(weight)
    if kind == "f16":
        table = table.view(np.float16)
    return weight, padding_idx, table, kind


def _padding(padding_idx, rows):
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, int) or not -rows <= padding_idx < rows:
        raise ValueError("padding_idx must be within num_embeddings")
    return padding_idx % rows


def _float_tensor(a, kind):
    """A torch tensor of numpy array `a` holding `kind` values (bf16 / f16
    possibly as uint16 bits)."""
    a = _qt._owned(a)
    if kind == "f32":
        return torch.from_numpy(a.view(np.float32))
    t = torch.from_numpy(a.view(np.int16))
    return t.view(torch.bfloat16 if kind == "bf16" else torch.float16)


#===-----------------------------------------------------------------------===#
# Float formats
#===-----------------------------------------------------------------------===#

def _check_float_args(packed, scales, ids, embedding_dim, format,
                      out_dtype):
    if format not in _FORMAT_BITS:
        raise ValueError("format must be fp8, nvfp4 or mxfp4, got %r"
                         % (format,))
    if out_dtype not in _KIND:
        raise TypeError("out_dtype must be float32, float16 or bfloat16, "
                        "got %s" % out_dtype)
    if ids.dtype not in _ID_KIND:
        raise TypeError("ids must be int32 or int64, got %s" % ids.dtype)
    if packed.dtype != torch.int32 or packed.dim() != 2 or \
            packed.shape[0] == 0:
        raise TypeError("packed must be a 2-D int32 tensor with rows")
    want = scales.dtype in _KIND if format == "fp8" else \
        scales.dtype == torch.uint8
    if not want or scales.dim() != 2:
        raise TypeError("%s scales must be 2-D %s, got %s" % (
            format, "float32/float16/bfloat16" if format == "fp8" else
            "uint8", scales.dtype))
    group = _FORMAT_GROUP[format]
    if embedding_dim <= 0 or (group and embedding_dim % group):
        raise ValueError("%s needs embedding_dim a multiple of %d, got %d"
                         % (format, group, embedding_dim))
    words = (embedding_dim * _FORMAT_BITS[format] + 31) // 32
    groups = 1 if group == 0 else embedding_dim // group
    rows = packed.shape[0]
    if packed.shape[1] != words or tuple(scales.shape) != (rows, groups):
        raise ValueError("a %d-column %s table has packed (rows, %d) and "
                         "scales (rows, %d); got %s and %s" % (
                             embedding_dim, format, words, groups,
                             tuple(packed.shape), tuple(scales.shape)))
    if not (packed.is_contiguous() and scales.is_contiguous()):
        raise ValueError("packed and scales must be contiguous")
    if packed.device != ids.device or scales.device != ids.device:
        raise ValueError("ids (%s) and the table (%s) must be on the same "
                         "device" % (ids.device, packed.device))


@torch.library.custom_op("qembed::gather_float", mutates_args=())
def gather_float(packed: torch.Tensor, scales: torch.Tensor,
                 ids: torch.Tensor, embedding_dim: int, format: str,
                 global_scale: float, out_dtype: torch.dtype) -> torch.Tensor:
    """Rows `ids` (int32/int64, any shape; clamped into [0, rows)) of a
    float-format table (format "fp8", "nvfp4" or "mxfp4": packed int32
    words, scales as in qembed.QuantizedTable), dequantized to `out_dtype`
    (bit-identical to qembed.gather); shape ids.shape + (embedding_dim,).
    This implementation runs on the CPU."""
    _check_float_args(packed, scales, ids, embedding_dim, format, out_dtype)
    flat = ids.reshape(-1).contiguous()
    out = torch.empty((flat.numel(), embedding_dim), dtype=out_dtype)
    # The table dtype only matters to fp8 (its scales' dtype).
    kind = _KIND[scales.dtype] if format == "fp8" else "f32"
    qembed._native().gather_float_raw(
        packed.numpy(), _raw_view(scales), float(global_scale), flat.numpy(),
        _raw_view(out), embedding_dim, format, kind, _KIND[out_dtype])
    return out.view(tuple(ids.shape) + (embedding_dim,))


@gather_float.register_fake
def _gather_float_fake(packed, scales, ids, embedding_dim, format,
                       global_scale, out_dtype):
    return ids.new_empty(tuple(ids.shape) + (embedding_dim,),
                         dtype=out_dtype)


@gather_float.register_kernel("cuda")
def _gather_float_cuda(packed, scales, ids, embedding_dim, format,
                       global_scale, out_dtype):
    _check_float_args(packed, scales, ids, embedding_dim, format, out_dtype)
    if packed.shape[0] >= 2 ** 31 or ids.numel() >= 2 ** 31:
        raise ValueError("the GPU kernel takes fewer than 2^31 tokens and "
                         "rows")
    return _qt.float_format_gather(packed, scales, ids, format,
                                   embedding_dim, out_dtype,
                                   global_scale=global_scale)


class FloatFormatEmbedding(_qt.QuantizedEmbedding):
    """An embedding table kept in a float format of compressed-tensors 0.20
    (qembed.quantize(format=...)): "fp8" (E4M3FN codes, 4 per int32 word;
    `scales` [V, 1] in the table's float dtype, one value per row or, with
    per_tensor, the same for all rows), "nvfp4" (E2M1 nibbles; `scales`
    uint8 [V, D/16] E4M3FN bytes; an f32 `global_scale`) or "mxfp4" (E2M1;
    `scales` uint8 [V, D/32] E8M0 codes). The buffers are `packed` and
    `scales`; format, global_scale and per_tensor travel in the state dict
    as the module's extra state (loading a dict of another format or global
    scale raises ValueError).

    forward(ids) returns ids.shape + (embedding_dim,) rows in `dtype`,
    bit-identical to qembed.dequantize of the table's rows in that dtype;
    ids are clamped into [0, num_embeddings). Casting the module changes the
    output dtype only (fp8 scales are never re-rounded)."""

    def __init__(self, packed, scales, *, embedding_dim, format,
                 global_scale=1.0, per_tensor=False, padding_idx=None,
                 dtype=None):
        nn.Module.__init__(self)
        if not isinstance(packed, torch.Tensor) or not isinstance(
                scales, torch.Tensor):
            raise TypeError("packed and scales must be tensors")
        if not isinstance(embedding_dim, int) or embedding_dim <= 0:
            raise ValueError("embedding_dim must be a positive integer, got "
                             "%r" % (embedding_dim,))
        if per_tensor and format != "fp8":
            raise ValueError("per_tensor is only for format='fp8'")
        global_scale = float(np.float32(global_scale))
        if not np.isfinite(global_scale) or global_scale == 0:
            raise ValueError("global_scale must be finite and non-zero, got "
                             "%r" % (global_scale,))
        if format != "nvfp4" and global_scale != 1.0:
            raise ValueError("only nvfp4 has a global scale")
        no_ids = packed.new_empty(0, dtype=torch.int64)
        _check_float_args(packed, scales, no_ids, embedding_dim, format,
                          torch.float32)
        self.num_embeddings = packed.shape[0]
        self.embedding_dim = embedding_dim
        self.format = format
        self.global_scale = global_scale
        self.per_tensor = bool(per_tensor)
        self.bits = _FORMAT_BITS[format]
        self.group_size = _FORMAT_GROUP[format]
        self.padding_idx = _padding(padding_idx, self.num_embeddings)
        default = scales.dtype if format == "fp8" else torch.float32
        self.dtype = _TORCH[_qt._kind(dtype if dtype is not None else default,
                                      "dtype")]
        self.register_buffer("packed", packed.contiguous())
        self.register_buffer("scales", scales.contiguous())

    symmetric = True
    zero_points = None

    @classmethod
    def from_table(cls, q, padding_idx=None, dtype=None):
        """The module of a float-format qembed.QuantizedTable (on the CPU);
        dtype defaults to the table's dtype (q.scale_dtype)."""
        if getattr(q, "format", "int") not in _FORMAT_BITS:
            raise ValueError("from_table takes a float-format table, got "
                             "format %r" % (getattr(q, "format", "int"),))
        packed = torch.from_numpy(_qt._owned(q.packed))
        scales = _float_tensor(q.scales, q.scale_dtype) if q.format == "fp8" \
            else torch.from_numpy(_qt._owned(q.scales))
        return cls(packed, scales, embedding_dim=q.cols, format=q.format,
                   global_scale=q.global_scale, per_tensor=q.per_tensor,
                   padding_idx=padding_idx,
                   dtype=_TORCH[q.scale_dtype] if dtype is None else dtype)

    @classmethod
    def from_embedding(cls, embedding, format="fp8", per_tensor=False,
                       dtype=None):
        """Quantizes an nn.Embedding (or a 2-D weight tensor) to `format`
        with qembed's numerics (bit-exact with compressed-tensors); keeps its
        padding_idx; dtype (the output) defaults to the weight's. The module
        lands on the weight's device."""
        weight, padding_idx, table, kind = _weight_of(embedding)
        q = qembed.quantize(table, format=format, per_tensor=per_tensor,
                            dtype=kind)
        module = cls.from_table(q, padding_idx,
                                weight.dtype if dtype is None else dtype)
        return module.to(weight.device)

    def table(self):
        """The module's qembed.QuantizedTable (CPU numpy copies)."""
        scales = _qt._to_numpy(self.scales)
        kind = _KIND[self.scales.dtype] if self.format == "fp8" else \
            _KIND[self.dtype]
        if self.scales.dtype == torch.float16:
            scales = scales.view(np.float16)
        return qembed.QuantizedTable(
            _qt._to_numpy(self.packed), scales, None, self.embedding_dim,
            self.bits, self.group_size, True, kind, format=self.format,
            global_scale=self.global_scale, per_tensor=self.per_tensor)

    def get_extra_state(self):
        return {"format": self.format, "global_scale": self.global_scale,
                "per_tensor": self.per_tensor}

    def set_extra_state(self, state):
        if not isinstance(state, dict) or state.get("format") != self.format:
            raise ValueError("the state dict holds a %r table, this module "
                             "is %r" % (state.get("format") if isinstance(
                                 state, dict) else state, self.format))
        gscale = float(np.float32(state.get("global_scale", 1.0)))
        if gscale != self.global_scale and self.format != "nvfp4":
            raise ValueError("only nvfp4 has a global scale")
        self.global_scale = gscale
        self.per_tensor = bool(state.get("per_tensor", False))

    def compile_kernels(self, chip, id_dtypes=(torch.int64, torch.int32)):
        """Generates this module's GPU kernels for `chip` (e.g. "sm_90")
        into the memory and disk caches (both unroll variants, every id
        dtype) without a GPU. Returns the cache file paths."""
        paths = []
        scale_type = _qt._FLOAT_SCALE_TYPE.get(self.format) or \
            _KIND[self.scales.dtype]
        for id_dtype in id_dtypes:
            for unroll in (1, 2):
                params = _qt._float_params(
                    self.format, scale_type, _KIND[self.dtype],
                    self.embedding_dim, _ID_KIND[id_dtype], chip,
                    _qt.BLOCK_SIZE, unroll, self.global_scale)
                _qt.kernel(params)
                paths.append(_qt._cache_file(params))
        return paths

    def _plan(self, ids):
        """QuantizedEmbedding._plan for a float-format table: the same
        launch (qembed's gather kernel ABI, no zero points), both unroll
        variants loaded, checked once per table buffers, id dtype, output
        dtype and global scale (set_extra_state may change it in place)."""
        buffers = self._buffers
        packed, scales = buffers["packed"], buffers["scales"]
        key = (ids.dtype, ids.get_device(), self.dtype, self.global_scale,
               id(packed), id(scales))
        plans = self.__dict__.setdefault("_plans", {})
        plan = plans.get(key)
        if plan is None:
            _check_ids(ids, packed.device)
            _check_float_args(packed, scales, ids, self.embedding_dim,
                              self.format, self.dtype)
            rows, cols = packed.shape[0], self.embedding_dim
            if packed.data_ptr() % 16:
                raise ValueError("qembed's GPU kernel needs the packed table "
                                 "16-byte aligned")
            if rows >= 2 ** 31:
                raise ValueError("the GPU kernel takes fewer than 2^31 rows")
            index = ids.get_device()
            chip, sms = _qt._device_info(index)
            scale_type = _qt._FLOAT_SCALE_TYPE.get(self.format) or \
                _KIND[scales.dtype]
            variants = {}
            for unroll in (1, 2):
                function, entry = _qt._function(index, _qt._float_params(
                    self.format, scale_type, _KIND[self.dtype], cols,
                    _ID_KIND[ids.dtype], chip, _qt.BLOCK_SIZE, unroll,
                    self.global_scale))
                variants[unroll] = (function, entry["block_size"],
                                    entry["block_size"] * entry["unroll"])
            plan = plans[key] = (
                index, _qt._slices_per_row(cols, self.dtype),
                2 * _qt.BLOCK_SIZE * sms, variants, rows, packed.data_ptr(),
                scales.data_ptr(), 0, _cuda.runtime().launch_gather, cols,
                (packed, scales))
        return plan

    def forward(self, ids):
        if isinstance(ids, torch.Tensor) and ids.is_cuda and \
                not torch.compiler.is_compiling():
            # Eager CUDA calls: QuantizedEmbedding._forward_cuda with this
            # format's launch plan (checked once, then one launch per call).
            return self._forward_cuda(ids)
        _check_ids(ids, self.packed.device)
        return torch.ops.qembed.gather_float(
            self.packed, self.scales, ids, self.embedding_dim, self.format,
            self.global_scale, self.dtype)

    def _apply(self, fn, recurse=True):
        self._plans = {}  # the buffers may move: launch plans are stale
        return _protect_floats(self, ["scales"], fn, recurse)

    def extra_repr(self):
        s = "%d, %d, format=%s" % (self.num_embeddings, self.embedding_dim,
                                   self.format)
        if self.format == "fp8":
            s += ", scale_dtype=%s%s" % (
                self.scales.dtype, ", per_tensor" if self.per_tensor else "")
        elif self.format == "nvfp4":
            s += ", global_scale=%r" % self.global_scale
        s += ", dtype=%s" % self.dtype
        if self.padding_idx is not None:
            s += ", padding_idx=%d" % self.padding_idx
        return s


#===-----------------------------------------------------------------------===#
# Codebook VQ
#===-----------------------------------------------------------------------===#

def _vq_shape(codes, scales, codebooks, embedding_dim):
    """(dim, entries, stages, groups) of a codebook table's buffers,
    checked."""
    if codes.dtype != torch.int32 or codes.dim() != 2 or codes.shape[0] == 0:
        raise TypeError("codes must be a 2-D int32 tensor with rows")
    if scales.dtype != torch.float16 or tuple(scales.shape) != (
            codes.shape[0], 1):
        raise TypeError("scales must be float16 of shape (%d, 1), got %s %s"
                        % (codes.shape[0], scales.dtype,
                           tuple(scales.shape)))
    if codebooks.dtype not in _KIND or codebooks.dim() != 4:
        raise TypeError("codebooks must be a 4-D float32/float16/bfloat16 "
                        "tensor [groups, stages, entries, dim]")
    groups, stages, entries, dim = (int(x) for x in codebooks.shape)
    if entries < 2 or entries & (entries - 1):
        raise ValueError("codebooks must have a power-of-two number of "
                         "entries >= 2, got %d" % entries)
    if dim <= 0 or embedding_dim <= 0 or embedding_dim % dim or (
            (embedding_dim // dim) % groups):
        raise ValueError("embedding_dim %d must split into vectors of %d "
                         "columns, in %d equal groups" % (embedding_dim, dim,
                                                          groups))
    bits = entries.bit_length() - 1
    words = -(-(embedding_dim // dim) * stages * bits // 32)
    if codes.shape[1] != words:
        raise ValueError("codes must have %d words per row, got %d"
                         % (words, codes.shape[1]))
    if not (codes.is_contiguous() and scales.is_contiguous() and
            codebooks.is_contiguous()):
        raise ValueError("codes, scales and codebooks must be contiguous")
    if len({codes.device, scales.device, codebooks.device}) != 1:
        raise ValueError("codes, scales and codebooks must be on one device")
    return dim, entries, stages, groups


@torch.library.custom_op("qembed::gather_vq", mutates_args=())
def gather_vq(codes: torch.Tensor, scales: torch.Tensor,
              codebooks: torch.Tensor, ids: torch.Tensor, embedding_dim: int,
              out_dtype: torch.dtype) -> torch.Tensor:
    """Rows `ids` (int32/int64, any shape; clamped into [0, rows)) of a
    codebook VQ table (qembed.CodebookTable's codes, float16 scales and
    [groups, stages, entries, dim] codebooks), dequantized to `out_dtype`,
    bit-identical to qembed.gather_vq. This implementation runs on the
    CPU."""
    dim, entries, stages, groups = _vq_shape(codes, scales, codebooks,
                                             embedding_dim)
    if out_dtype not in _KIND:
        raise TypeError("out_dtype must be float32, float16 or bfloat16, "
                        "got %s" % out_dtype)
    if ids.dtype not in _ID_KIND or ids.device != codes.device:
        raise ValueError("ids must be int32/int64 on the table's device")
    flat = ids.reshape(-1).to(torch.int64).contiguous()
    books = _raw_view(codebooks)
    if books.dtype == np.int16:
        books = books.view(np.uint16)
    out = qembed._native().vq_gather_raw(
        codes.numpy(), scales.view(torch.int16).numpy().view(np.uint16),
        books.reshape(-1, dim), flat.numpy(), embedding_dim, dim, entries,
        stages, groups, _KIND[codebooks.dtype], _KIND[out_dtype], 0)
    out = _float_tensor(np.asarray(out), _KIND[out_dtype])
    return out.view(tuple(ids.shape) + (embedding_dim,))


@gather_vq.register_fake
def _gather_vq_fake(codes, scales, codebooks, ids, embedding_dim, out_dtype):
    return ids.new_empty(tuple(ids.shape) + (embedding_dim,),
                         dtype=out_dtype)


def _vq_params(dim, entries, stages, groups, book_type, out_type, cols,
               id_type, chip):
    return (("kernel", "codebook"), ("dim", int(dim)),
            ("entries", int(entries)), ("stages", int(stages)),
            ("groups", int(groups)), ("scale_type", "f16"),
            ("codebook_type", book_type), ("out_type", out_type),
            ("cols", int(cols)), ("id_type", id_type), ("chip", chip),
            ("block_size", 0))  # the generator's choice (in the entry)


def codebook_kernel(params):
    """The cache entry (ptx, name, block_size, shared_memory) of a codebook
    gather kernel (`params`: the tuple of _vq_params): from memory, the disk
    cache ($QEMBED_CACHE_DIR, the INT kernels' folder and file format) or
    qembed's JIT (gpu_codebook_kernel), which fills both."""
    return _qt._jit_cached(
        params, "gpu_codebook_kernel",
        {"block_size": int, "shared_memory": bool},
        "fill it with CodebookEmbedding.compile_kernels on a machine with "
        "the extension")


def _codebook_function(index, params):
    """(CUfunction, entry) of a codebook kernel loaded on device `index`."""
    return _qt._function(index, params, codebook_kernel)


@gather_vq.register_kernel("cuda")
def _gather_vq_cuda(codes, scales, codebooks, ids, embedding_dim, out_dtype):
    dim, entries, stages, groups = _vq_shape(codes, scales, codebooks,
                                             embedding_dim)
    if out_dtype not in _KIND:
        raise TypeError("out_dtype must be float32, float16 or bfloat16, "
                        "got %s" % out_dtype)
    if ids.dtype not in _ID_KIND or ids.device != codes.device:
        raise ValueError("ids must be int32/int64 on the table's device")
    flat = ids.reshape(-1).contiguous()
    n, rows = flat.numel(), codes.shape[0]
    if n >= 2 ** 31 or rows >= 2 ** 31:
        raise ValueError("the GPU kernel takes fewer than 2^31 tokens and "
                         "rows")
    out = torch.empty((n, embedding_dim), dtype=out_dtype, device=ids.device)
    if n:
        index = ids.get_device()
        chip, sms = _qt._device_info(index)
        function, entry = _codebook_function(index, _vq_params(
            dim, entries, stages, groups, _KIND[codebooks.dtype],
            _KIND[out_dtype], embedding_dim, _ID_KIND[flat.dtype], chip))
        # Grid-stride loop, one thread per vector of `dim` columns: at most
        # one wave of resident blocks (2048 threads per SM).
        block = entry["block_size"]
        vectors = n * (embedding_dim // dim)
        blocks = max(1, min(-(-vectors // block), sms * (2048 // block)))
        params = [ctypes.c_void_p(t.data_ptr())
                  for t in (codes, scales, codebooks, flat, out)]
        params += [ctypes.c_int32(n), ctypes.c_int32(rows)]
        _cuda.runtime().launch(function, (blocks, 1, 1), (block, 1, 1),
                               _qt._current_stream(index), params)
    return out.view(tuple(ids.shape) + (embedding_dim,))


class CodebookEmbedding(_qt.QuantizedEmbedding):
    """An embedding table kept in qembed's codebook VQ form
    (qembed.quantize_vq): buffers `codes` (int32 [V, words] of packed
    log2(entries)-bit codes, stage-interleaved per vector), `scales`
    (float16 [V, 1]) and `codebooks` ([groups, stages, entries, dim] in
    float32/float16/bfloat16); dim, entries, stages and groups are the
    codebooks' shape, so state_dict/load_state_dict and .to() need nothing
    else.

    forward(ids) returns ids.shape + (embedding_dim,) rows in `dtype`,
    bit-identical to qembed.gather_vq / dequantize_vq of the rows; ids are
    clamped into [0, num_embeddings). Casting the module changes the output
    dtype only (scales and codebooks keep theirs)."""

    def __init__(self, codes, scales, codebooks, *, embedding_dim,
                 padding_idx=None, dtype=None):
        nn.Module.__init__(self)
        if not all(isinstance(t, torch.Tensor)
                   for t in (codes, scales, codebooks)):
            raise TypeError("codes, scales and codebooks must be tensors")
        if not isinstance(embedding_dim, int):
            raise ValueError("embedding_dim must be an integer, got %r"
                             % (embedding_dim,))
        _vq_shape(codes, scales, codebooks, embedding_dim)
        self.num_embeddings = codes.shape[0]
        self.embedding_dim = embedding_dim
        self.padding_idx = _padding(padding_idx, self.num_embeddings)
        self.dtype = _TORCH[_qt._kind(dtype if dtype is not None
                                      else torch.float32, "dtype")]
        self.register_buffer("codes", codes)
        self.register_buffer("scales", scales)
        self.register_buffer("codebooks", codebooks)

    symmetric = True
    zero_points = None

    @property
    def packed(self):
        return self.codes

    @property
    def dim(self):
        return self.codebooks.shape[3]

    @property
    def entries(self):
        return self.codebooks.shape[2]

    @property
    def stages(self):
        return self.codebooks.shape[1]

    @property
    def groups(self):
        return self.codebooks.shape[0]

    @classmethod
    def from_table(cls, q, padding_idx=None, dtype=None):
        """The module of a qembed.CodebookTable (on the CPU); dtype
        defaults to float32."""
        if not isinstance(q, qembed.CodebookTable):
            raise TypeError("from_table takes a qembed.CodebookTable, got %s"
                            % type(q).__name__)
        codes = torch.from_numpy(_qt._owned(q.codes))
        scales = _float_tensor(q.scales, "f16")
        books = _float_tensor(q.codebooks, q.codebook_dtype)
        return cls(codes, scales, books, embedding_dim=q.cols,
                   padding_idx=padding_idx, dtype=dtype)

    @classmethod
    def from_embedding(cls, embedding, vq=None, dtype=None):
        """Quantizes an nn.Embedding (or a 2-D weight tensor) with
        qembed.quantize_vq(weight, **vq) (dim, entries, stages, groups,
        iterations, seed, codebook_dtype, threads); keeps its padding_idx;
        dtype (the output) defaults to the weight's. The module lands on the
        weight's device."""
        vq = dict(vq or {})
        if "dtype" in vq:
            raise ValueError("vq options do not take 'dtype' (the table's "
                             "dtype is the weight's)")
        weight, padding_idx, table, kind = _weight_of(embedding)
        try:
            q = qembed.quantize_vq(table, dtype=kind, **vq)
        except TypeError as e:
            raise ValueError("bad vq options %s: %s" % (sorted(vq), e)) from e
        module = cls.from_table(q, padding_idx,
                                weight.dtype if dtype is None else dtype)
        return module.to(weight.device)

    def table(self):
        """The module's qembed.CodebookTable (CPU numpy copies)."""
        books = _qt._to_numpy(self.codebooks)
        if self.codebooks.dtype == torch.float16:
            books = books.view(np.float16)
        return qembed.CodebookTable(
            _qt._to_numpy(self.codes), _qt._to_numpy(self.scales).view(
                np.float16), books, self.embedding_dim, self.dim,
            self.entries, self.stages, self.groups,
            _KIND[self.codebooks.dtype])

    def compile_kernels(self, chip, id_dtypes=(torch.int64, torch.int32)):
        """Generates this module's GPU kernels for `chip` (every id dtype)
        into the memory and disk caches without a GPU; returns the cache
        file paths."""
        paths = []
        for id_dtype in id_dtypes:
            params = _vq_params(self.dim, self.entries, self.stages,
                                self.groups, _KIND[self.codebooks.dtype],
                                _KIND[self.dtype], self.embedding_dim,
                                _ID_KIND[id_dtype], chip)
            codebook_kernel(params)
            paths.append(_qt._cache_file(params))
        return paths

    def _plan(self, ids):
        """The codebook kernel's launch, checked once per table buffers, id
        dtype and output dtype: (device, function, block size, vectors per
        row, grid cap, rows, codes, scales, codebooks addresses, launch,
        buffers kept alive). The runtime's one-call gather launch fits this
        kernel's ABI: its three table pointers are codes, scales and
        codebooks, then ids, out, tokens, rows."""
        buffers = self._buffers
        codes, scales, books = (buffers["codes"], buffers["scales"],
                                buffers["codebooks"])
        key = (ids.dtype, ids.get_device(), self.dtype, id(codes), id(scales),
               id(books))
        plans = self.__dict__.setdefault("_plans", {})
        plan = plans.get(key)
        if plan is None:
            _check_ids(ids, codes.device)
            dim, entries, stages, groups = _vq_shape(codes, scales, books,
                                                     self.embedding_dim)
            rows = codes.shape[0]
            if rows >= 2 ** 31:
                raise ValueError("the GPU kernel takes fewer than 2^31 rows")
            index = ids.get_device()
            chip, sms = _qt._device_info(index)
            function, entry = _codebook_function(index, _vq_params(
                dim, entries, stages, groups, _KIND[books.dtype],
                _KIND[self.dtype], self.embedding_dim, _ID_KIND[ids.dtype],
                chip))
            block = entry["block_size"]
            plan = plans[key] = (
                index, function, block, self.embedding_dim // dim,
                sms * (2048 // block), rows, codes.data_ptr(),
                scales.data_ptr(), books.data_ptr(),
                _cuda.runtime().launch_gather, (codes, scales, books))
        return plan

    def _forward_cuda(self, ids):
        (index, function, block, per_row, cap, rows, c, s, b, launch,
         _) = self._plan(ids)
        flat = ids if ids.dim() == 1 else ids.reshape(-1)
        if not flat.is_contiguous():
            flat = flat.contiguous()
        n = flat.shape[0]
        cols = self.embedding_dim
        out = torch.empty((n, cols), dtype=self.dtype, device=ids.device)
        if n:
            if n >= 2 ** 31:
                raise ValueError("the GPU kernel takes fewer than 2^31 "
                                 "tokens")
            # Grid-stride loop over vectors: at most one wave of resident
            # blocks (as _gather_vq_cuda).
            blocks = max(1, min(-(-n * per_row // block), cap))
            launch(index, function, blocks, block, _qt._current_stream(index),
                   c, s, b, flat.data_ptr(), out.data_ptr(), n, rows)
        return out if ids.dim() == 1 else \
            out.view(tuple(ids.shape) + (cols,))

    def forward(self, ids):
        if isinstance(ids, torch.Tensor) and ids.is_cuda and \
                not torch.compiler.is_compiling():
            return self._forward_cuda(ids)
        _check_ids(ids, self.codes.device)
        return torch.ops.qembed.gather_vq(self.codes, self.scales,
                                          self.codebooks, ids,
                                          self.embedding_dim, self.dtype)

    def _apply(self, fn, recurse=True):
        self._plans = {}  # the buffers may move: launch plans are stale
        return _protect_floats(self, ["codes", "scales", "codebooks"], fn,
                               recurse)

    def extra_repr(self):
        s = "%d, %d, dim=%d, entries=%d, stages=%d, groups=%d, " \
            "codebook_dtype=%s, dtype=%s" % (
                self.num_embeddings, self.embedding_dim, self.dim,
                self.entries, self.stages, self.groups,
                self.codebooks.dtype, self.dtype)
        if self.padding_idx is not None:
            s += ", padding_idx=%d" % self.padding_idx
        return s


#===-----------------------------------------------------------------------===#
# compressed-tensors state dicts of the float formats
#===-----------------------------------------------------------------------===#

_ST_DTYPE = {torch.float8_e4m3fn: "F8_E4M3", torch.uint8: "U8",
             torch.float32: "F32", torch.float16: "F16",
             torch.bfloat16: "BF16"}


def _is_float_config(quantization_config):
    qcfg = quantization_config.get("quantization_config",
                                   quantization_config)
    return qcfg.get("format") in qembed.checkpoint._FLOAT_CT_FORMAT.values()


def _float_table_from_dict(tensors, prefix, quantization_config):
    """The float-format QuantizedTable of a compressed-tensors state dict
    (torch tensors as compressed-tensors 0.20's float compressors write
    them) whose quantization_config names a float format."""
    ckpt = qembed.checkpoint
    qcfg = quantization_config.get("quantization_config",
                                   quantization_config)
    fmt, per_tensor = ckpt.float_scheme_from_config(qcfg)
    arrays, st_dtypes = {}, {}
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor) or t.dtype not in _ST_DTYPE:
            continue
        t = t.detach().cpu().contiguous()
        st_dtypes[name] = _ST_DTYPE[t.dtype]
        if t.dtype == torch.float8_e4m3fn:
            t = t.view(torch.uint8)
        arrays[name] = _qt._to_numpy(t)  # f16 / bf16 as uint16 bits
    if prefix is None:
        prefix = ckpt._find_float_prefix(arrays)
    if prefix.endswith(".weight"):
        prefix = prefix[:-len(".weight")]
    return ckpt.float_table_from_tensors(arrays, st_dtypes, prefix, fmt,
                                         per_tensor)
