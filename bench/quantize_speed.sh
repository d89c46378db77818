#!/usr/bin/env bash
# Compile-time benchmark: --quantize-embeddings on a real-size table held as
# a dense_resource in MLIR bytecode (bytecode -> bytecode), against upstream
# mlir-opt doing only the bytecode round trip (and --canonicalize) of the
# same module, in one run on this machine. Prints wall seconds and peak RSS.
# With QEMBED_OPT_BASELINE=<another qembed-opt> (e.g. one built from an
# older commit), each quantization also runs with that binary, right before,
# and the two outputs must be byte-identical.
# Usage: [QEMBED_OPT_BASELINE=path] bash bench/quantize_speed.sh [rows cols]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-32000}; COLS=${2:-4096}
OUT=build/bench; mkdir -p $OUT
Q=build/bin/qembed-opt; M=/usr/lib/llvm-22/bin/mlir-opt
if [ ! -f $OUT/table_${ROWS}x${COLS}.mlirbc ]; then
  python3 bench/make_table.py --rows $ROWS --cols $COLS > $OUT/table.mlir
  $Q $OUT/table.mlir --emit-bytecode -o $OUT/table_${ROWS}x${COLS}.mlirbc
  rm $OUT/table.mlir
fi
IN=$OUT/table_${ROWS}x${COLS}.mlirbc
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o $OUT/time.txt "$@" > /dev/null
  read -r secs kb < $OUT/time.txt
  printf "%-62s %7.2f s %8d MB\n" "$label" "$secs" "$((kb / 1024))"
}
echo "table ${ROWS}x${COLS} bf16 ($(stat -c %s $IN) bytes of bytecode), $(nproc) cores"
measure "mlir-opt round trip (baseline)" $M $IN --emit-bytecode -o $OUT/rt.mlirbc
measure "mlir-opt --canonicalize (baseline)" $M $IN --canonicalize --emit-bytecode -o $OUT/c.mlirbc
B=${QEMBED_OPT_BASELINE:-}
for o in "bits=4 group-size=64" "bits=8 group-size=0" "bits=2 group-size=64" "bits=4 group-size=64 symmetric=false"; do
  if [ -n "$B" ]; then
    measure "baseline --quantize-embeddings=\"$o\"" $B $IN --quantize-embeddings="$o" --emit-bytecode -o $OUT/b.mlirbc
  fi
  measure "qembed-opt --quantize-embeddings=\"$o\"" $Q $IN --quantize-embeddings="$o" --emit-bytecode -o $OUT/q.mlirbc
  echo "    output $(stat -c %s $OUT/q.mlirbc) bytes"
  if [ -n "$B" ]; then
    cmp -s $OUT/b.mlirbc $OUT/q.mlirbc && echo "    identical to the baseline's output" || { echo "    DIFFERS from the baseline's output"; exit 1; }
  fi
done
