# Sourced by the GPU-machine scripts of the Python package (run.sh, bench.sh): installs ModelOpt
# 0.47 and its missing dependencies from the carried .whl into /tmp/site, builds the op library and
# the runtime against the machine's PyTorch in /tmp/bp, and exports PYTHONPATH, QCFG_TORCH_OPS and
# QCFG_EXECUTABLE. Sets t0 (start time, seconds) and OUT (default /tmp/python_out, created).
# GPU_BUILD (default /tmp/bp), GPU_TESTS (default disabled) and GPU_TARGETS (more ninja targets)
# let tools/gpu/session_check.sh build the kernel tests and benchmarks in the same directory.
OUT=${OUT:-/tmp/python_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
t0=$(date +%s)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
if [[ -d .whl ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
  python3 -c 'import pydantic' 2>/dev/null || python3 -m pip install -q --no-index --no-deps \
    --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/fallback/*.whl
fi
GPU_BUILD=${GPU_BUILD:-/tmp/bp}
if [[ ! -f $GPU_BUILD/build.ninja ]]; then
  meson setup "$GPU_BUILD" -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=${GPU_TESTS:-disabled} \
    -Dpython=enabled >/tmp/bp-setup.log 2>&1 || { tail -30 /tmp/bp-setup.log; exit 1; }
fi
ninja -C "$GPU_BUILD" -j16 -k 0 tools/qcfg/qcfg tools/qcfg/qcfg-runtime python/libqcfg_torch_ops.so \
  ${GPU_TARGETS:-} 2>&1 | grep -E "error|FAILED" -A5 | head -60
echo "build $(( $(date +%s) - t0 ))s"
export PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
export QCFG_TORCH_OPS=$GPU_BUILD/python/libqcfg_torch_ops.so QCFG_EXECUTABLE=$GPU_BUILD/tools/qcfg/qcfg
