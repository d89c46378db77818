"""EmbeddingBag(sum / mean) over quantized tables.

- qembed.gather_bags (the numerics library's fused CPU gather + reduce)
  against PyTorch's CPU F.embedding_bag on the dequantized table: bit for bit
  for float32 and float16 outputs, within two bfloat16 ulps of the bag's
  magnitude for bfloat16 (PyTorch's bf16 kernel is not the correctly rounded
  f32 sum, which qembed computes).
- qembed.torch.QuantizedEmbeddingBag (from_embedding_bag, 1-D input +
  offsets, include_last_offset, 2-D fixed bags) against nn.EmbeddingBag on
  the dequantized table, and its refusals.
- torch-mlir's fx import of nn.EmbeddingBag(mode="sum") (1-D + offsets, 2-D
  fixed bags), raised and quantized by --quantize-embeddings into
  qembed.gather_bags, lowered with --qembed-to-linalg and run by IREE on the
  CPU: bit for bit equal to PyTorch on the dequantized table (f32); the same
  through IREE's --compile-to=input hand-off; and for CUDA
  (--qembed-to-iree target=cuda: a dispatch of qembed's bag kernel, compiled
  by iree-compile, PTX accepted by ptxas; run on a GPU by
  python/tests/gpu/test_iree_cuda_bags.py).
"""

import os

import numpy as np
import pytest

import qembed

torch = pytest.importorskip("torch")


def _dequantized(q, dtype):
    """The dequantized table as a torch tensor of `dtype`."""
    kind = {torch.float32: "f32", torch.float16: "f16",
            torch.bfloat16: "bf16"}[dtype]
    deq = qembed.dequantize(q, kind)
    if dtype == torch.bfloat16:
        return torch.from_numpy(deq.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(deq))


def _as_torch(a, dtype):
    if dtype == torch.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(a))


def _bits(t):
    return t.view(torch.int16 if t.element_size() == 2 else torch.int32)


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16,
                                   torch.bfloat16])
@pytest.mark.parametrize("bits,group,symmetric", [(4, 32, True),
                                                  (3, 0, False),
                                                  (8, 16, True)])
def test_gather_bags_vs_torch(mode, dtype, bits, group, symmetric):
    rng = np.random.default_rng(bits * 10 + group)
    V, D = 300, 64
    table = rng.standard_normal((V, D)).astype(np.float32)
    q = qembed.quantize(table, bits=bits, group_size=group,
                        symmetric=symmetric)
    # 60 bags of 0..39 ids (empty bags included), 1200-ish ids.
    sizes = rng.integers(0, 40, size=60)
    sizes[[3, 17]] = 0
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    ids = rng.integers(0, V, size=int(sizes.sum())).astype(np.int64)
    kind = {torch.float32: "f32", torch.float16: "f16",
            torch.bfloat16: "bf16"}[dtype]
    got = _as_torch(qembed.gather_bags(q, ids, offsets, mode=mode,
                                       out_dtype=kind), dtype)
    want = torch.nn.functional.embedding_bag(
        torch.from_numpy(ids), _dequantized(q, dtype),
        torch.from_numpy(offsets), mode=mode)
    assert got.shape == (60, D) and got.dtype == dtype
    if dtype == torch.bfloat16:
        # |difference| <= two bf16 ulps of the bag's magnitude (the sum or
        # mean of |rows|; 2^-6 relative): PyTorch rounds differently.
        deq = _dequantized(q, torch.float32)
        mag = torch.nn.functional.embedding_bag(
            torch.from_numpy(ids), deq.abs(), torch.from_numpy(offsets),
            mode=mode)
        assert torch.all((got.float() - want.float()).abs()
                         <= mag * 2.0 ** -6 + 1e-30)
    else:
        assert torch.equal(_bits(got), _bits(want))
    # int32 ids and offsets give the same bits.
    got32 = qembed.gather_bags(q, ids.astype(np.int32),
                               offsets.astype(np.int32), mode=mode,
                               out_dtype=kind)
    assert np.array_equal(_bits(_as_torch(got32, dtype)).numpy(),
                          _bits(got).numpy())


