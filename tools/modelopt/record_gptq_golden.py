#!/usr/bin/env python3
"""Records tests/python/gptq_golden.json: ModelOpt 0.47's GPTQ of the plain-module case
(tests/python/gptq_case.py), and under "layerwise" its layerwise GPTQ of two copies of it as the
decoder layers of a transformers PreTrainedModel, on the CPU, with ModelOpt's NVFP4 kernels
computed by qcfg's (gptq_compare.py says why), so CI (no GPU, no ModelOpt) can check qcfg.torch
against it.

  PYTHONPATH=python QCFG_TORCH_OPS=... QCFG_EXECUTABLE=... \\
      /work/venv-mo/bin/python tools/modelopt/record_gptq_golden.py [--check]

--check compares qcfg.torch (this interpreter's torch) with ModelOpt instead of writing.
"""
import argparse
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "tools" / "modelopt"))
GOLDEN = ROOT / "tests" / "python" / "gptq_golden.json"


def hf_like():
    """gptq_case.hf_like on a real transformers PreTrainedModel (ModelOpt's layerwise needs one)."""
    import transformers

    import gptq_case

    class Config(transformers.PretrainedConfig):
        model_type = "qcfg_gptq_case"

    class Base(transformers.PreTrainedModel):
        config_class = Config

    return gptq_case.hf_like(Base, Config())


def modelopt_result(layerwise=False):
    import modelopt.torch.quantization as mtq
    import torch

    import gptq_case
    from gptq_compare import qcfg_kernels_in_modelopt

    model = hf_like() if layerwise else gptq_case.model()
    config = gptq_case.modelopt_config()
    if layerwise:
        config["algorithm"]["layerwise"] = {"enable": True}
    with qcfg_kernels_in_modelopt():
        mtq.quantize(model, config, gptq_case.forward_loop)
        amax = {}
        for name, m in model.named_modules():
            for attr in ("_amax", "_global_amax"):
                t = getattr(m, attr, None)
                if t is not None and getattr(m, "is_enabled", False):
                    amax[f"{name}.{attr[1:]}"] = gptq_case.digest(t.float().reshape(-1))
        weights = {k: gptq_case.digest(p) for k, p in model.named_parameters()}
        folded = copy.deepcopy(model)
        mtq.fold_weight(folded)
    return {"torch": torch.__version__, "weights": weights, "amax": amax,
            "folded": {k: gptq_case.digest(p) for k, p in folded.named_parameters()}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    result = modelopt_result()
    result["layerwise"] = modelopt_result(layerwise=True)
    del result["layerwise"]["torch"]
    if args.check:
        import test_gptq

        ours = test_gptq.qcfg_result()
        same = {p: ours[p] == result[p] for p in ("weights", "amax", "folded")}
        print(json.dumps(same))
        return 0 if all(same.values()) else 1
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
