#!/usr/bin/env python3
"""Builds, on the CPU machine, everything bench/iree/run_cuda_dispatch.py
needs on the GPU machine to check and time qembed's kernel as an IREE CUDA
custom dispatch (--qembed-to-iree target=cuda):

  exact_<cfg>.vmfb + deq_<cfg>.npy   Torch-MLIR-shaped f16 embedding modules
      (4096 x 512 table) quantized for W4 g64, W8 channel, W2 g32 asym and
      W3 g64, and qembed's reference dequantization of their tables;
  exact_vq_<cfg>_<dtype>.vmfb + deq_vq_<cfg>_<dtype>.npy   the same with
      codebook VQ (format=vq; 1024 x 768 f16 or bf16 tables, rows of the
      table's type): qembed's codebook kernel as the custom dispatch, and
      qembed.dequantize_vq of the table (uint16 bit patterns);
  llama_<tied|untied>.vmfb + llama_*_{ids,cpu}.npy   the fx-imported
      Llama-like models compiled for CUDA with the custom dispatch, and what
      the same quantized module returns when compiled for the CPU;
  speed_{dispatch,codegen,dense}.vmfb   the gather alone on a 128256 x 4096
      table (tables as arguments, so the modules stay small): (a) qembed's
      kernel as a custom dispatch, (b) IREE's codegen of --qembed-to-linalg,
      (c) IREE's dense f16 gather; kernel.ptx / kernel.json: the custom
      dispatch's kernel, for launching it directly.

--exact-only builds the bit-exactness modules alone (INT, float formats and
VQ), --vq-only the VQ ones alone.

Output: build/iree_cuda_dispatch/ (carry it and the cp312 iree-base-runtime
wheel to the device)."""

import json
import os
import sys

import numpy as np
from iree import compiler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests"))
from test_iree_cuda import (CUDA, embedded_ptx, llama_like_input_ir,  # noqa
                            quantize_for_cuda, to_input)

import qembed  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "build", "iree_cuda_dispatch")
CPU = ["--iree-hal-target-device=local",
       "--iree-hal-local-target-device-backends=llvm-cpu",
       "--iree-llvmcpu-target-cpu=generic"]
EXACT = {"w4g64": (4, 64, True), "w8ch": (8, 0, True),
         "w2g32asym": (2, 32, False), "w3g64": (3, 64, True),
         # The float formats: (format, None, None).
         "fp8": ("fp8", None, None), "nvfp4": ("nvfp4", None, None),
         "mxfp4": ("mxfp4", None, None)}
V, D = 4096, 512
# Codebook VQ: name -> (dim, entries, stages, groups, k-means iterations),
# and the table dtypes each is built for.
VQ = {"d4k256": ((4, 256, 1, 1, 16), ("f16", "bf16")),
      "d4k256g8": ((4, 256, 1, 8, 16), ("f16",)),
      "d8k256x2": ((8, 256, 2, 1, 16), ("f16", "bf16")),
      # 2048 x 12 f16 = 48 KiB of codebooks: the shared-memory limit.
      "d12k2048": ((12, 2048, 1, 1, 4), ("f16", "bf16")),
      # 64 KiB: beyond it, the kernel reads the codebooks from global memory.
      "d8k4096": ((8, 4096, 1, 1, 4), ("f16",))}
VQ_V, VQ_D = 1024, 768
SPEED_V, SPEED_D = 128256, 4096


def gather_generic(table_ref, table_type, d, dtype):
    """An aten.embedding-shaped linalg.generic over 1-D ids."""
    return f"""
  %c0 = arith.constant 0 : index
  %n = tensor.dim %ids, %c0 : tensor<?xi64>
  %init = tensor.empty(%n) : tensor<?x{d}x{dtype}>
  %r = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}} ins(%ids : tensor<?xi64>) outs(%init : tensor<?x{d}x{dtype}>) {{
  ^bb0(%in: i64, %out: {dtype}):
    %row = arith.index_cast %in : i64 to index
    %col = linalg.index 1 : index
    %x = tensor.extract {table_ref}[%row, %col] : {table_type}
    linalg.yield %x : {dtype}
  }} -> tensor<?x{d}x{dtype}>"""


