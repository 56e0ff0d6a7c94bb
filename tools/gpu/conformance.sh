#!/usr/bin/env bash
# GPU machine: build against the machine's PyTorch and check the CUDA path for exactness:
# the kernels against the CPU reference (gpu_kernels_test, test_tensor_ops on QCFG_GPU_ELEMENTS
# per format), the runtime tests on CUDA, and `qcfg ptq --device cuda` against the real-ModelOpt
# goldens of tests/modelopt (the same comparison CI runs on the CPU). Writes logs into $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/conformance-out}
mkdir -p "$out"
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
meson setup /tmp/bg -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 || { tail -30 /tmp/setup.log; exit 1; }
ninja -C /tmp/bg -j16 tools/qcfg/qcfg tools/qcfg/qcfg-runtime tests/kernels/gpu/gpu_kernels_test \
  tests/kernels/torch/test_tensor_ops tests/runtime/test_runtime tests/runtime/libqcfg_io_fault.so 2>&1 | grep -E "error|FAILED" -A5 | head -60
echo "== gpu_kernels_test"; /tmp/bg/tests/kernels/gpu/gpu_kernels_test 2>&1 | tail -3
echo "== test_tensor_ops ${QCFG_GPU_ELEMENTS:-default}"
timeout 200 /tmp/bg/tests/kernels/torch/test_tensor_ops 2>&1 | tail -4
echo "== test_runtime on cuda"
QCFG_TEST_DEVICE=cuda timeout 300 /tmp/bg/tests/runtime/test_runtime 2>&1 | tail -4
echo "== goldens, qcfg ptq --device cuda"
python3 tests/modelopt/check_goldens.py --qcfg /tmp/bg/tools/qcfg/qcfg --device cuda --jobs 8 --report "$out/goldens_cuda.json" > "$out/goldens_cuda.log" 2>&1
tail -3 "$out/goldens_cuda.log"
