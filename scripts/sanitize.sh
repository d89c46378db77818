#!/usr/bin/env bash
# Builds qembed with AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/ (QEMBED_ENABLE_SANITIZERS; UB aborts, -fno-sanitize-recover) and
# runs the whole lit suite against it. Only the targets lit needs are built
# (qembed-opt, the plugin, the unit tests, the CUDA runtime). Uninstrumented
# hosts that load our libraries (mlir-opt with the plugin, Python with the
# CUDA runtime) get the ASan runtime preloaded (%preload_sanitizer in lit).
# Exits non-zero on any lit failure or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${QEMBED_ASAN_BUILD:-build-asan}
LLVM=/usr/lib/llvm-22

if [ ! -f "$B/build.ninja" ]; then
  cmake -G Ninja -S . -B "$B" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM/bin/lit \
    -DQEMBED_ENABLE_SANITIZERS=ON
fi
echo "== building the ASan+UBSan configuration in $B"
cmake --build "$B" --target qembed-opt QEmbedPlugin qembed-unittests \
  qembed-cuda-runtime-tests qembed_cuda_runtime
echo "== running the lit suite under ASan+UBSan"
# lit.cfg.py makes a sanitizer report abort, which fails its RUN line even
# under `not`.
$LLVM/bin/lit -sv "$B/test" 2>&1 | tee "$B/lit.log"
rc=${PIPESTATUS[0]}
# Every test must run: an unsupported test is a failure here too, unless
# QEMBED_ALLOW_UNSUPPORTED=1 (no CUDA toolkit).
if grep -q "^ *Unsupported: " "$B/lit.log" &&
   [ "${QEMBED_ALLOW_UNSUPPORTED:-0}" != 1 ]; then
  echo "lit under sanitizers: unsupported tests count as failures" >&2
  rc=1
fi
exit "$rc"
