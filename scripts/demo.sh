#!/usr/bin/env bash
# Sets up qembed and runs the demo: quantize the embedding table of a
# Torch-MLIR-shaped module (examples/embedding_bf16.mlir, a 1024x256 bf16
# table held as dense_resource, as the fx importer emits it), report what was
# found and saved, then run the original and the quantized module on the CPU
# and compare their outputs.
# Options are forwarded, e.g.: bash scripts/demo.sh "bits=8 group-size=0"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh > /dev/null
OPTS="${1:-bits=4 group-size=64}"
IN=examples/embedding_bf16.mlir
OUT=build/demo
mkdir -p $OUT
QOPT=build/bin/qembed-opt
LLVM=/usr/lib/llvm-22
RUN="$LLVM/bin/mlir-runner -e main -entry-point-result=void -shared-libs=$LLVM/lib/libmlir_runner_utils.so,$LLVM/lib/libmlir_c_runner_utils.so"

echo "== qembed-opt --quantize-embeddings=\"$OPTS\" $IN"
$QOPT $IN --quantize-embeddings="$OPTS report=true" \
  --mlir-print-op-on-diagnostic=false -o $OUT/quantized.mlir 2>&1 |
  grep "remark:" | sed 's/^[^ ]* remark: /  /'
echo
echo "== module sizes as bytecode"
$QOPT $IN --emit-bytecode -o $OUT/original.mlirbc
$QOPT $OUT/quantized.mlir --emit-bytecode -o $OUT/quantized.mlirbc
printf "  original  %9d bytes\n  quantized %9d bytes\n" \
  "$(stat -c %s $OUT/original.mlirbc)" "$(stat -c %s $OUT/quantized.mlirbc)"
echo
echo "== running both on the CPU (mlir-runner) and comparing the rows"
$LLVM/bin/mlir-opt $IN --one-shot-bufferize=bufferize-function-boundaries \
  --buffer-deallocation-pipeline --convert-linalg-to-loops --convert-scf-to-cf \
  --expand-strided-metadata --lower-affine --arith-expand=include-bf16=true \
  --finalize-memref-to-llvm --convert-to-llvm --reconcile-unrealized-casts |
  $RUN > $OUT/dense.txt
$QOPT $OUT/quantized.mlir --qembed-cpu-pipeline | $RUN > $OUT/quant.txt
$QOPT $OUT/quantized.mlir --qembed-expand-gathers --canonicalize \
  --qembed-cpu-pipeline | $RUN > $OUT/ref.txt
bits=$(sed -n 's/.*bits=\([0-9]\).*/\1/p' <<< "$OPTS"); bits=${bits:-4}
group=$(sed -n 's/.*group-size=\([0-9]*\).*/\1/p' <<< "$OPTS"); group=${group:-64}
asym=""; grep -q "symmetric=false" <<< "$OPTS" && asym=--asymmetric
python3 test/Integration/Inputs/check_outputs.py $OUT/dense.txt \
  $OUT/quant.txt $OUT/ref.txt --bits "$bits" --group "$group" $asym --dtype bf16 |
  sed 's/^/  /'
echo
echo "quantized module: $OUT/quantized.mlir"
