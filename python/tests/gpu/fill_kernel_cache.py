#!/usr/bin/env python3
"""Compiles (on a machine with the compiler extension, no GPU needed) every
kernel the GPU tests and bench/gpu/bench_torch.py use into the kernel cache
($QEMBED_CACHE_DIR), so that they run on a GPU machine where the extension
cannot be imported. Usage: QEMBED_CACHE_DIR=DIR fill_kernel_cache.py CHIP"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_torch_cuda as t  # noqa: E402


def configs():
    for bits, group, sym in t.SCHEMES:
        for scale, out in t.TYPES:
            yield bits, group, sym, scale, out, t.COLS
    yield from [(4, 64, False, "bf16", "bf16", t.COLS),
                (4, 64, True, "f16", "f16", t.COLS),
                (8, 0, False, "f32", "bf16", t.COLS),
                (2, 64, True, "f16", "f16", t.COLS),
                (4, 64, True, "bf16", "bf16", t.COLS)]
    for cols, group in t.STRADDLE:
        for bits, sym in ((4, True), (8, False), (3, True)):
            for out in ("f16", "f32"):
                yield bits, group, sym, out, out, cols
    for bits, group in ((4, 64), (8, 0)):  # bench/gpu/bench_torch.py
        yield bits, group, True, "f16", "f16", 4096


def float_format_kernels(chip):
    """The float-format kernels of test_float_formats_cuda.py and
    bench/gpu/bench_float_formats.py."""
    import torch
    import test_float_formats_cuda as ff
    from qembed import torch as qtorch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "..", "..", "bench", "gpu"))
    import bench_float_formats as bf
    configs = [(f, s, o, ff.COLS, i) for f, s, o in ff.CONFIGS
               for i in ff.ID_DTYPES]
    configs += [(f, torch.float16, torch.float16, cols, torch.int64)
                for f in bf.FORMATS for _, cols in bf.TABLES]
    for fmt, scale, out, cols, id_dtype in configs:
        qtorch.float_format_kernels(fmt, cols, scale, out, id_dtype, chip,
                                    global_scale=ff.NVFP4_GLOBAL)
    # test_nvfp4_every_scale_byte: one kernel per global scale.
    for g in ff.NVFP4_GLOBALS:
        for out in (torch.float16, torch.float32):
            qtorch.float_format_kernels("nvfp4", ff.COLS, None, out,
                                        torch.int64, chip, global_scale=g)
    # The INT baselines of bench_float_formats.py at both row lengths.
    for bits, group in bf.INT_SCHEMES:
        for _, cols in bf.TABLES:
            t.random_module(bits, group, True, "f16", "f16", rows=4,
                            cols=cols, device="cpu").compile_kernels(chip)
    return len(configs)


def torch_format_kernels(chip):
    """The kernels of test_torch_formats_cuda.py and
    bench/gpu/bench_torch_formats.py (FloatFormatEmbedding and
    CodebookEmbedding), every id dtype."""
    import test_torch_formats_cuda as tf
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "..", "..", "bench", "gpu"))
    import bench_torch_formats as btf  # bench/gpu/bench_torch_formats.py
    mods = tf.kernel_modules() + btf.kernel_modules()
    return sum(len(m.compile_kernels(chip)) for m in mods)


def bag_kernels(chip):
    """The EmbeddingBag kernels of test_torch_bags_cuda.py (every id and
    offset dtype, with and without include_last_offset)."""
    import torch
    from qembed.torch import QuantizedEmbeddingBag
    import test_torch_bags_cuda as tb
    paths = []
    configs = [(c, t.COLS) for c in tb.CONFIGS] + tb.ODD_CONFIGS
    for (bits, group, sym, scale, out, mode), cols in configs:
        m = t.random_module(bits, group, sym, scale, out, rows=4, cols=cols,
                            device="cpu")
        for last in (False, True):
            paths += QuantizedEmbeddingBag(
                m.packed, m.scales, m.zero_points, embedding_dim=cols,
                bits=bits, group_size=group, mode=mode,
                include_last_offset=last, dtype=m.dtype).compile_kernels(chip)
    for bits, group in ((4, 64), (8, 0)):  # bench/gpu/bench_bags.py
        m = t.random_module(bits, group, True, "f16", "f16", rows=4,
                            cols=4096, device="cpu")
        paths += QuantizedEmbeddingBag(
            m.packed, m.scales, None, embedding_dim=4096, bits=bits,
            group_size=group, mode="sum",
            dtype=m.dtype).compile_kernels(chip, id_dtypes=(torch.int64,),
                                           offset_dtypes=(torch.int64,))
    return len(paths)


def main():
    chip = sys.argv[1]
    print("%d EmbeddingBag kernels" % bag_kernels(chip))
    print("%d float-format kernel configurations" % float_format_kernels(chip))
    print("%d kernels of the float-format and codebook modules"
          % torch_format_kernels(chip))
    seen = set()
    for bits, group, sym, scale, out, cols in configs():
        if (bits, group, sym, scale, out, cols) in seen:
            continue
        seen.add((bits, group, sym, scale, out, cols))
        m = t.random_module(bits, group, sym, scale, out, rows=4, cols=cols,
                            device="cpu")
        m.compile_kernels(chip)
    print("%d schemes compiled for %s into %s" % (
        len(seen), chip, os.environ.get("QEMBED_CACHE_DIR", "~/.cache/qembed")))


if __name__ == "__main__":
    main()
