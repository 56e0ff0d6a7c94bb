// qcfg CPU numerics reference: the public header. Plain C++ on contiguous buffers, no LibTorch.
// Spec: shared/spec/numerics.md (ModelOpt quant_cfg numerics). Everything lives in
// qcfg::numerics.
//
//   storage.h     Half / BFloat16 storage types, exact fp32 <-> fp16/bf16 (RNE)
//   minifloat.h   E4M3 / E5M2 / E2M1 / FP6 / MX table formats: round, encode, decode
//   scalar_ops.h  per-element formulas shared with the CUDA kernels (bit-exact by construction)
//   shape.h       shapes, granularities (per tensor / axis / block), amax layouts
//   fake_quant.h  INT, FP8, NVFP4 (dynamic, static, four_over_six), MX fake quant
//   hadamard.h    normalized Hadamard transform
//   calibrate.h   max calibration (one-shot and joint across tensors)
//   pack.h        real quant: NVFP4, INT4, MXFP4, MXFP8, FP8, INT8 packing in export layouts
//   quant_spec.h  QuantSpec dispatch on any storage type; rotate / rotate_back composites
#pragma once

#include "kernels/cpu/calibrate.h"
#include "kernels/cpu/fake_quant.h"
#include "kernels/cpu/hadamard.h"
#include "kernels/cpu/minifloat.h"
#include "kernels/cpu/pack.h"
#include "kernels/cpu/quant_spec.h"
#include "kernels/cpu/scalar_ops.h"
#include "kernels/cpu/shape.h"
#include "kernels/cpu/storage.h"
