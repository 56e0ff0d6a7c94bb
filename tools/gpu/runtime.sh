#!/usr/bin/env bash
# GPU machine: build against the machine's PyTorch, run the runtime tests on CUDA (every output
# tensor against the CPU reference, bit for bit), then the runtime benchmark (NVFP4 weight-only
# export of a generated checkpoint, end-to-end GB/s next to the read bandwidth of the same files).
#   tools/gpu/runtime.sh [GB] [JOBS...]      default: 8 GB, jobs 8
# Figures: docs/runtime.md#benchmark.
set -uo pipefail
cd "$(dirname "$0")/../.."
gb=${1:-8}
shift || true
jobs=("$@")
((${#jobs[@]})) || jobs=(8)
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
if [[ ! -f /tmp/bg/build.ninja ]]; then
  meson setup /tmp/bg -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 || { tail -30 /tmp/setup.log; exit 1; }
fi
ninja -C /tmp/bg -j16 tools/qcfg/qcfg tools/qcfg/qcfg-runtime tests/runtime/test_runtime bench/runtime/bench_runtime 2>&1 |
  grep -E "error|FAILED" -A5 | head -60
echo "== test_runtime on cuda"
QCFG_TEST_DEVICE=cuda timeout 300 /tmp/bg/tests/runtime/test_runtime 2>&1 | tail -4
df -h /tmp | tail -1
for j in "${jobs[@]}"; do
  echo "== bench_runtime --gb $gb --device cuda --jobs $j"
  /tmp/bg/bench/runtime/bench_runtime --gb "$gb" --dir /tmp/benchrt --device cuda --jobs "$j"
done
