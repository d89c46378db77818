"""--qembed-gpu-pipeline on tensor-level modules, run on the GPU: the
Torch-MLIR-shaped modules of test/Integration (2-D ids, index_select, a tied
lm_head computed on the host from the GPU gather's rows), quantized and
compiled whole by python/tests/gpu/e2e/build.sh into executables that need
only the CUDA driver. Each must print exactly what the same quantized module
prints through --qembed-cpu-pipeline (built and run on the CPU machine).

Run on a GPU machine after build.sh ran on the CPU machine:
QEMBED_GPU_E2E_DIR=<its output> python3 -m pytest -q python/tests/gpu"""

import os
import subprocess

import pytest

pytestmark = pytest.mark.cuda

DIR = os.environ.get("QEMBED_GPU_E2E_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "build", "gpu_e2e")
NAMES = ["f32_w4_g32", "bf16_w8_channel", "f16_w3_g64_asym_index_select",
         "f32_w4_g32_tied_lm_head", "f32_fp8", "bf16_nvfp4",
         "f16_mxfp4_index_select"]


@pytest.mark.parametrize("name", NAMES)
def test_tensor_level_module_on_the_gpu(name):
    exe = os.path.join(DIR, name + ".gpu")
    if not os.path.exists(exe):
        pytest.skip("run python/tests/gpu/e2e/build.sh first (%s)" % exe)
    got = subprocess.run([exe], capture_output=True, text=True, timeout=120)
    expected = open(os.path.join(DIR, name + ".expected")).read()
    assert got.stdout == expected, got.stderr[-2000:]
