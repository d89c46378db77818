#!/usr/bin/env bash
# Compile-time benchmark: --quantize-embeddings on a real-size bf16 table held
# as a dense_resource in MLIR bytecode (bytecode -> bytecode), against the
# I/O floor: upstream mlir-opt doing only the bytecode round trip of the same
# module, in the same run. For each scheme it prints the wall seconds, the
# ratio to the floor, the peak RSS and peak RSS / table bytes of qembed-opt,
# and the same for the Python API (bench/quantize_speed_py.py: read the file,
# qembed.quantize_embeddings(bytes, bytecode=True), write the result), whose
# time is also given as a ratio to qembed-opt's; its RSS is given whole and
# as what the call added once the input was read (the caller holds the
# input). Each line is the best (minimum) of REPEAT runs (default 3); the
# runs are interleaved, so the ratios compare runs under the same load.
# Outputs of qembed-opt and of the Python API must be byte-identical. Before
# each timed run the outputs of earlier runs are deleted and `sync` writes
# back what is dirty (untimed), so every run writes a new file from a clean
# page cache.
# With QEMBED_OPT_BASELINE=<another qembed-opt> (e.g. one built from an
# older commit), each scheme also runs with that binary and the outputs must
# be byte-identical. Without PYTHONPATH pointing at a built qembed package
# (or QEMBED_BENCH_PYTHON=0) the Python column is left out.
# Usage: [REPEAT=n] [QEMBED_OPT_BASELINE=path] bash bench/quantize_speed.sh [rows cols]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-32000}; COLS=${2:-4096}; REPEAT=${REPEAT:-3}
OUT=build/bench; mkdir -p $OUT
Q=build/bin/qembed-opt; M=/usr/lib/llvm-22/bin/mlir-opt
B=${QEMBED_OPT_BASELINE:-}
PY=1
[ "${QEMBED_BENCH_PYTHON:-1}" = 0 ] && PY=0
[ $PY = 1 ] && ! python3 -c "import qembed._qembed" 2>/dev/null && PY=0
if [ ! -f $OUT/table_${ROWS}x${COLS}.mlirbc ]; then
  python3 bench/make_table.py --rows $ROWS --cols $COLS > $OUT/table.mlir
  $Q $OUT/table.mlir --emit-bytecode -o $OUT/table_${ROWS}x${COLS}.mlirbc
  rm $OUT/table.mlir
fi
IN=$OUT/table_${ROWS}x${COLS}.mlirbc
TABLE=$((ROWS * COLS * 2))
SCHEMES=("bits=2 group-size=64" "bits=4 group-size=64" "bits=8 group-size=0" "bits=4 group-size=64 symmetric=false")

declare -A SECS KB
best() { # key secs kb: keeps the minimum of each
  local k=$1
  if [ -z "${SECS[$k]:-}" ] || awk "BEGIN{exit !($2 < ${SECS[$k]})}"; then SECS[$k]=$2; fi
  if [ -z "${KB[$k]:-}" ] || [ "$3" -lt "${KB[$k]}" ]; then KB[$k]=$3; fi
}
settle() { # untimed: the next run's output file removed and all dirty
  # pages written back, so that no run pays for another's page cache
  # (truncating an old output, dirty-page throttling)
  rm -f "$1"
  sync
}
run() { # key, output file, command...
  local k=$1; settle "$2"; shift 2
  /usr/bin/time -f "%e %M" -o $OUT/time.txt "$@" > /dev/null
  read -r secs kb < $OUT/time.txt
  best "$k" "$secs" "$kb"
}

