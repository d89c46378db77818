#!/usr/bin/env bash
# GPU machine: the IREE CUDA custom-dispatch check, speed table and ncu
# kernel durations (IREE vs direct launch). Expects build/iree_cuda_dispatch
# (bench/iree/make_cuda_dispatch.py) and iree-base-runtime on PYTHONPATH.
# Writes its logs to ${OUT:-/tmp}.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv | tee "$out/device.txt"
python3 bench/iree/run_cuda_dispatch.py check 2>&1 | tee "$out/check.txt"
python3 bench/iree/run_cuda_dispatch.py speed 2>&1 | tee "$out/speed.txt"
bench=$(python3 -c "import iree._runtime_libs as l, os; print(os.path.dirname(l.__file__))")/iree-benchmark-module
d=build/iree_cuda_dispatch
ncu_args=(--clock-control none --kernel-name regex:qembed_gather
          --metrics gpu__time_duration.sum --launch-skip 5 --launch-count 20 --csv)
for n in 4096 32768; do
  ncu "${ncu_args[@]}" "$bench" --device=cuda --module=$d/speed_dispatch.vmfb \
    --function=gather --input=128256x512xi32=305419896 \
    --input=128256x64xf16=0.01 --input=@$d/ids_$n.npy \
    --device_allocator=caching --benchmark_repetitions=5 > "$out/ncu_iree_$n.csv" 2>&1
  ncu "${ncu_args[@]}" python3 bench/iree/run_cuda_dispatch.py direct $n \
    > "$out/ncu_direct_$n.csv" 2>&1
  python3 - "$out/ncu_iree_$n.csv" "$out/ncu_direct_$n.csv" $n <<'PY'
import csv, statistics, sys
def durations(path):
    rows = [r for r in csv.reader(open(path)) if len(r) > 10 and r[-3] == "gpu__time_duration.sum"]
    scale = {"ns": 1.0, "nsecond": 1.0, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}
    return [float(r[-1].replace(",", "")) * scale[r[-2]] for r in rows]
iree, direct = durations(sys.argv[1]), durations(sys.argv[2])
if not iree or not direct:
    print("ncu: no kernel durations (see the csv files)"); sys.exit()
mi, md = statistics.median(iree), statistics.median(direct)
print("ncu %s tokens: kernel in IREE %.2f us (n=%d), launched directly %.2f us (n=%d), ratio %.3f"
      % (sys.argv[3], mi / 1e3, len(iree), md / 1e3, len(direct), mi / md))
PY
done 2>&1 | tee "$out/ncu.txt"
# Kernel durations of all three variants at 32768 tokens, and every kernel
# one call of each launches (what else IREE runs per call).
for v in dispatch codegen dense; do
  if [ $v = dense ]; then inputs=(--input=128256x4096xf16=0.5); else
    inputs=(--input=128256x512xi32=305419896 --input=128256x64xf16=0.01); fi
  ncu --clock-control none --metrics gpu__time_duration.sum --launch-skip 20 \
    --launch-count 40 --csv "$bench" --device=cuda --device_allocator=caching \
    --module=$d/speed_$v.vmfb --function=gather "${inputs[@]}" \
    --input=@$d/ids_32768.npy --benchmark_repetitions=5 > "$out/ncu_all_$v.csv" 2>&1
  python3 - "$out/ncu_all_$v.csv" $v <<'PY'
import collections, csv, statistics, sys
scale = {"ns": 1.0, "nsecond": 1.0, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}
by = collections.defaultdict(list)
for r in csv.reader(open(sys.argv[1])):
    if len(r) > 10 and r[-3] == "gpu__time_duration.sum":
        by[r[4]].append(float(r[-1].replace(",", "")) * scale[r[-2]] / 1e3)
print("ncu, 32768 tokens, %s: " % sys.argv[2] + "; ".join(
    "%s x%d median %.1f us" % (k[:60], len(v), statistics.median(v)) for k, v in by.items()))
PY
done 2>&1 | tee -a "$out/ncu.txt"
