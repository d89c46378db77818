"""qembed's codebook VQ gather kernel (CodebookKernel.cpp) without a GPU:
PTX is generated in-process for shared-memory and global-memory codebooks,
straddling codes, f16/bf16/f32 codebooks and outputs, i32/i64 ids, and the
CUDA toolkit's ptxas assembles it for sm_90. Running it is
python/tests/gpu/test_vq_cuda.py on the GPU machine."""

import os
import re
import shutil
import subprocess

import pytest

import qembed

PTXAS = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"

CASES = [  # dim, entries, stages, groups, scale, book, out, cols, ids
    (4, 256, 1, 1, "f16", "f16", "f16", 4096, "i64"),
    (4, 256, 1, 8, "f16", "f16", "bf16", 512, "i32"),
    (8, 32, 3, 4, "f16", "bf16", "f32", 512, "i64"),     # 5-bit codes
    (8, 4096, 2, 1, "f16", "f16", "f16", 4096, "i64"),   # 128 KiB: global
    (6, 2048, 1, 1, "f32", "f32", "f32", 384, "i64"),    # exactly 48 KiB
]


@pytest.mark.parametrize("case", CASES)
def test_kernel_ptx_assembles(case, tmp_path):
    dim, entries, stages, groups, scale, book, out, cols, ids = case
    k = qembed._native().gpu_codebook_kernel(
        dim, entries, stages, groups, scale, book, out, cols, ids, "sm_90")
    width = 4 if book == "f32" else 2
    assert k["shared_memory"] == (groups * stages * entries * dim * width
                                  <= 48 * 1024)
    ptx = k["ptx"]
    assert ".entry %s(" % k["name"] in ptx and ".target sm_90" in ptx
    assert (".shared" in ptx and "bar.sync" in ptx) == k["shared_memory"]
    if not os.path.exists(PTXAS):
        pytest.skip("no ptxas (CUDA toolkit) here")
    src = tmp_path / "k.ptx"
    src.write_text(ptx)
    r = subprocess.run([PTXAS, "-arch=sm_90", str(src), "-o",
                        str(tmp_path / "k.cubin")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_bad_kernel_options():
    with pytest.raises(ValueError, match="entries must be a power of two"):
        qembed._native().gpu_codebook_kernel(4, 24, 1, 1, "f16", "f16", "f16",
                                             64)
    with pytest.raises(ValueError, match="unknown or unsupported GPU chip"):
        qembed._native().gpu_codebook_kernel(4, 16, 1, 1, "f16", "f16", "f16",
                                             64, "i64", "sm_42")
    with pytest.raises(ValueError, match="cols must be a positive multiple"):
        qembed._native().gpu_codebook_kernel(4, 16, 1, 3, "f16", "f16", "f16",
                                             64)


# dim, entries, stages, groups, out, cols -> vectors per chunk of the packed
# path (0: one vector per thread and iteration).
CHUNKS = [
    ((4, 256, 1, 1, "f16", 4096), 2),   # 8-bit codes: 2 per 16 output bytes
    ((8, 256, 2, 1, "f16", 4096), 1),   # 2 x 8-bit codes per vector
    ((4, 256, 1, 1, "f32", 4096), 1),   # f32: one vector is 16 bytes
    ((8, 4096, 2, 1, "f16", 256), 4),   # 24-bit vectors: 4 fill 3 words
    ((8, 32, 3, 4, "f32", 512), 0),     # 15-bit vectors never fill words
    ((4, 256, 1, 64, "f16", 256), 0),   # 1 vector per group: no chunk fits
]


@pytest.mark.parametrize("case,chunk", CHUNKS)
def test_packed_path_choice_and_ptx(case, chunk, tmp_path):
    dim, entries, stages, groups, out, cols = case
    k = qembed._native().gpu_codebook_kernel(
        dim, entries, stages, groups, "f16", "f16", out, cols)
    assert k["chunk_vectors"] == chunk
    ptx = k["ptx"]
    # The packed path: full occupancy requested (2048 threads per SM),
    # 16-byte stores, codebook entries read from shared memory as vectors.
    bs = k["block_size"]
    assert (".maxntid %d, 1, 1" % bs) in ptx
    assert (".minnctapersm %d" % (2048 // bs) in ptx) == bool(chunk)
    if chunk:
        assert "st.global.v4.b32" in ptx
        if k["shared_memory"]:
            assert ".shared .align 16" in ptx
            assert re.search(r"ld\.shared\.v[24]\.b(16|32)", ptx)
    if os.path.exists(PTXAS):
        src = tmp_path / "k.ptx"
        src.write_text(ptx)
        r = subprocess.run([PTXAS, "-arch=sm_90", str(src), "-o",
                            str(tmp_path / "k.cubin")], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr


# dim, entries, stages, groups, codebook type -> the generator's block size:
# the smallest of 256 / 512 / 1024 threads with at most 32 KiB of codebook
# staged per SM (2048 resident threads) on the packed path, else 256.
BLOCKS = [
    ((4, 256, 1, 1, "f16"), 256),    # 2 KiB: 8 blocks stage 16 KiB
    ((8, 256, 2, 1, "f16"), 512),    # 8 KiB: 4 blocks
    ((4, 256, 1, 8, "f16"), 1024),   # 16 KiB: 2 blocks
    ((4, 256, 1, 8, "f32"), 1024),   # 32 KiB: 1024 is the largest block
    ((4, 256, 1, 4, "bf16"), 512),   # 8 KiB
    ((8, 4096, 2, 1, "f16"), 256),   # 128 KiB: codebook read from global
]


@pytest.mark.parametrize("case,block", BLOCKS)
def test_generator_block_size(case, block):
    dim, entries, stages, groups, book = case
    native = qembed._native()
    k = native.gpu_codebook_kernel(dim, entries, stages, groups, "f16", book,
                                   "f16", 4096)
    assert k["block_size"] == block
    assert k["name"].endswith("_b%d" % block)
    assert (".maxntid %d, 1, 1" % block) in k["ptx"]
    # An explicit block size is kept.
    k = native.gpu_codebook_kernel(dim, entries, stages, groups, "f16", book,
                                   "f16", 4096, block_size=128)
    assert k["block_size"] == 128 and ".maxntid 128, 1, 1" in k["ptx"]
    with pytest.raises(ValueError, match="block size must be a multiple"):
        native.gpu_codebook_kernel(dim, entries, stages, groups, "f16", book,
                                   "f16", 4096, block_size=100)


def test_unroll_option():
    native = qembed._native()
    default = native.gpu_codebook_kernel(4, 256, 1, 1, "f16", "f16", "f16",
                                         4096)
    four = native.gpu_codebook_kernel(4, 256, 1, 1, "f16", "f16", "f16",
                                      4096, unroll=4)
    assert four["name"] == default["name"] + "_u4"
    # Four chunks' loads before the stores: four times the code word loads
    # of one iteration (one per chunk) as in the default's two.
    assert four["ptx"].count("ld.global.nc.b32") == \
        2 * default["ptx"].count("ld.global.nc.b32")
    with pytest.raises(ValueError, match="unroll must be in 0..8"):
        native.gpu_codebook_kernel(4, 256, 1, 1, "f16", "f16", "f16", 4096,
                                   unroll=9)