def embedding_module(table, dtype="f16"):
    """`table`: float16, or uint16 bit patterns of a bf16 table."""
    v, d = table.shape
    blob = (np.array([2], dtype=np.uint32).tobytes() + table.tobytes()).hex()
    ty = f"tensor<{v}x{d}x{dtype}>"
    return f"""
func.func @forward(%ids: tensor<?xi64>) -> tensor<?x{d}x{dtype}> {{
  %table = arith.constant dense_resource<table> : {ty}
{gather_generic("%table", ty, d, dtype)}
  return %r : tensor<?x{d}x{dtype}>
}}
{{-#
  dialect_resources: {{ builtin: {{ table: "0x{blob}" }} }}
#-}}
"""


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def exact_modules():
    rng = np.random.default_rng(0)
    table = (rng.normal(size=(V, D)) * 0.02).astype(np.float16)
    table[:, 5] *= 20  # an outlier column
    input_ir = to_input(embedding_module(table))
    for name, (bits, group, sym) in EXACT.items():
        if isinstance(bits, str):
            opts = "format=%s" % bits
        else:
            opts = "bits=%d group-size=%d symmetric=%s" % (
                bits, group, "true" if sym else "false")
        ir = quantize_for_cuda(input_ir, opts)
        write("exact_%s.vmfb" % name, compiler.compile_str(
            ir, target_backends=[], extra_args=["--compile-from=input"] + CUDA))
        q = qembed.quantize(table, format=bits) if isinstance(bits, str) \
            else qembed.quantize(table, bits=bits, group_size=group,
                                 symmetric=sym)
        deq = qembed.dequantize(q, out_dtype="f16")
        np.save(os.path.join(OUT, "deq_%s.npy" % name), deq)


def vq_tables():
    """The VQ test table as f16 and as bf16 bit patterns (rounded from the
    same f32 values; an outlier column)."""
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(VQ_V, VQ_D)) * 0.02).astype(np.float32)
    x[:, 7] *= 20
    bits = x.view(np.uint32)
    bf16 = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return {"f16": x.astype(np.float16), "bf16": bf16}


def vq_modules():
    """Codebook VQ through qembed's codebook kernel as the custom dispatch."""
    tables = vq_tables()
    for name, ((dim, entries, stages, groups, iters), dtypes) in VQ.items():
        for dtype in dtypes:
            table = tables[dtype]
            opts = ("format=vq vq-dim=%d vq-entries=%d vq-stages=%d "
                    "vq-groups=%d vq-iterations=%d seed=0" % (
                        dim, entries, stages, groups, iters))
            ir = quantize_for_cuda(to_input(embedding_module(table, dtype)),
                                   opts)
            assert ir.count('"flow.dispatch"') == 1 and \
                "qembed_vq_gather_d%d_k%d_s%d_g%d_" % (
                    dim, entries, stages, groups) in ir, name
            tag = "vq_%s_%s" % (name, dtype)
            write("exact_%s.vmfb" % tag, compiler.compile_str(
                ir, target_backends=[],
                extra_args=["--compile-from=input"] + CUDA))
            q = qembed.quantize_vq(table, dim=dim, entries=entries,
                                   stages=stages, groups=groups,
                                   iterations=iters, seed=0, dtype=dtype)
            deq = qembed.dequantize_vq(q, out_dtype=dtype)
            np.save(os.path.join(OUT, "deq_%s.npy" % tag), deq.view(np.uint16))
            print("built", tag, "(%.2f bits/param)" % q.bits_per_param)