def test_gather_bags_clamps_ids_and_bounds():
    q = qembed.quantize(np.arange(24, dtype=np.float32).reshape(6, 4) / 8,
                        bits=8, group_size=0)
    deq = qembed.dequantize(q)
    ids = np.array([-5, 2, 99, 1], dtype=np.int64)
    # bag 0 = ids[0:2], bag 1 = ids[2:1] (empty), bag 2 = ids[-3 -> 0 : 4].
    out = qembed.gather_bags(q, ids, np.array([0, 2, -3], dtype=np.int64))
    np.testing.assert_array_equal(out[0], deq[0] + deq[2])
    np.testing.assert_array_equal(out[1], np.zeros(4, np.float32))
    np.testing.assert_array_equal(
        out[2], ((deq[0] + deq[2]) + deq[5]) + deq[1])


def test_gather_bags_errors():
    q = qembed.quantize((np.ones((4, 8)) * np.arange(8)).astype(np.float32),
                        bits=4, group_size=0)
    ids = np.zeros(3, np.int64)
    offs = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="mode must be 'sum' or 'mean'"):
        qembed.gather_bags(q, ids, offs, mode="max")
    with pytest.raises(TypeError, match="ids must be int32 or int64"):
        qembed.gather_bags(q, ids.astype(np.float32), offs)
    with pytest.raises(ValueError, match="offsets must be 1-D"):
        qembed.gather_bags(q, ids, offs.reshape(1, 1))


qtorch = pytest.importorskip("qembed.torch")


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_quantized_embedding_bag_module(mode, dtype):
    torch.manual_seed(0)
    bag = torch.nn.EmbeddingBag(200, 64, mode=mode).to(dtype)
    qbag = qtorch.QuantizedEmbeddingBag.from_embedding_bag(bag, bits=4,
                                                           group_size=32)
    assert qbag.mode == mode and "mode=%s" % mode in repr(qbag)
    deq = qembed.dequantize(qembed.quantize(
        bag.weight.detach().float().numpy() if dtype == torch.float32
        else bag.weight.detach().numpy(), bits=4, group_size=32))
    ref = torch.nn.EmbeddingBag.from_pretrained(
        torch.from_numpy(np.ascontiguousarray(deq)).to(dtype), mode=mode)
    ids = torch.randint(0, 200, (50,))
    offsets = torch.tensor([0, 3, 3, 20, 49])
    got = qbag(ids, offsets)
    assert got.dtype == dtype
    assert torch.equal(_bits(got), _bits(ref(ids, offsets)))
    fixed = ids[:48].view(6, 8)  # 2-D input: one bag per row
    assert torch.equal(_bits(qbag(fixed)), _bits(ref(fixed)))
    empty = ids[:0].view(3, 0)  # 2-D input of empty bags: zeros
    assert torch.equal(qbag(empty), torch.zeros(3, 64, dtype=dtype))


def test_quantized_embedding_bag_include_last_offset():
    torch.manual_seed(1)
    bag = torch.nn.EmbeddingBag(50, 32, mode="sum", include_last_offset=True)
    qbag = qtorch.QuantizedEmbeddingBag.from_embedding_bag(bag, bits=8,
                                                           group_size=0)
    deq = torch.from_numpy(qembed.dequantize(qembed.quantize(
        bag.weight.detach().numpy(), bits=8, group_size=0)))
    ref = torch.nn.EmbeddingBag.from_pretrained(deq, mode="sum",
                                                include_last_offset=True)
    ids = torch.randint(0, 50, (12,))
    offsets = torch.tensor([0, 4, 4, 10])  # 3 bags; ids[10:] unused
    got = qbag(ids, offsets)
    assert got.shape == (3, 32)
    assert torch.equal(got, ref(ids, offsets))


def test_quantized_embedding_bag_refusals():
    with pytest.raises(ValueError, match="mode='max' is not supported"):
        qtorch.QuantizedEmbeddingBag.from_embedding_bag(
            torch.nn.EmbeddingBag(10, 8, mode="max"))
    with pytest.raises(ValueError, match="padding_idx is not supported"):
        qtorch.QuantizedEmbeddingBag.from_embedding_bag(
            torch.nn.EmbeddingBag(10, 8, padding_idx=0), group_size=0)
    with pytest.raises(TypeError, match="takes an nn.EmbeddingBag"):
        qtorch.QuantizedEmbeddingBag.from_embedding_bag(
            torch.nn.Embedding(10, 8))
    qbag = qtorch.QuantizedEmbeddingBag.from_embedding_bag(
        torch.nn.EmbeddingBag(10, 8), group_size=0)
    ids, offs = torch.tensor([1, 2]), torch.tensor([0])
    with pytest.raises(ValueError, match="per_sample_weights are not"):
        qbag(ids, offs, per_sample_weights=torch.ones(2))
    with pytest.raises(ValueError, match="a 1-D input needs 1-D offsets"):
        qbag(ids)
    with pytest.raises(ValueError, match="offsets must be None"):
        qbag(ids.view(1, 2), offs)
    with pytest.raises(TypeError, match="input must be int32 or int64"):
        qbag(ids.float(), offs)


