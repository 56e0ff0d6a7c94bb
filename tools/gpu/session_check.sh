#!/usr/bin/env bash
# GPU machine: a session's kernel and Python figures in one call, for when device time is short.
# One build (GPU_BUILD=/tmp/bg: kernels for sm_90, the kernel tests and benchmark, the op library
# and both executables), then each step under its own time limit, its log in $OUT:
#   kernels      gpu_kernels_test (every layout generation) -> kernels_test.txt; the GPU cases of
#                test_tensor_ops (the LibTorch binding, fold_amax) -> tensor_ops_test.txt;
#                bench_kernels (BENCH_ARGS, default bf16 8192 and 16384) -> bench.txt (bench.json with BENCH_JSON=1);
#                BENCH_V3=1 also times the v3 layouts in the same run -> bench_v3.txt
#                BENCH_V4=1 also times the v4 choices (main before v5) -> bench_v4.txt
#   hooks        bench/python/calib_overhead.py --model llama and stack on the GPU, and llama at 8
#                tokens per batch (dispatch-bound), with op counts -> hooks.txt
#   hooks_hf     calib_overhead.py --model hf (transformers' LlamaForCausalLM, the ptq bench's
#                shape) with FP8 and NVFP4 W4A4, op counts and the GPU kernel time by name
#                (--profile), and FP8 at 8 tokens a batch (the host's cost alone) -> hooks_hf.txt
#   ptq          bench/python/ptq_vs_modelopt.py (PTQ_ARGS) against ModelOpt -> ptq.json, ptq.txt
#   conformance  tools/gpu/python/compare_modelopt.py --no-live (recorded ModelOpt goldens)
#                -> python_vs_modelopt.json, conformance.txt
#   device tool: run(command="bash tools/gpu/session_check.sh", carry=[".whl"], timeout_s=...)
# STEPS picks steps (default: all four, in that order); STEP_S caps each step (seconds, default
# 120); a step past its limit is stopped and the next one runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
export GPU_BUILD=/tmp/bg GPU_TESTS=enabled
export GPU_TARGETS="tests/kernels/gpu/gpu_kernels_test tests/kernels/torch/test_tensor_ops
  bench/kernels/bench_kernels"
source tools/gpu/python/setup.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
echo "commit ${COMMIT:-unknown}" | tee -a "$OUT/gpu.txt"
limit=${STEP_S:-120}
step() {  # name, log file, command...
  local name=$1 log=$2 start=$(date +%s)
  shift 2
  timeout "$limit" "$@" >"$OUT/$log" 2>&1
  local rc=$?
  echo "== $name rc=$rc $(( $(date +%s) - start ))s (at $(( $(date +%s) - t0 ))s)"
  grep -v Warning "$OUT/$log" | tail -${TAIL_LINES:-25}
  return $rc
}
rc=0
for s in ${STEPS:-kernels hooks ptq conformance}; do
  case $s in
    kernels)
      step gpu_kernels_test kernels_test.txt "$GPU_BUILD/tests/kernels/gpu/gpu_kernels_test" || rc=1
      step test_tensor_ops tensor_ops_test.txt "$GPU_BUILD/tests/kernels/torch/test_tensor_ops" \
        '--test-case=GPU*' || rc=1
      # bench.json (for bench/kernels/modelopt_column.py) only with BENCH_JSON=1: the device
      # tool brings back 8 files at most.
      step bench_kernels bench.txt "$GPU_BUILD/bench/kernels/bench_kernels" \
        ${BENCH_ARGS:---sizes 8192,16384} ${BENCH_JSON:+--json "$OUT/bench.json"} || rc=1
      if [[ ${BENCH_V4:-0} == 1 ]]; then
        step bench_kernels_v4 bench_v4.txt "$GPU_BUILD/bench/kernels/bench_kernels" --variant 4 \
          ${BENCH_ARGS:---sizes 8192,16384} || rc=1
      fi
      if [[ ${BENCH_V3:-0} == 1 ]]; then
        step bench_kernels_v3 bench_v3.txt "$GPU_BUILD/bench/kernels/bench_kernels" --variant 3 \
          ${BENCH_ARGS:---sizes 8192,16384} || rc=1
      fi ;;
    hooks)
      step hooks hooks.txt bash -c 'for m in llama stack; do python3 bench/python/calib_overhead.py \
        --device cuda --model $m --layers 28 --dim 2048 --tokens 2048 --seq-len 512 --batches 8 \
        --repeat 3 --count-ops --breakdown; done; python3 bench/python/calib_overhead.py --device cuda \
        --model llama --layers 28 --dim 2048 --tokens 8 --seq-len 8 --batches 8 --repeat 3 \
        --count-ops' || rc=1 ;;
    hooks_hf)
      step hooks_hf hooks_hf.txt bash -c 'for r in fp8 nvfp4_w4a4; do python3 \
        bench/python/calib_overhead.py --device cuda --model hf --recipe recipes/ptq/$r.yaml \
        --layers 28 --dim 2048 --tokens 2048 --seq-len 512 --batches 8 --repeat 5 --count-ops \
        --profile; done; python3 bench/python/calib_overhead.py --device cuda --model hf \
        --layers 28 --dim 2048 --tokens 8 --seq-len 8 --batches 8 --repeat 5' || rc=1 ;;
    ptq)
      step ptq ptq.txt python3 bench/python/ptq_vs_modelopt.py --out "$OUT/ptq.json" \
        ${PTQ_ARGS:---qcfg-jobs 2} || rc=1 ;;
    conformance)
      step conformance conformance.txt python3 tools/gpu/python/compare_modelopt.py --no-live \
        --budget-s $(( limit - 20 )) --out "$OUT/python_vs_modelopt.json" || rc=1 ;;
  esac
done
echo "total $(( $(date +%s) - t0 ))s rc=$rc"
exit $rc
