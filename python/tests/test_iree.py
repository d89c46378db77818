"""IREE hand-off with the real iree-base-compiler / iree-base-runtime:
iree-compile --compile-to=input -> qembed (--quantize-embeddings,
--qembed-to-linalg) -> iree-compile --compile-from=input for the local CPU,
run with the IREE runtime. The quantized module must return exactly the
reference dequantization of the gathered rows, the unquantized one the
table's rows, and the compiled module must shrink by the table's savings."""

import numpy as np
import pytest

import qembed

iree_compiler = pytest.importorskip("iree.compiler")
iree_runtime = pytest.importorskip("iree.runtime")

V, D = 512, 256
CPU = dict(target_backends=["llvm-cpu"],
           extra_args=["--iree-llvmcpu-target-cpu=generic"])


def torch_mlir_module(table):
    """An aten.embedding lowering as Torch-MLIR emits it, weights as a
    dense_resource blob."""
    v, d = table.shape
    blob = (np.array([4], dtype=np.uint32).tobytes() + table.tobytes()).hex()
    return f"""
func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x{d}xf32> {{
  %table = arith.constant dense_resource<torch_tensor_{v}_{d}_torch.float32> : tensor<{v}x{d}xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n0 = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %n1 = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %init = tensor.empty(%n0, %n1) : tensor<?x?x{d}xf32>
  %cv = arith.constant {v} : i64
  %cz = arith.constant 0 : i64
  %rows = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}} ins(%ids : tensor<?x?xi64>) outs(%init : tensor<?x?x{d}xf32>) {{
  ^bb0(%in: i64, %out: f32):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 2 : index
    %lt = arith.cmpi slt, %in, %cv : i64
    cf.assert %lt, "index must be smaller than dim size"
    %ge = arith.cmpi sge, %in, %cz : i64
    cf.assert %ge, "index must be larger or equal to 0"
    %x = tensor.extract %table[%row, %col] : tensor<{v}x{d}xf32>
    linalg.yield %x : f32
  }} -> tensor<?x?x{d}xf32>
  return %rows : tensor<?x?x{d}xf32>
}}
{{-#
  dialect_resources: {{ builtin: {{ torch_tensor_{v}_{d}_torch.float32: "0x{blob}" }} }}
#-}}
"""


def run(vmfb, ids):
    config = iree_runtime.Config("local-sync")
    ctx = iree_runtime.SystemContext(config=config)
    ctx.add_vm_module(iree_runtime.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module["forward"](ids).to_host())


@pytest.mark.parametrize("bits,group,symmetric", [(4, 64, True), (8, 0, True),
                                                  (2, 32, False)])
def test_iree_cpu_handoff(bits, group, symmetric):
    rng = np.random.default_rng(bits)
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    src = torch_mlir_module(table)
    ids = np.array([[0, V - 1, 7, 7, 300], [1, 2, 3, V - 1, 0]], dtype=np.int64)

    dense_vmfb = iree_compiler.compile_str(src, **CPU)
    assert np.array_equal(run(dense_vmfb, ids), table[ids])

    input_ir = iree_compiler.compile_str(
        src, target_backends=["llvm-cpu"],
        extra_args=["--compile-to=input", "--mlir-print-op-generic"])
    opts = "bits=%d group-size=%d symmetric=%s" % (
        bits, group, "true" if symmetric else "false")
    quantized_ir = qembed.run_pipeline(
        input_ir, "quantize-embeddings{%s},qembed-to-linalg" % opts,
        allow_unregistered=True)
    assert "qembed." not in quantized_ir
    q_vmfb = iree_compiler.compile_str(
        quantized_ir, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input",
                    "--iree-llvmcpu-target-cpu=generic"])
    out = run(q_vmfb, ids)

    q = qembed.quantize(table, bits=bits, group_size=group,
                        symmetric=symmetric)
    ref = qembed.dequantize(q)[ids]
    assert out.dtype == np.float32 and out.shape == (2, 5, D)
    assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))

    # The packed table replaces the dense one inside the compiled module.
    saved = table.nbytes - (q.packed.nbytes + q.scales.nbytes +
                            (q.zero_points.nbytes if q.zero_points is not None
                             else 0))
    assert len(dense_vmfb) - len(q_vmfb) >= 0.9 * saved


@pytest.mark.parametrize("fmt", ["fp8", "nvfp4", "mxfp4"])
def test_iree_cpu_float_formats(fmt):
    """FP8 / NVFP4 / MXFP4 tables through IREE llvm-cpu: bit-exact with
    qembed's dequantization. (IREE 3.13 cannot serialize f8 constants, so
    NVFP4 / MXFP4 scales reach it as i8 bytes.)"""
    rng = np.random.default_rng(3)
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float32)
    ids = np.array([[0, V - 1, 7, 7, 300], [1, 2, 3, V - 1, 0]], dtype=np.int64)
    input_ir = iree_compiler.compile_str(
        torch_mlir_module(table), target_backends=["llvm-cpu"],
        extra_args=["--compile-to=input", "--mlir-print-op-generic"])
    quantized_ir = qembed.run_pipeline(
        input_ir, "quantize-embeddings{format=%s},qembed-to-iree{target=cpu}"
        % fmt, allow_unregistered=True)
    assert "qembed." not in quantized_ir
    assert "f8E4M3FN>" not in quantized_ir and "f8E8M0FNU>" not in quantized_ir
    out = run(iree_compiler.compile_str(
        quantized_ir, target_backends=["llvm-cpu"],
        extra_args=["--compile-from=input",
                    "--iree-llvmcpu-target-cpu=generic"]), ids)
    ref = qembed.dequantize(qembed.quantize(table, format=fmt))[ids]
    assert out.shape == (2, 5, D)
    assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))
