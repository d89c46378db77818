"""Torch-MLIR front door with the real torch-mlir fx importer: a Llama-like
stack (embedding -> RMSNorm -> Linear) and a variant whose lm_head is tied to
the embedding, exported to linalg-on-tensors, run through
--quantize-embeddings, compiled and run with IREE (CPU). Outputs must equal
PyTorch run with the dequantized table (tight tolerance: only the float
arithmetic of the norm/matmul differs) and stay close to the fp model; the
tied lm_head must keep using the exact table."""

import numpy as np
import pytest

import qembed
from conftest import iree_cpu_run

torch = pytest.importorskip("torch")
fx = pytest.importorskip("torch_mlir.fx")
iree_compiler = pytest.importorskip("iree.compiler")
iree_runtime = pytest.importorskip("iree.runtime")

V, D, H = 1000, 128, 64


class RMSNorm(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.rand(d) + 0.5)

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Stack(torch.nn.Module):
    def __init__(self, tied):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(V, D)
        torch.nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.norm = RMSNorm(D)
        self.tied = tied
        self.proj = torch.nn.Linear(D, H)

    def forward(self, ids):
        h = self.norm(self.embed_tokens(ids))
        if self.tied:  # lm_head tied to the embedding
            return torch.nn.functional.linear(h, self.embed_tokens.weight)
        return self.proj(h)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("bits,group", [(4, 64), (8, 0)])
def test_torch_mlir_model(tied, bits, group):
    torch.manual_seed(0)
    model = Stack(tied).eval()
    ids = torch.tensor([[0, V - 1, 17, 17, 512], [3, 1, 4, 1, 5]])
    module = fx.export_and_import(model, ids, output_type="linalg-on-tensors",
                                  func_name="forward")
    text = str(module)
    quantized, diags = qembed.run_pipeline(
        text, "quantize-embeddings{bits=%d group-size=%d report=true}"
        % (bits, group), diagnostics=True)
    assert "qembed.gather" in quantized
    assert "embedding lookup" in diags
    lowered = qembed.run_pipeline(quantized, "qembed-to-linalg")
    out = iree_cpu_run(lowered, "forward", ids.numpy())

    weight = model.embed_tokens.weight.detach()
    q = qembed.quantize(weight.numpy(), bits=bits, group_size=group)
    deq = torch.from_numpy(qembed.dequantize(q))
    with torch.no_grad():
        fp = model(ids).numpy()
        lookup = model.embed_tokens
        saved = lookup.weight.data.clone()
        if tied:
            # Only the lookup reads the quantized table; the lm_head keeps
            # the exact weights.
            h = model.norm(torch.nn.functional.embedding(ids, deq))
            expected = torch.nn.functional.linear(h, saved).numpy()
        else:
            lookup.weight.data = deq
            expected = model(ids).numpy()
            lookup.weight.data = saved
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=2e-6)
    # Close to the unquantized model (looser for 4 bits).
    rel = np.linalg.norm(out - fp) / np.linalg.norm(fp)
    assert rel < (0.15 if bits == 4 else 0.01)
    if tied:
        # The dense table is still in the module, for the lm_head only.
        assert "tensor<%dx%dxf32>" % (V, D) in quantized
