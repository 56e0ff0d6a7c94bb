#!/usr/bin/env bash
# On the GPU machine (repo root as working directory): builds and runs the div.full.f32 probe
# against qcfg's host emulation; writes the recorded table, the test vectors and the SASS of the
# division into OUT_DIR (default $OUT). See probe.cu.
set -euo pipefail
out=${1:-$OUT}
nvcc -arch=sm_90 -O2 -std=c++20 -I. \
  -DQCFG_MUFU_RCP_TABLE="\"$PWD/kernels/cpu/data/mufu_rcp_delta.bin\"" \
  -o /tmp/divfull_probe tools/gpu/divfull/probe.cu kernels/cpu/div_full.cpp
cuobjdump -sass -fun '_Z6dividePKfS0_Pfi' /tmp/divfull_probe | grep -E 'FSETP|FMUL|MUFU' \
  > "$out/div_full_sass.txt" || true
/tmp/divfull_probe "$out"
