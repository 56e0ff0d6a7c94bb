#!/usr/bin/env bash
# GPU machine entry point of the ModelOpt 0.47 harness (README.md). Needs .whl from
# fetch_wheels.sh, carried: run(command="bash tools/gpu/modelopt/run.sh", carry=[".whl"]).
# Writes $OUT/modelopt_goldens.tar.gz (everything) and $OUT/log.txt.
set -o pipefail
OUT=${OUT:-/tmp/modelopt_out}
BUDGET_S=${BUDGET_S:-400}
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
export MAX_JOBS=${MAX_JOBS:-16} TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
if ! python3 -c 'import pydantic' 2>/dev/null; then
  echo "pydantic needs a newer typing_extensions: installing .whl/fallback"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/fallback/*.whl || exit 1
fi
python3 - <<'PY' || exit 1
import torch, transformers, modelopt, modelopt.torch.quantization as mtq, modelopt.recipe
print("import check:", torch.__version__, transformers.__version__, modelopt.__version__,
      torch.cuda.get_device_name(0), flush=True)
PY
echo "setup $(( $(date +%s) - t0 ))s"
# Build ModelOpt's three JIT CUDA extensions in the background while checkpoints are made
# (the main run then loads them from the shared torch_extensions cache).
ext_pids=()
for ext in get_cuda_ext get_cuda_ext_fp8 get_cuda_ext_mx; do
  python3 -c "from modelopt.torch.quantization.extensions import $ext as f; print('$ext', f() is not None)" \
    > "/tmp/ext_$ext.log" 2>&1 &
  ext_pids+=($!)
done
w=/tmp/mo_work; rm -rf "$w"; mkdir -p "$w"
pack() { cp /tmp/ext_*.log "$w/" 2>/dev/null; tar -C "$w" -czf "$OUT/modelopt_goldens.tar.gz" .; }
trap 'echo "terminated: packing what exists"; pack; exit 124' TERM
python3 tools/gpu/modelopt/run_modelopt.py --out "$w" --budget-s "$BUDGET_S" ${HARNESS_ARGS:-}
rc=$?
# wait on the extension builds by pid: a bare `wait` also waits for the tee above, which never
# ends while this shell holds its pipe (the first device run hung there until its time limit)
wait "${ext_pids[@]}"
tail -n 3 /tmp/ext_*.log
pack
ls -l "$OUT"
echo "total $(( $(date +%s) - t0 ))s rc=$rc"
exit $rc
