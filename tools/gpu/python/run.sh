#!/usr/bin/env bash
# GPU machine: qcfg.torch (the Python package) against ModelOpt 0.47 on the golden checkpoints
# (tests/modelopt/checkpoints) — calibrated activation / KV amax and the exported checkpoint.
# Builds the op library and the runtime against the machine's PyTorch, installs ModelOpt from
# the wheels tools/gpu/modelopt/fetch_wheels.sh downloads (carried as .whl), runs
# compare_modelopt.py. Writes $OUT/python_vs_modelopt.json and prints one line per run.
#   device tool: run(command="bash tools/gpu/python/run.sh", carry=[".whl"], timeout_s=570)
#   ARGS="--archs llama --recipes fp8_default-kv_fp8" limits it; --no-live skips running ModelOpt
#   in the same process (then only the recorded goldens are compared); --budget-s N (default 420)
#   starts no new run after N seconds. 92 runs qualify, plus the 16 GPTQ goldens (8 runs):
#   ARGS="--no-live --recipes nvfp4_default-kv_none-gptq"; first run: ARGS="--no-live".
#   GPTQ_LIVE=1 adds tools/modelopt/gptq_compare.py --device cuda (GPTQ_ARGS="--archs llama").
set -uo pipefail
cd "$(dirname "$0")/../../.."
source tools/gpu/python/setup.sh
python3 tools/gpu/python/compare_modelopt.py --out "$OUT/python_vs_modelopt.json" ${ARGS:-}
rc=$?
# GPTQ_LIVE=1: also qcfg.torch's GPTQ against a live ModelOpt GPTQ on this GPU, tensor by tensor
# (tools/modelopt/gptq_compare.py; $OUT/gptq_vs_modelopt.json).
if [[ -n "${GPTQ_LIVE:-}" ]]; then
  python3 tools/modelopt/gptq_compare.py --device cuda --out "$OUT/gptq_vs_modelopt.json" \
    ${GPTQ_ARGS:-} || rc=1
fi
echo "total $(( $(date +%s) - t0 ))s rc=$rc"
exit $rc