def test_quantized_embedding_bag_gpu_kernels_without_gpu(tmp_path,
                                                        monkeypatch):
    """The CUDA path's kernels (run by python/tests/gpu/
    test_torch_bags_cuda.py): compile_kernels writes one cache entry per id
    and offset dtype, named after the mode and include_last_offset; ptxas
    accepts their PTX; the JIT refuses what the kernel does not do."""
    import json
    import subprocess
    from test_iree_cuda import PTXAS
    monkeypatch.setenv("QEMBED_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(qtorch, "_ptx", {})
    for mode, last in (("sum", False), ("mean", True)):
        qbag = qtorch.QuantizedEmbeddingBag.from_embedding_bag(
            torch.nn.EmbeddingBag(50, 128, mode=mode,
                                  include_last_offset=last),
            bits=3, group_size=32, symmetric=False)
        paths = qbag.compile_kernels("sm_90")
        # With include_last_offset both kernels: 2-D inputs (fixed bags)
        # have one offset per bag.
        assert len(paths) == (8 if last else 4)
        names = set()
        for p in paths:
            entry = json.load(open(p))
            name = entry["name"]
            names.add(name)
            assert name.startswith("qembed_gather_bags_%s_w3_g32_asym_" % mode)
            ilo = entry["params"]["include_last_offset"]
            assert name.endswith("_ilo") == ilo
            assert ilo in ((False, True) if last else (False,))
            assert ".entry " + name in entry["ptx"]
            if os.path.exists(PTXAS):
                src = tmp_path / (name + ".ptx")
                src.write_text(entry["ptx"])
                r = subprocess.run([PTXAS, "-arch=sm_90", str(src), "-o",
                                    str(tmp_path / "k.cubin")],
                                   capture_output=True, text=True)
                assert r.returncode == 0, r.stderr
        assert len(names) == len(paths)  # i32 / i64 ids x offsets (x ilo)
    native = qembed._native()
    with pytest.raises(ValueError, match="mode must be 'sum' or 'mean'"):
        native.gpu_gather_bags_kernel(4, 64, True, "f16", "f16", 128, "i64",
                                      "i64", "max")
    with pytest.raises(ValueError, match="offset_type must be 'i32' or"):
        native.gpu_gather_bags_kernel(4, 64, True, "f16", "f16", 128, "i64",
                                      "i16", "sum")
    with pytest.raises(ValueError, match="group_size must be 0 or divide"):
        native.gpu_gather_bags_kernel(4, 48, True, "f16", "f16", 128, "i64",
                                      "i64", "sum")


# -- torch-mlir -> qembed -> IREE (CPU) ------------------------------------

fx = pytest.importorskip("torch_mlir.fx")


class BagModel(torch.nn.Module):
    def __init__(self, V, D):
        super().__init__()
        self.bag = torch.nn.EmbeddingBag(V, D, mode="sum")
        torch.nn.init.normal_(self.bag.weight, std=0.02)

    def forward(self, ids, offsets):
        return self.bag(ids, offsets)


class FixedBagModel(BagModel):
    def forward(self, ids):
        return self.bag(ids)


@pytest.mark.parametrize("fixed", [False, True])
@pytest.mark.parametrize("bits,group", [(4, 64), (8, 0)])
def test_torch_mlir_embedding_bag_iree(fixed, bits, group):
    pytest.importorskip("iree.compiler")
    pytest.importorskip("iree.runtime")
    from conftest import iree_cpu_run
    torch.manual_seed(0)
    V, D = 500, 128
    model = (FixedBagModel if fixed else BagModel)(V, D).eval()
    if fixed:
        args = (torch.randint(0, V, (6, 5)),)
    else:
        args = (torch.randint(0, V, (40,)),
                torch.tensor([0, 5, 5, 17, 18, 30]))
    module = fx.export_and_import(model, *args,
                                  output_type="linalg-on-tensors",
                                  func_name="forward")
    quantized, diags = qembed.run_pipeline(
        module, "quantize-embeddings{bits=%d group-size=%d report=true}"
        % (bits, group), diagnostics=True)
    assert "reduction" in module.operation.get_asm()  # torch-mlir's generic
    assert "qembed.gather_bags" in quantized
    assert "reduction" not in quantized  # the quadratic generic is gone
    lowered = qembed.run_pipeline(quantized, "qembed-to-linalg",
                                  allow_unregistered=True)
    out = iree_cpu_run(lowered, "forward", *(a.numpy() for a in args))

    q = qembed.quantize(model.bag.weight.detach().numpy(), bits=bits,
                        group_size=group)
    deq = torch.from_numpy(qembed.dequantize(q))
    with torch.no_grad():
        model.bag.weight.data = deq
        expected = model(*args).numpy()
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.view(np.int32),
                                  expected.view(np.int32))


