"""GPU tests of qembed.torch (run on a CUDA machine, not in CI: scripts/test.sh
leaves this folder out). They import only torch and qembed.torch, so they
also run where the compiler extension is missing but the kernel cache
($QEMBED_CACHE_DIR) holds the kernels."""

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU")


def pytest_collection_modifyitems(config, items):
    import torch
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
