"""Sizes and accuracy of an iree-turbine export before and after
--qembed-quantize-globals, all measured in this process (CPU only).

    PYTHONPATH=<qembed package> python3 bench/iree/turbine_sizes.py [V] [D]

A config-built Llama (one layer, vocabulary V, hidden D; default 8192 x
256) is exported with inline globals and with an IRPA parameter file,
compiled by iree-compile for llvm-cpu with and without qembed (W4 g64), and
run; prints the vmfb and archive sizes, the time qembed took, and the
largest difference of the quantized module from PyTorch run with the
dequantized embedding and from the unquantized module.
"""

import os
import sys
import tempfile
import time

import numpy as np
import torch
import transformers
from iree import compiler, runtime as rt
from iree.turbine import aot

import qembed
import qembed.iree

V = int(sys.argv[1]) if len(sys.argv) > 1 else 8192
D = int(sys.argv[2]) if len(sys.argv) > 2 else 256


class Forward(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, ids):
        m = self.m.model
        h = m.embed_tokens(ids)
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        pe = m.rotary_emb(h, pos)
        for layer in m.layers:
            h = layer(h, attention_mask=None, position_ids=pos,
                      position_embeddings=pe)
            h = h[0] if isinstance(h, tuple) else h
        return self.m.lm_head(m.norm(h))


def compile_cpu(text, from_input):
    extra = ["--iree-llvmcpu-target-cpu=generic"]
    if from_input:
        extra.append("--compile-from=input")
    return compiler.compile_str(text, target_backends=["llvm-cpu"],
                                extra_args=extra)


def run(vmfb, ids, archives=()):
    config = rt.Config("local-sync")
    ctx = rt.SystemContext(config=config)
    if archives:
        index = rt.ParameterIndex()
        for path in archives:
            index.load(path)
        ctx.add_vm_module(rt.create_io_parameters_module(
            config.vm_instance, index.create_provider(scope="model")))
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module["main"](ids).to_host())


def main():
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=V, hidden_size=D, intermediate_size=2 * D,
        num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=128, attn_implementation="sdpa")
    f = Forward(transformers.LlamaForCausalLM(cfg).eval())
    ids = torch.randint(0, V, (1, 16))
    w = f.m.model.embed_tokens.weight.detach().numpy()
    q = qembed.quantize(w, bits=4, group_size=64)
    emb = f.m.model.embed_tokens
    orig = emb.weight
    emb.weight = torch.nn.Parameter(torch.from_numpy(qembed.dequantize(q)))
    with torch.no_grad():
        ref = f(ids).numpy()
    emb.weight = orig
    tmp = tempfile.mkdtemp()
    print("table %dx%d f32: %d bytes" % (V, D, w.nbytes))

    # Inline globals.
    text = qembed.iree.compile_to_input(aot.export(f, args=(ids,)))
    t0 = time.perf_counter()
    qtext = qembed.iree.quantize_globals(text, bits=4, group_size=64)
    tq = time.perf_counter() - t0
    dense_vmfb = compile_cpu(text, True)
    q_vmfb = compile_cpu(qtext, True)
    dense = run(dense_vmfb, ids.numpy())
    got = run(q_vmfb, ids.numpy())
    print("inline: vmfb %d -> %d bytes (%.2fx), qembed %.2f s, "
          "max |q - torch(dequantized)| %.3g, max |q - dense| %.3g"
          % (len(dense_vmfb), len(q_vmfb), len(dense_vmfb) / len(q_vmfb), tq,
             np.abs(got - ref).max(), np.abs(got - dense).max()))

    # External parameters.
    aot.externalize_module_parameters(f)
    params = os.path.join(tmp, "model.irpa")
    aot.save_module_parameters(params, f)
    text = qembed.iree.compile_to_input(aot.export(f, args=(ids,)))
    out = os.path.join(tmp, "model.qembed.irpa")
    t0 = time.perf_counter()
    qtext = qembed.iree.quantize_globals(
        text, bits=4, group_size=64, tables="embed_tokens",
        parameters={"model": params}, output_parameters=out)
    tq = time.perf_counter() - t0
    got = run(compile_cpu(qtext, True), ids.numpy(), [params, out])
    print("parameters: model.irpa %d bytes, model.qembed.irpa %d bytes "
          "(%.2fx smaller than the table), qembed %.2f s, "
          "max |q - torch(dequantized)| %.3g"
          % (os.path.getsize(params), os.path.getsize(out),
             w.nbytes / os.path.getsize(out), tq, np.abs(got - ref).max()))


if __name__ == "__main__":
    main()
