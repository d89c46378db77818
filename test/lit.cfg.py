# -*- Python -*-
# lit configuration for qembed's regression and integration tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QEMBED"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qembed_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(("%python", config.python_executable))
# An ASan+UBSan build (QEMBED_ENABLE_SANITIZERS) leaves the sanitizer runtime
# to the executable; an uninstrumented host that loads one of its libraries
# (mlir-opt loading the plugin, Python loading the CUDA runtime) gets the
# runtime preloaded through %preload_sanitizer (leak checks off: the host's
# own allocations are not ours to check). Empty in a normal build.
preload = ""
if config.qembed_sanitized:
    import subprocess

    asan_rt = subprocess.check_output(
        ["clang++-22", "-print-file-name=libclang_rt.asan-x86_64.so"], text=True
    ).strip()
    # A report aborts (SIGABRT), so that `not qembed-opt` fails on it too
    # instead of taking the sanitizers' exit code 1 for the expected error.
    # allow_user_poisoning=0: LLVM's inline BumpPtrAllocator poisons slabs
    # in our instrumented code that uninstrumented libMLIR.so then allocates
    # from without unpoisoning (false use-after-poison; see qembed-fuzz.cpp).
    asan = "abort_on_error=1:detect_leaks=1:allow_user_poisoning=0"
    ubsan = "print_stacktrace=1:halt_on_error=1:abort_on_error=1"
    config.environment["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", asan)
    config.environment["UBSAN_OPTIONS"] = os.environ.get("UBSAN_OPTIONS", ubsan)
    preload = "env LD_PRELOAD=%s ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:allow_user_poisoning=0" % asan_rt
    config.available_features.add("sanitizers")
config.substitutions.append(("%preload_sanitizer", preload))
config.substitutions.append(
    ("%qembed_plugin", os.path.join(config.qembed_lib_dir, "QEmbedPlugin.so"))
)
runner_libs = ",".join(
    os.path.join(config.llvm_lib_dir, lib)
    for lib in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so")
)
config.substitutions.append(("%runner_libs", runner_libs))
# LLVM's OpenMP runtime (Debian libomp-22-dev), for modules lowered with
# --qembed-cpu-pipeline parallel=true: tests that run them REQUIRE libomp, so
# a machine without it reports them UNSUPPORTED ("requires ... libomp"),
# which scripts/test.sh counts as a failure; never a silent pass.
# (Before %run: lit substitutes in order and %run is its prefix.)
libomp = os.path.join(config.llvm_lib_dir, "libomp.so")
if os.path.exists(libomp):
    config.available_features.add("libomp")
config.substitutions.append(
    ("%run_omp", "mlir-runner -e main -entry-point-result=void -shared-libs="
     + runner_libs + "," + libomp)
)
# mlir-runner on a module lowered to LLVM, entry point @main.
config.substitutions.append(
    ("%run", "mlir-runner -e main -entry-point-result=void -shared-libs=" + runner_libs)
)
# Upstream mlir-opt's own CPU lowering (no qembed pass involved).
config.substitutions.append(
    (
        "%upstream_cpu",
        "--one-shot-bufferize=bufferize-function-boundaries "
        "--buffer-deallocation-pipeline --convert-linalg-to-loops "
        "--convert-scf-to-cf --expand-strided-metadata --lower-affine "
        "--arith-expand=include-bf16=true --finalize-memref-to-llvm "
        "--convert-to-llvm --reconcile-unrealized-casts",
    )
)
config.substitutions.append(
    ("%gen", config.python_executable + " " + os.path.join(
        config.qembed_src_root, "test", "Integration", "Inputs", "gen_embedding.py"))
)
config.substitutions.append(
    ("%check", config.python_executable + " " + os.path.join(
        config.qembed_src_root, "test", "Integration", "Inputs", "check_outputs.py"))
)

config.substitutions.append(
    ("%vq_check", config.python_executable + " " + os.path.join(
        config.qembed_src_root, "test", "Integration", "Inputs", "check_vq.py"))
)

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
# `not` and `count` run from PATH under the external shell.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.qembed_tools_dir, append_path=True)

tool_dirs = [config.qembed_tools_dir, config.llvm_tools_dir]
tools = [
    "qembed-opt",
    "qembed-unittests",
    "qembed-cuda-runtime-tests",
    ToolSubst("mlir-opt", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# GPU lowering tests that assemble the generated PTX need ptxas (CUDA
# toolkit); they are skipped where it is missing.
import shutil

ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None
)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
    cuda_root = os.path.dirname(os.path.dirname(os.path.realpath(ptxas)))
    config.substitutions.append(("%cuda_include", os.path.join(cuda_root, "include")))
config.substitutions.append(("%qembed_src", config.qembed_src_root))
config.substitutions.append(("%qembed_lib_dir", config.qembed_lib_dir))
# The CUDA toolkit's stub libcuda (no driver behind it), for error paths.
cuda_stubs = "/usr/local/cuda/lib64/stubs"
if os.path.exists(os.path.join(cuda_stubs, "libcuda.so")):
    config.available_features.add("cuda-stubs")
    config.substitutions.append(("%cuda_stubs", cuda_stubs))
config.substitutions.append(
    ("%extract_ptx", config.python_executable + " " + os.path.join(
        config.qembed_src_root, "test", "Inputs", "extract_ptx.py"))
)
