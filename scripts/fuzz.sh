#!/usr/bin/env bash
# Builds qembed-fuzz (libFuzzer + ASan + UBSan, tools/qembed-fuzz) in
# build-fuzz/ and fuzzes qembed's passes and pipelines for SECONDS (default
# 60). The seed corpus is regenerated from test/; what libFuzzer finds is kept
# in build-fuzz/fuzz-corpus across runs, crashes land in build-fuzz/fuzz-artifacts.
# Extra arguments go to libFuzzer (e.g. -runs=1000000, -jobs=2 -workers=2).
# Exits non-zero on a crash, a sanitizer report, a leak, a timeout or an OOM.
#
# usage: scripts/fuzz.sh [SECONDS] [libFuzzer args...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
B=${QEMBED_FUZZ_BUILD:-build-fuzz}
LLVM=/usr/lib/llvm-22

if [ ! -f "$B/build.ninja" ]; then
  cmake -G Ninja -S . -B "$B" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DQEMBED_ENABLE_FUZZER=ON -DQEMBED_ENABLE_TESTS=OFF
fi
echo "== building qembed-fuzz in $B"
cmake --build "$B" --target qembed-fuzz

rm -rf "$B/fuzz-seeds"
python3 tools/qembed-fuzz/make_seeds.py test "$B/fuzz-seeds"
mkdir -p "$B/fuzz-corpus" "$B/fuzz-artifacts"
echo "== fuzzing for ${seconds}s"
# -max_len: the largest seed is ~3 KB; -timeout: one input may run the whole
# GPU pipeline (NVPTX codegen) under ASan.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  "$B/bin/qembed-fuzz" -max_total_time="$seconds" -max_len=16384 \
  -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
  -dict=tools/qembed-fuzz/qembed.dict \
  -artifact_prefix="$B/fuzz-artifacts/" "$@" \
  "$B/fuzz-corpus" "$B/fuzz-seeds"
