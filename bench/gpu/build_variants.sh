#!/usr/bin/env bash
# Builds the benchmark entry points with several --qembed-gpu-pipeline
# launch configurations (build/gpu/variants/<name>/libqembed_gpu.so), for
# bench/gpu/sweep.py to compare on the GPU in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
CUDA=${CUDA:-/usr/local/cuda}; LLVM=/usr/lib/llvm-22
export PATH=$CUDA/bin:$PATH
V=build/gpu/variants; rm -rf $V; mkdir -p $V
python3 bench/gpu/gen_entry_points.py $V/entry.mlir $V/manifest.json --bench-only
clang++-22 -O2 -fPIC -std=c++17 -I$CUDA/include -c runtime/cuda/QEmbedCudaRuntime.cpp -o $V/runtime.o
for cfg in "$@"; do            # e.g. "block-size=256 max-blocks=1056 unroll=4"
  name=$(echo "$cfg" | tr ' =' '_-')
  mkdir -p $V/$name
  build/bin/qembed-opt $V/entry.mlir --qembed-gpu-pipeline="chip=sm_90 format=fatbin $cfg" \
    | $LLVM/bin/mlir-translate --mlir-to-llvmir -o $V/$name/e.ll
  clang-22 -O2 -fPIC -c $V/$name/e.ll -o $V/$name/e.o 2>/dev/null
  clang++-22 -shared -o $V/$name/libqembed_gpu.so $V/$name/e.o $V/runtime.o -L$CUDA/lib64/stubs -lcuda
  cp $V/manifest.json $V/$name/
  echo "$cfg" > $V/$name/config.txt
done
du -sh $V
