#!/usr/bin/env python3
"""Records tests/python/example/golden.json: ModelOpt 0.47's PTQ of the example test's case
(tests/python/example_case.py) on the CPU, the script examples/ptq_llama.py ports, with the lines
it marks as ModelOpt's: mtq.quantize(model, cfg, forward_loop), then
modelopt.torch.export.export_hf_checkpoint(model, export_dir=out). The model is models.TinyModel
with the checkpoint's weights as a transformers PreTrainedModel (ModelOpt's export needs one;
the module names and so the tensor names are the same), cfg the recipe file as yaml.safe_load
reads it, and the batches those the example feeds with the stand-in tokenizer.

  PYTHONPATH=python /work/venv-mo/bin/python tools/modelopt/record_example_golden.py [--check]

--check compares with the recorded golden instead of writing it (exit 1 when it differs).
(2026-12-03 the venv lacked `requests`, which ModelOpt imports; Debian's requests, urllib3,
six, idna, chardet, charset_normalizer and certifi linked into a directory put on PYTHONPATH
after `python` did.)
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "python"))
import example_case  # noqa: E402
import models  # noqa: E402


def hf_tiny(checkpoint):
    """models.TinyModel as a PreTrainedModel, with the checkpoint's weights."""
    import transformers

    from qcfg.torch import safetensors_io

    class Config(transformers.PretrainedConfig):
        model_type = "qcfg_tiny"

    class TinyForCausalLM(transformers.PreTrainedModel):
        config_class = Config

        def __init__(self, config):
            super().__init__(config)
            inner = models.TinyModel()
            self.embed_tokens, self.layers, self.lm_head = (inner.embed_tokens, inner.layers,
                                                            inner.lm_head)

        def forward(self, input_ids, attention_mask=None, **kwargs):
            return models.TinyModel.forward(self, input_ids)

    config = Config(**{k: v for k, v in example_case.CONFIG.items() if k != "model_type"})
    model = TinyForCausalLM(config)
    model.load_state_dict(safetensors_io.load_file(os.path.join(checkpoint, "model.safetensors")))
    return model.eval()


def act_amax(model):
    """{input quantizer name: amax as float.hex()} of ModelOpt's enabled, calibrated ones."""
    out = {}
    for name, m in model.named_modules():
        amax = getattr(m, "_amax", None)
        if name.endswith("input_quantizer") and amax is not None and m.is_enabled:
            out[name] = float(amax.float().reshape(())).hex()
    return out


def modelopt_export(checkpoint, recipe, out):
    import modelopt.torch.quantization as mtq
    import torch
    import yaml
    from modelopt.torch.export import export_hf_checkpoint

    # the attention CI's torch 1.13 computes (it has no F.scaled_dot_product_attention), so
    # that ModelOpt calibrates on the activations the example sees there
    models.scaled_dot_product_attention = models._eager_sdpa

    with open(example_case.RECIPES[recipe]) as f:
        cfg = yaml.safe_load(f)
    model = hf_tiny(checkpoint)
    batches = example_case.calibration_batches()

    def forward_loop(m):
        with torch.no_grad():
            for b in batches:
                m(**b)

    mtq.quantize(model, cfg, forward_loop)
    amax = act_amax(model)
    export_hf_checkpoint(model, export_dir=out)
    return dict(example_case.digest(out), act_amax=amax)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    import modelopt
    import torch

    result = {"modelopt": modelopt.__version__, "torch": torch.__version__, "runs": {}}
    with tempfile.TemporaryDirectory() as d:
        checkpoint = example_case.write_checkpoint(os.path.join(d, "model"))
        for recipe in example_case.RECIPES:
            result["runs"][recipe] = modelopt_export(checkpoint, recipe, os.path.join(d, recipe))
    if args.check:
        with open(example_case.GOLDEN) as f:
            golden = json.load(f)
        same = {r: golden["runs"].get(r) == result["runs"][r] for r in result["runs"]}
        print(json.dumps(same))
        return 0 if all(same.values()) else 1
    with open(example_case.GOLDEN, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {example_case.GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
