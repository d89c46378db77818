#!/usr/bin/env bash
# Builds, on the CPU machine, everything the GPU machine needs to run qembed's
# generated kernels: the entry-point module goes through
# --qembed-gpu-pipeline (kernels as an sm_90 fatbin inside gpu.binary, host
# code in the LLVM dialect), is translated to LLVM IR, compiled with clang and
# linked with runtime/cuda/QEmbedCudaRuntime.cpp into build/gpu/libqembed_gpu.so,
# which needs only the CUDA driver (libcuda.so.1, opened at run time). Also
# keeps the PTX.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/gpu
mkdir -p $OUT
CUDA=${CUDA:-/usr/local/cuda}
LLVM=/usr/lib/llvm-22
export PATH=$CUDA/bin:$PATH
python3 bench/gpu/gen_entry_points.py $OUT/entry_points.mlir $OUT/manifest.json
build/bin/qembed-opt $OUT/entry_points.mlir \
  --qembed-gpu-pipeline="chip=sm_90 format=fatbin" -o $OUT/lowered.mlir
build/bin/qembed-opt $OUT/entry_points.mlir \
  --qembed-gpu-pipeline="chip=sm_90 format=isa" -o $OUT/lowered_isa.mlir
python3 test/Inputs/extract_ptx.py $OUT/lowered_isa.mlir $OUT/kernels.ptx
$LLVM/bin/mlir-translate --mlir-to-llvmir $OUT/lowered.mlir -o $OUT/entry_points.ll
clang-22 -O2 -fPIC -c $OUT/entry_points.ll -o $OUT/entry_points.o
clang++-22 -O2 -fPIC -std=c++17 -fvisibility=hidden -c runtime/cuda/QEmbedCudaRuntime.cpp \
  -o $OUT/runtime.o
clang++-22 -shared -o $OUT/libqembed_gpu.so $OUT/entry_points.o $OUT/runtime.o -ldl
ls -la $OUT/libqembed_gpu.so
