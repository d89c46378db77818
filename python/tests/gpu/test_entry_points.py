"""GPU correctness of the memref-ABI kernels of --qembed-gpu-pipeline, as
the AOT library of bench/gpu/build.sh compiles them (every entry point of
bench/gpu/gen_entry_points.py): random packed tables, scales and zero points,
token counts 1 ... 32768, ids 0 and V-1, repeated and out-of-range ids
(clamped); the output must equal reference.py bit for bit and every element
must be written; a table over 2^31 bytes. Skipped when the library was not
built (bash bench/gpu/build.sh on the CPU machine)."""

import os

import pytest
import torch

from aot_library import DTYPES, Library
from reference import dequant_rows

pytestmark = pytest.mark.cuda
LIBRARY = os.environ.get("QEMBED_AOT_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "build", "gpu")


def make_inputs(cfg, rows, gen):
    dev = "cuda"
    packed = torch.randint(-2**31, 2**31, (rows, cfg["words"]),
                           dtype=torch.int32, device=dev, generator=gen)
    scales = (torch.randn(rows, cfg["groups"], device=dev, generator=gen)
              * 0.01).to(DTYPES[cfg["scale"]])
    zps = None
    if not cfg["symmetric"]:
        lo, hi = -(1 << (cfg["bits"] - 1)), (1 << (cfg["bits"] - 1))
        zps = torch.randint(lo, hi, (rows, cfg["groups"]), dtype=torch.int8,
                            device=dev, generator=gen)
    return packed, scales, zps


def make_ids(n, rows, gen):
    ids = torch.randint(0, rows, (n,), dtype=torch.int64, device="cuda",
                        generator=gen)
    special = torch.tensor([0, rows - 1, 3 % rows, 3 % rows, -5, rows + 7],
                           device="cuda")
    k = min(n, special.numel())
    ids[:k] = special[:k]
    return ids


def run_one(lib, name, rows, n, gen):
    fn = lib.function(name)
    cfg = fn.cfg
    packed, scales, zps = make_inputs(cfg, rows, gen)
    ids = make_ids(n, rows, gen)
    out_dtype = DTYPES[cfg["out"]]
    out = torch.full((n, cfg["d"]), float("nan"), dtype=out_dtype,
                     device="cuda")
    fn(packed, scales, ids, out, zps)
    torch.cuda.synchronize()
    ref = dequant_rows(packed, scales, zps, ids, cfg, out_dtype,
                       DTYPES[cfg["scale"]])
    ibits = torch.int32 if out_dtype == torch.float32 else torch.int16
    bad = (out.view(ibits) != ref.view(ibits)).sum().item()
    unwritten = torch.isnan(out).sum().item() - torch.isnan(ref).sum().item()
    return bad, unwritten


@pytest.fixture(scope="module")
def lib():
    if not os.path.exists(os.path.join(LIBRARY, "libqembed_gpu.so")):
        pytest.skip("bench/gpu/build.sh has not built %s" % LIBRARY)
    return Library(LIBRARY)


def entry_points():
    manifest = os.path.join(LIBRARY, "manifest.json")
    if not os.path.exists(manifest):
        return ["(not built)"]
    import json
    names = sorted(json.load(open(manifest)))
    # The wide rows beyond one representative are benchmark shapes.
    return [n for n in names if not n.endswith("_d8192") or
            n == "g_b4_g64_sym_sf16_of16_d8192"]


@pytest.mark.parametrize("name", entry_points())
def test_entry_point_bit_exact(lib, name):
    cfg = lib.function(name).cfg
    rows = 1000 if cfg["d"] <= 4096 else 300
    gen = torch.Generator(device="cuda")
    gen.manual_seed(2026)
    for n in (1, 5, 64, 1000, 32768):
        if cfg["d"] >= 4096 and n > 4096:
            n = 4096
        bad, unwritten = run_one(lib, name, rows, n, gen)
        assert (bad, unwritten) == (0, 0), (n, bad, unwritten)


def test_table_over_2_pow_31_bytes(lib):
    # W8 per-row, D = 8192, 300000 rows: 2.46e9 bytes of packed words.
    gen = torch.Generator(device="cuda")
    gen.manual_seed(7)
    bad, unwritten = run_one(lib, "g_b8_g0_sym_sbf16_obf16_d8192", 300000,
                             4096, gen)
    assert (bad, unwritten) == (0, 0)
