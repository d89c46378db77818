#!/usr/bin/env bash
# Installs what qembed needs (Debian packages, PyPI packages), then configures
# and builds it in build/ and pip-installs the Python package. Idempotent:
# packages already present are not reinstalled and the builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

# libclang-rt-22-dev: the ASan/UBSan/libFuzzer runtimes of the sanitizer
# build and the fuzzer (only recommended by clang-22, so not always there).
# libomp-22-dev: LLVM's OpenMP runtime (/usr/lib/llvm-22/lib/libomp.so), which
# runs --qembed-cpu-pipeline parallel=true modules (lit feature `libomp`).
PKGS=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
      libclang-rt-22-dev libomp-22-dev cmake ninja-build libgtest-dev python3)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

LLVM=/usr/lib/llvm-22
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM/bin/lit
fi
echo "== building"
cmake --build build

# The Python package (nanobind extension + python/qembed), built by pip from
# this checkout into build/wheel (incremental), and what its tests use.
PIP="python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore"
$PIP numpy nanobind scikit-build-core pytest iree-base-compiler iree-base-runtime
echo "== building and installing the qembed Python package"
$PIP --no-build-isolation .
