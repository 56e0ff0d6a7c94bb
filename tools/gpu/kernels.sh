#!/usr/bin/env bash
# GPU machine: build against the machine's PyTorch, run the GPU equality tests (QCFG_GPU_ELEMENTS
# per format, e.g. 100000000) and the kernel benchmark. Figures: docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
meson setup /tmp/bg -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 || { tail -30 /tmp/setup.log; exit 1; }
ninja -C /tmp/bg -j16 tests/kernels/gpu/gpu_kernels_test tests/kernels/torch/test_tensor_ops bench/kernels/bench_kernels 2>&1 | grep -E "error|FAILED" -A5 | head -60
echo "== gpu_kernels_test"; /tmp/bg/tests/kernels/gpu/gpu_kernels_test | tail -3
echo "== bench"; /tmp/bg/bench/kernels/bench_kernels
echo "== test_tensor_ops ${QCFG_GPU_ELEMENTS:-default}"; time timeout ${TEST_TIMEOUT:-400} /tmp/bg/tests/kernels/torch/test_tensor_ops 2>&1 | tail -40