def llama_modules():
    from iree import runtime
    for tied in (False, True):
        tag = "tied" if tied else "untied"
        _, ids, input_ir = llama_like_input_ir(tied)
        ir = quantize_for_cuda(input_ir, "bits=4 group-size=64")
        write("llama_%s.vmfb" % tag, compiler.compile_str(
            ir, target_backends=[], extra_args=["--compile-from=input"] + CUDA))
        cpu_ir = qembed.run_pipeline(
            input_ir, "quantize-embeddings{bits=4 group-size=64},"
            "qembed-to-iree{target=cpu}", allow_unregistered=True)
        vmfb = compiler.compile_str(cpu_ir, target_backends=[],
                                    extra_args=["--compile-from=input"] + CPU)
        ctx = runtime.SystemContext(config=runtime.Config("local-sync"))
        ctx.add_vm_module(runtime.VmModule.copy_buffer(ctx.instance, vmfb))
        out = np.asarray(ctx.modules.module["forward"](ids.numpy()).to_host())
        np.save(os.path.join(OUT, "llama_%s_ids.npy" % tag), ids.numpy())
        np.save(os.path.join(OUT, "llama_%s_cpu.npy" % tag), out)


def speed_modules():
    v, d = SPEED_V, SPEED_D
    w, g = d * 4 // 32, d // 64
    scheme = "scheme <bits = 4, group_size = 64, symmetric, scale_type = f16>"
    quant = f"""
func.func @gather(%p: tensor<{v}x{w}xi32>, %s: tensor<{v}x{g}xf16>, %ids: tensor<?xi64>) -> tensor<?x{d}xf16> {{
  %r = qembed.gather %p[%ids] scales(%s) {scheme} : tensor<{v}x{w}xi32>, tensor<{v}x{g}xf16>, tensor<?xi64> -> tensor<?x{d}xf16>
  return %r : tensor<?x{d}xf16>
}}"""
    ty = f"tensor<{v}x{d}xf16>"
    dense = f"""
func.func @gather(%t: {ty}, %ids: tensor<?xi64>) -> tensor<?x{d}xf16> {{
{gather_generic("%t", ty, d, "f16")}
  return %r : tensor<?x{d}xf16>
}}"""
    # func.func modules: iree-compile runs its whole pipeline (input
    # conversion included), as for IREE's own custom-dispatch samples.
    cuda = CUDA
    dispatch_ir = qembed.run_pipeline(
        quant, "qembed-to-iree{target=cuda chip=sm_90}",
        allow_unregistered=True)
    write("speed_dispatch.vmfb", compiler.compile_str(
        dispatch_ir, target_backends=[], extra_args=cuda))
    codegen_ir = qembed.run_pipeline(quant, "qembed-to-linalg",
                                     allow_unregistered=True)
    write("speed_codegen.vmfb", compiler.compile_str(
        codegen_ir, target_backends=[], extra_args=cuda))
    write("speed_dense.vmfb", compiler.compile_str(
        dense, target_backends=[], extra_args=CUDA))
    ptx = embedded_ptx(dispatch_ir)
    assert len(ptx) == 1
    write("kernel.ptx", ptx[0].encode())
    k = qembed._qembed.gpu_gather_kernel(4, 64, True, "f16", "f16", d, "i64",
                                         "sm_90")
    assert k["ptx"] == ptx[0], "the JIT and --qembed-to-iree disagree"
    json.dump({"name": k["name"], "block_size": k["block_size"],
               "unroll": k["unroll"], "slices_per_row": k["slices_per_row"],
               "rows": v, "cols": d, "words": w, "groups": g},
              open(os.path.join(OUT, "kernel.json"), "w"))


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--vq-only" not in sys.argv:  # codebook VQ modules alone
        exact_modules()
    vq_modules()
    if "--exact-only" not in sys.argv and "--vq-only" not in sys.argv:
        # (--exact-only: the bit-exactness modules alone)
        llama_modules()
        speed_modules()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %s (%.1f MB)" % (OUT, total / 1e6))


if __name__ == "__main__":
    main()
