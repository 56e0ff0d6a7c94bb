#!/usr/bin/env bash
# GPU machine: Nsight Compute figures of every qcfg kernel in bench_kernels (issue 14), the first
# launch of each kernel on a bf16 8192x8192 tensor (and PROFILE_ARGS' cases), plus each kernel's
# registers and spills. Builds like tools/gpu/bench/run.sh (/tmp/bg), then writes to $OUT:
#   ncu.csv (the details page: SpeedOfLight, memory workload, occupancy, launch, warp-state and
#   scheduler sections, one row per metric), ncu.txt (the same as text), resources.txt
#   (cuobjdump --dump-resource-usage of the kernels).
#   device tool: run(command="bash tools/gpu/bench/profile.sh", timeout_s=600)
# --clock-control none: leave the clocks alone (the device README's METHOD.md).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-/tmp/profile_out}
mkdir -p "$OUT"
t0=$(date +%s)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
if [[ ! -f /tmp/bg/build.ninja ]]; then
  meson setup /tmp/bg -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 ||
    { tail -30 /tmp/setup.log; exit 1; }
fi
ninja -C /tmp/bg -j16 bench/kernels/bench_kernels 2>&1 | grep -E "error|FAILED" -A5 | head -60
[[ -x /tmp/bg/bench/kernels/bench_kernels ]] || { echo "build failed"; exit 1; }
echo "build $(( $(date +%s) - t0 ))s"
find /tmp/bg/kernels/cuda -name '*.o' -print0 | xargs -0 -n1 cuobjdump --dump-resource-usage \
  2>/dev/null | grep -E "Function|REG|STACK" >"$OUT/resources.txt"
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
sections=(--section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy
          --section LaunchStats --section WarpStateStats --section SchedulerStats
          --section InstructionStats)
# --kernel-name-base mangled + ::regex:qcfg:1 = the first launch of every instantiation of a
# qcfg kernel (the demangled base name would merge the templates, e.g. every elementwise op).
timeout ${NCU_TIMEOUT:-420} "$ncu" --clock-control none --kernel-name-base mangled \
  --kernel-id ::regex:qcfg:1 "${sections[@]}" \
  --csv --page details /tmp/bg/bench/kernels/bench_kernels --iters 1 \
  ${PROFILE_ARGS:---sizes 8192} >"$OUT/ncu.csv" 2>"$OUT/ncu.err"
echo "ncu rc=$? $(( $(date +%s) - t0 ))s"
python3 - "$OUT/ncu.csv" >"$OUT/ncu.txt" <<'PY'
import csv, subprocess, sys
keep = ("Duration", "DRAM Throughput", "Memory Throughput", "Compute (SM) Throughput",
        "Achieved Occupancy", "Registers Per Thread", "Issue Slots Busy", "No Eligible",
        "Warp Cycles Per Issued Instruction", "Block Size", "Grid Size", "Theoretical Occupancy",
        "Issued Warp Per Scheduler", "Eligible Warps Per Scheduler", "L1/TEX Hit Rate", "L2 Hit Rate",
        "Executed Instructions", "Elapsed Cycles", "Dynamic Shared Memory Per Block")
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
head, rows = rows[0], rows[1:]
ki, mi, ui, vi = (head.index(c) for c in ("Kernel Name", "Metric Name", "Metric Unit", "Metric Value"))
last = None
for r in rows:
    if r[ki] != last:
        last = r[ki]
        name = subprocess.run(["c++filt"], input=last, capture_output=True, text=True).stdout.strip()
        print("\n==", name[:200])
    if r[mi] in keep: print(f"  {r[mi]:<40} {r[vi]:>14} {r[ui]}")
PY
head -c 2000 "$OUT/ncu.err"
echo "total $(( $(date +%s) - t0 ))s"