def test_iree_input_embedding_bag_handoff():
    """torch dialect -> iree-compile --compile-to=input -> qembed (raise,
    quantize, --qembed-to-linalg) -> iree-compile --compile-from=input:
    IREE's input form of EmbeddingBag(sum) is torch-mlir's generic too."""
    iree_compiler = pytest.importorskip("iree.compiler")
    iree_runtime = pytest.importorskip("iree.runtime")
    torch.manual_seed(2)
    V, D = 400, 64
    model = BagModel(V, D).eval()
    ids = torch.randint(0, V, (30,))
    offsets = torch.tensor([0, 4, 4, 11, 29])
    src = str(fx.export_and_import(model, ids, offsets, output_type="torch",
                                   func_name="forward"))
    input_ir = iree_compiler.compile_str(
        src, target_backends=["llvm-cpu"], input_type="torch",
        extra_args=["--compile-to=input", "--mlir-print-op-generic"])
    assert b"reduction" in input_ir  # torch-mlir's quadratic bag generic
    lowered = qembed.run_pipeline(
        input_ir, "quantize-embeddings{bits=4 group-size=32},qembed-to-linalg",
        allow_unregistered=True)
    assert "qembed." not in lowered
    assert "reduction" not in lowered  # replaced by the per-bag loop
    vmfb = iree_compiler.compile_str(
        lowered, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input",
                    "--iree-llvmcpu-target-cpu=generic"])
    ctx = iree_runtime.SystemContext(config=iree_runtime.Config("local-sync"))
    ctx.add_vm_module(iree_runtime.VmModule.copy_buffer(ctx.instance, vmfb))
    out = np.asarray(ctx.modules.module["forward"](
        ids.numpy(), offsets.numpy()).to_host())
    q = qembed.quantize(model.bag.weight.detach().numpy(), bits=4,
                        group_size=32)
    expected = torch.nn.functional.embedding_bag(
        ids, torch.from_numpy(qembed.dequantize(q)), offsets,
        mode="sum").numpy()
    np.testing.assert_array_equal(out.view(np.int32), expected.view(np.int32))


def test_iree_cuda_embedding_bag_compiles(tmp_path):
    """The fx-imported EmbeddingBag(sum) at IREE's input level with
    --qembed-to-iree target=cuda: its bag becomes one flow.dispatch of
    qembed's bag kernel, iree-compile builds the module for CUDA and ptxas
    assembles the embedded PTX (the run is
    python/tests/gpu/test_iree_cuda_bags.py on a GPU machine)."""
    pytest.importorskip("iree.compiler")
    import shutil
    import subprocess
    from test_iree_cuda import (PTXAS, compile_cuda, embedded_ptx,
                                quantize_for_cuda, to_input)
    torch.manual_seed(3)
    model = BagModel(300, 128).eval()
    ids = torch.randint(0, 300, (20,))
    offsets = torch.tensor([0, 3, 3, 9])
    src = str(fx.export_and_import(model, ids, offsets, output_type="torch",
                                   func_name="forward"))
    ir = quantize_for_cuda(to_input(src), "bits=4 group-size=64")
    assert ir.count('"flow.dispatch"') == 1
    assert "qembed_gather_bags_sum_w4_g64_sym_f32_f32_i64_o64_d128" in ir
    ptx = embedded_ptx(ir)
    assert len(ptx) == 1 and ".target sm_90" in ptx[0]
    assert "fma" not in ptx[0]  # bit-exact sums: no fused multiply-add
    assert len(compile_cuda(ir)) > 0
    if shutil.which(PTXAS) or os.path.exists(PTXAS):
        path = tmp_path / "bags.ptx"
        path.write_text(ptx[0])
        subprocess.run([PTXAS, "-arch=sm_90", str(path), "-o",
                        str(tmp_path / "bags.cubin")], check=True)