for ((i = 0; i < REPEAT; ++i)); do
  run floor $OUT/rt.mlirbc $M $IN --emit-bytecode -o $OUT/rt.mlirbc
  for o in "${SCHEMES[@]}"; do
    if [ -n "$B" ]; then
      run "base $o" $OUT/b.mlirbc $B $IN --quantize-embeddings="$o" --emit-bytecode -o $OUT/b.mlirbc
    fi
    run "cli $o" $OUT/q.mlirbc $Q $IN --quantize-embeddings="$o" --emit-bytecode -o $OUT/q.mlirbc
    if [ -n "$B" ] && ! cmp -s $OUT/b.mlirbc $OUT/q.mlirbc; then
      echo "$o: output DIFFERS from the baseline's"; exit 1
    fi
    if [ $PY = 1 ]; then
      set -- $o
      bits=${1#bits=}; group=${2#group-size=}; sym=1
      [ "${3:-}" = "symmetric=false" ] && sym=0
      settle $OUT/p.mlirbc
      /usr/bin/time -f "%M" -o $OUT/time.txt \
        python3 bench/quantize_speed_py.py $IN $OUT/p.mlirbc $bits $group $sym > $OUT/py.txt
      read -r psecs pcall before after < $OUT/py.txt
      best "py $o" "$psecs" "$(cat $OUT/time.txt)"
      best "pycall $o" "$pcall" 0
      best "pyadd $o" 0 $((after - before))
      cmp -s $OUT/p.mlirbc $OUT/q.mlirbc || { echo "$o: Python output DIFFERS from qembed-opt's"; exit 1; }
      settle $OUT/f.mlirbc
      /usr/bin/time -f "%M" -o $OUT/time.txt \
        python3 bench/quantize_speed_py.py $IN $OUT/f.mlirbc $bits $group $sym file > $OUT/py.txt
      read -r psecs pcall before after < $OUT/py.txt
      best "pyfile $o" "$psecs" "$(cat $OUT/time.txt)"
      cmp -s $OUT/f.mlirbc $OUT/q.mlirbc || { echo "$o: Python file output DIFFERS from qembed-opt's"; exit 1; }
    fi
  done
done

echo "table ${ROWS}x${COLS} bf16: $TABLE bytes ($(stat -c %s $IN) bytes of bytecode); $(nproc) cores;" \
  "best of $REPEAT interleaved runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
mb() { echo $(($1 / 1024)); }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
printf "%-44s %7s %7s %8s %7s\n" "run" "wall s" "/floor" "RSS MB" "/table"
printf "%-44s %7.2f %7s %8d %7s\n" "mlir-opt bytecode round trip (floor)" "${SECS[floor]}" "1.00" \
  "$(mb ${KB[floor]})" "$(ratio $((KB[floor] * 1024)) $TABLE)"
for o in "${SCHEMES[@]}"; do
  if [ -n "$B" ]; then
    printf "%-44s %7.2f %7s %8d %7s\n" "baseline $o" "${SECS[base $o]}" \
      "$(ratio ${SECS[base $o]} ${SECS[floor]})" "$(mb ${KB[base $o]})" \
      "$(ratio $((KB[base $o] * 1024)) $TABLE)"
  fi
  printf "%-44s %7.2f %7s %8d %7s\n" "qembed-opt $o" "${SECS[cli $o]}" \
    "$(ratio ${SECS[cli $o]} ${SECS[floor]})" "$(mb ${KB[cli $o]})" \
    "$(ratio $((KB[cli $o] * 1024)) $TABLE)"
  if [ $PY = 1 ]; then
    printf "%-44s %7.2f %7s %8d %7s\n" "  Python: read + call + write" "${SECS[py $o]}" \
      "$(ratio ${SECS[py $o]} ${SECS[floor]})" "$(mb ${KB[py $o]})" \
      "$(ratio $((KB[py $o] * 1024)) $TABLE)"
    printf "%-44s %7.2f %7s %8d %7s   (x%s of qembed-opt's time)\n" "  Python: the call (RSS it added)" \
      "${SECS[pycall $o]}" "$(ratio ${SECS[pycall $o]} ${SECS[floor]})" "$(mb ${KB[pyadd $o]})" \
      "$(ratio $((KB[pyadd $o] * 1024)) $TABLE)" "$(ratio ${SECS[pycall $o]} ${SECS[cli $o]})"
    printf "%-44s %7.2f %7s %8d %7s   (x%s of qembed-opt's time, x%s of its RSS)\n" "  Python: quantize_embeddings_file" \
      "${SECS[pyfile $o]}" "$(ratio ${SECS[pyfile $o]} ${SECS[floor]})" "$(mb ${KB[pyfile $o]})" \
      "$(ratio $((KB[pyfile $o] * 1024)) $TABLE)" "$(ratio ${SECS[pyfile $o]} ${SECS[cli $o]})" \
      "$(ratio ${KB[pyfile $o]} ${KB[cli $o]})"
  fi
done
