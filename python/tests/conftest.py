"""Shared helpers of the Python tests."""

import numpy as np


def iree_cpu_run(mlir_text, function, *args):
    """Compiles MLIR (upstream dialects) with iree-compile for the local CPU
    and calls `function` with the IREE runtime; returns a numpy array."""
    from iree import compiler, runtime
    vmfb = compiler.compile_str(
        mlir_text, target_backends=["llvm-cpu"],
        extra_args=["--iree-llvmcpu-target-cpu=generic"])
    ctx = runtime.SystemContext(config=runtime.Config("local-sync"))
    ctx.add_vm_module(runtime.VmModule.copy_buffer(ctx.instance, vmfb))
    return np.asarray(ctx.modules.module[function](*args).to_host())
