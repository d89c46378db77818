"""qembed's codebook VQ gather kernel on CUDA (PTX from
fill_vq_cases.py, launched with qembed's runtime on torch's current stream):
bit-exact against qembed's reference dequantization (qembed.dequantize_vq
/ gather_vq, computed on the CPU machine and carried in the cases folder)
for 1, 7 and 4096 tokens, and against a dequantization written here in
plain torch for 0 and 32768 tokens; out-of-range ids clamp. Cases: shared-
and global-memory codebooks, 5-bit codes straddling words, f16/bf16/f32
codebooks and outputs, i32/i64 ids.

Run on a GPU machine, after `python3 python/tests/gpu/fill_vq_cases.py`
on a machine with the compiler extension (carry build/vq_gpu_cases):
python3 -m pytest -q python/tests/gpu/test_vq_cuda.py"""

import ctypes
import json
import os

import numpy as np
import pytest
import torch

from qembed import _cuda

pytestmark = pytest.mark.cuda

DIR = os.environ.get("QEMBED_VQ_CASES", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "build",
    "vq_gpu_cases"))
DT = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
BITS = {"f32": torch.int32, "f16": torch.int16, "bf16": torch.int16}
CASES = ["d4k256_f16", "d4k256g8_bf16", "d8k32x3g4_f32", "d8k4096x2_global"]
_functions = {}


def kernels():
    with open(os.path.join(DIR, "kernels.json")) as f:
        return json.load(f)


def function(key, entry):
    """The loaded kernel (a CUfunction handle) of a kernels.json entry."""
    if key not in _functions:
        rt = _cuda.runtime()
        rt.ensure_context(torch.cuda.current_device())
        module = rt.load_module(entry["ptx"])
        _functions[key] = rt.get_function(module, entry["name"])
    return _functions[key]


def launch(key, entry, codes, scales, books, ids, out, rows):
    """One grid-stride launch (a thread per vector of dim elements): one
    wave of resident blocks (2048 threads per SM) at most."""
    n = ids.numel()
    bs = entry["block_size"]
    sms = torch.cuda.get_device_properties(ids.device).multi_processor_count
    vectors = n * (entry["cols"] // entry["dim"])
    blocks = max(1, min(-(-vectors // bs), sms * (2048 // bs)))
    params = [ctypes.c_void_p(t.data_ptr())
              for t in (codes, scales, books, ids, out)]
    params += [ctypes.c_int32(n), ctypes.c_int32(rows)]
    _cuda.runtime().launch(function(key, entry), (blocks, 1, 1), (bs, 1, 1),
                           torch.cuda.current_stream().cuda_stream, params)


def load_case(name):
    z = np.load(os.path.join(DIR, name + ".npz"))
    entry = kernels()[name]
    dev = lambda a: torch.from_numpy(  # noqa: E731
        a.view(np.int16) if a.dtype == np.uint16 else a).cuda()
    return z, entry, dev(z["codes"]), dev(z["scales"]), dev(z["codebooks"])


def torch_reference(entry, codes, scales, books, ids, spec):
    """acc = sum of the stages' entries in f32 (stage order) times the
    row's f16 scale, rounded once to the output dtype."""
    dim, entries, stages, groups = spec
    cols = entry["cols"]
    bits = entries.bit_length() - 1
    rows = codes[ids.long().clamp(0, codes.shape[0] - 1)].long() & 0xFFFFFFFF
    scale = scales.view(torch.float16)[
        ids.long().clamp(0, codes.shape[0] - 1)].float()
    book = books.view(DT[entry["book"]]).float().reshape(
        groups, stages, entries, dim)
    vectors = cols // dim
    v = torch.arange(vectors, device=ids.device)
    g = v // (vectors // groups)
    acc = None
    for s in range(stages):
        bit = (v * stages + s) * bits
        wi, off = bit // 32, bit % 32
        lo = rows[:, wi] >> off
        hi = (rows[:, (wi + 1).clamp(max=rows.shape[1] - 1)] << (32 - off)) \
            & 0xFFFFFFFF
        code = torch.where(off + bits > 32, lo | hi, lo) & (entries - 1)
        e = book[g[None, :], s, code]  # tokens x vectors x dim
        acc = e if acc is None else acc + e
    return (scale * acc.reshape(-1, cols)).to(DT[entry["out"]])


SPECS = {"d4k256_f16": (4, 256, 1, 1), "d4k256g8_bf16": (4, 256, 1, 8),
         "d8k32x3g4_f32": (8, 32, 3, 4), "d8k4096x2_global": (8, 4096, 2, 1)}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tokens", [1, 7, 4096])
def test_bit_exact_with_qembed_reference(name, tokens):
    z, entry, codes, scales, books = load_case(name)
    ids = torch.from_numpy(z["ids_%d" % tokens]).cuda()
    out = torch.empty(tokens, entry["cols"], dtype=DT[entry["out"]],
                      device="cuda")
    launch(name, entry, codes, scales, books, ids, out, codes.shape[0])
    torch.cuda.synchronize()
    got = out.view(BITS[entry["out"]]).cpu().numpy()
    want = z["ref_%d" % tokens].view(got.dtype)
    assert np.array_equal(got, want)
    # The torch reference agrees with qembed's (it checks the large runs).
    ref = torch_reference(entry, codes, scales, books, ids, SPECS[name])
    assert torch.equal(ref.view(BITS[entry["out"]]).cpu(),
                       torch.from_numpy(want))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tokens", [0, 32768])
def test_bit_exact_with_torch_reference(name, tokens):
    z, entry, codes, scales, books = load_case(name)
    gen = torch.Generator().manual_seed(tokens)
    ids = torch.randint(-3, codes.shape[0] + 3, (tokens,), generator=gen)
    ids = ids.to(torch.int32 if entry["ids"] == "i32" else torch.int64).cuda()
    out = torch.full((tokens, entry["cols"]), 7, dtype=DT[entry["out"]],
                     device="cuda")
    launch(name, entry, codes, scales, books, ids, out, codes.shape[0])
    torch.cuda.synchronize()
    ref = torch_reference(entry, codes, scales, books, ids, SPECS[name])
    assert torch.equal(out.view(BITS[entry["out"]]),
                       ref.view(BITS[entry["out"]]))
