#!/usr/bin/env bash
# Builds, on the CPU machine, the end-to-end executables of
# test_gpu_pipeline.py: Torch-MLIR-shaped modules (test/Integration's
# generator) quantized with --quantize-embeddings and lowered whole with
# --qembed-gpu-pipeline (tensor-level functions, sm_90 fatbin), translated
# and linked with the CUDA runtime library; and the same modules through
# --qembed-cpu-pipeline, run here, as the expected outputs. Output: $1
# (default build/gpu_e2e).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
out=${1:-$root/build/gpu_e2e}
mkdir -p "$out"
llvm=/usr/lib/llvm-22
export PATH=${CUDA:-/usr/local/cuda}/bin:$PATH
gen="python3 $root/test/Integration/Inputs/gen_embedding.py"
opt=$root/build/bin/qembed-opt
here=$(dirname "$0")
clang-22 -O2 -c "$here/print_memref.c" -o "$out/print_memref.o"
clang++-22 -O2 -fPIC -std=c++17 -c "$root/runtime/cuda/QEmbedCudaRuntime.cpp" \
  -o "$out/runtime.o"
build() { # name, generator flags, quantize options
  local name=$1 flags=$2 q=$3
  $gen $flags > "$out/$name.mlir"
  $opt "$out/$name.mlir" --quantize-embeddings="$q" \
    --qembed-gpu-pipeline="chip=sm_90 format=fatbin" -o "$out/$name.gpu.mlir"
  $opt "$out/$name.mlir" --quantize-embeddings="$q" --qembed-cpu-pipeline \
    -o "$out/$name.cpu.mlir"
  for kind in gpu cpu; do
    $llvm/bin/mlir-translate --mlir-to-llvmir "$out/$name.$kind.mlir" \
      -o "$out/$name.$kind.ll"
    clang-22 -O2 -c "$out/$name.$kind.ll" -o "$out/$name.$kind.o"
  done
  clang++-22 -o "$out/$name.gpu" "$out/$name.gpu.o" "$out/print_memref.o" \
    "$out/runtime.o" -ldl
  clang++-22 -o "$out/$name.cpu" "$out/$name.cpu.o" "$out/print_memref.o"
  "$out/$name.cpu" > "$out/$name.expected"
}
build f32_w4_g32 "--rows 67 --cols 128 --dtype f32 --resource" "bits=4 group-size=32"
build bf16_w8_channel "--rows 300 --cols 256 --dtype bf16 --realistic" "bits=8 group-size=0"
build f16_w3_g64_asym_index_select "--rows 100 --cols 128 --dtype f16 --form index_select" "bits=3 group-size=64 symmetric=false"
build f32_w4_g32_tied_lm_head "--rows 64 --cols 64 --dtype f32 --tied" "bits=4 group-size=32"
build f32_fp8 "--rows 67 --cols 128 --dtype f32 --resource" "format=fp8"
build bf16_nvfp4 "--rows 300 --cols 256 --dtype bf16 --realistic" "format=nvfp4"
build f16_mxfp4_index_select "--rows 100 --cols 128 --dtype f16 --form index_select" "format=mxfp4"
rm -f "$out"/*.o "$out"/*.ll
ls "$out"
