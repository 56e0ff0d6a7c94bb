#!/usr/bin/env bash
# GPU machine: the kernel benchmark with ModelOpt 0.47's column (issue 14). Builds against the
# machine's PyTorch (as tools/gpu/kernels.sh), runs the GPU equality tests first (a kernel that is
# not bit-exact has no figure worth keeping), then bench_kernels --extended --json, then
# bench/kernels/modelopt_column.py on the same cases; writes to $OUT:
#   bench.json (bench_kernels' figures), bench.txt (its table), table.md (qcfg | ModelOpt | copy),
#   tests.txt (gpu_kernels_test and test_tensor_ops tails).
#   device tool: run(command="bash tools/gpu/bench/run.sh", carry=[".whl"], timeout_s=600)
# ModelOpt comes from the wheels tools/gpu/modelopt/fetch_wheels.sh downloads (carried as .whl);
# its MX / FP8 CUDA extensions compile on first use (a few minutes, not timed).
# BENCH_ARGS (default --extended) go to bench_kernels; SKIP_TESTS=1 skips the equality tests;
# BENCH_ALSO="5 4" also runs bench_kernels --variant 5, then 4 (older launch layouts of the same
# build, kernels.h kernel_variant) into bench_vN.json / bench_vN.txt, right after the default run
# (BENCH_V3=1: the same for 3);
# BUILD_ONLY=1 stops after the build (a cold build plus everything may not fit one 600 s call:
# /tmp/bg persists while the machine stays warm, so a second call only runs).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-/tmp/bench_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
t0=$(date +%s)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
if [[ -d .whl ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  python3 -c 'import pydantic' 2>/dev/null || python3 -m pip install -q --no-index --no-deps \
    --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/fallback/*.whl
fi
if [[ ! -f /tmp/bg/build.ninja ]]; then
  meson setup /tmp/bg -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 ||
    { tail -30 /tmp/setup.log; exit 1; }
fi
ninja -C /tmp/bg -j16 tests/kernels/gpu/gpu_kernels_test tests/kernels/torch/test_tensor_ops \
  bench/kernels/bench_kernels 2>&1 | grep -E "error|FAILED" -A5 | head -60
[[ -x /tmp/bg/bench/kernels/bench_kernels ]] || { echo "build failed"; exit 1; }
echo "build $(( $(date +%s) - t0 ))s"
[[ ${BUILD_ONLY:-0} == 1 ]] && exit 0
status=0
if [[ ${SKIP_TESTS:-0} != 1 ]]; then
  {
    echo "== gpu_kernels_test"; /tmp/bg/tests/kernels/gpu/gpu_kernels_test | tail -3
    echo "== test_tensor_ops"; timeout ${TEST_TIMEOUT:-240} /tmp/bg/tests/kernels/torch/test_tensor_ops 2>&1 | tail -6
  } | tee "$OUT/tests.txt"
  grep -qE "Status: FAILURE|failed: [1-9]" "$OUT/tests.txt" && status=1
fi
echo "== bench_kernels ($(( $(date +%s) - t0 ))s)"
/tmp/bg/bench/kernels/bench_kernels ${BENCH_ARGS:---extended} --json "$OUT/bench.json" |
  tee "$OUT/bench.txt" || status=1
also=${BENCH_ALSO:-}
[[ ${BENCH_V3:-0} == 1 ]] && also="$also 3"
for v in $also; do
  echo "== bench_kernels --variant $v ($(( $(date +%s) - t0 ))s)"
  /tmp/bg/bench/kernels/bench_kernels ${BENCH_ARGS:---extended} --variant "$v" \
    --json "$OUT/bench_v$v.json" | tee "$OUT/bench_v$v.txt" || status=1
done
echo "== ModelOpt column ($(( $(date +%s) - t0 ))s)"
python3 bench/kernels/modelopt_column.py --json "$OUT/bench.json" --out "$OUT/table.md" || status=1
echo "total $(( $(date +%s) - t0 ))s status=$status"
exit $status
