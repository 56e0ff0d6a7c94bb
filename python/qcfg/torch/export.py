"""Export through the C++ runtime: the activation amax go to the file `qcfg ptq --act-amax`
reads (docs/runtime.md, ModelOpt's quantizer names), and `qcfg ptq` (a recipe) or `qcfg apply`
(a plan) quantizes the model's checkpoint on disk into the unified HF checkpoint."""

import json
import os
import tempfile

from qcfg._native import QcfgError, run_qcfg
from qcfg.torch import safetensors_io
from qcfg.torch.config_file import write_config


def write_amax_file(amax, path):
    """{quantizer: amax} as `--act-amax` reads it; per-tensor values only."""
    out = {}
    for name, a in amax.items():
        if a.numel() != 1:
            raise QcfgError(f"{name}: amax has {a.numel()} entries; `qcfg ptq --act-amax` takes "
                            "one per-tensor amax per activation quantizer")
        out[name] = float(a.reshape(()).item())
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return out


def checkpoint_dir_of(model):
    """The directory the model was loaded from (transformers' name_or_path), or None."""
    config = getattr(model, "config", None)
    path = getattr(model, "name_or_path", None) or getattr(config, "_name_or_path", None)
    if path and os.path.isdir(path) and any(
            f.endswith(".safetensors") or f.endswith(".safetensors.index.json")
            for f in os.listdir(path)):
        return path
    return None


def write_live_checkpoint(model, directory):
    """The model's state_dict as one safetensors file (+ config.json when it has a config)."""
    tensors = {k: v for k, v in model.state_dict().items() if v.is_floating_point()}
    safetensors_io.save_file(tensors, os.path.join(directory, "model.safetensors"))
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "to_json_string"):
        with open(os.path.join(directory, "config.json"), "w") as f:
            f.write(config.to_json_string())


def run_export(state, model, export_dir, checkpoint_dir, mode, device, extra_args):
    with tempfile.TemporaryDirectory(prefix="qcfg-export-") as tmp:
        amax_path = os.path.join(tmp, "act_amax.json")
        write_amax_file(state.activation_amax(), amax_path)
        source = checkpoint_dir or checkpoint_dir_of(model)
        if source is None:
            if state.folded:
                raise QcfgError("export_hf_checkpoint: the weights were folded (fold_weight) and "
                                "the model has no checkpoint on disk to export from; export "
                                "before fold_weight or pass checkpoint_dir=")
            source = os.path.join(tmp, "checkpoint")
            os.mkdir(source)
            write_live_checkpoint(model, source)
        if state.recipe_config is not None:
            recipe = write_config(state.recipe_config, os.path.join(tmp, "recipe.yaml"))
            args = ["ptq", recipe] + list(state.recipe_args)
        elif state.recipe_path is not None:
            args = ["ptq", state.recipe_path] + list(state.recipe_args)
        else:
            plan_path = os.path.join(tmp, "plan.json")
            with open(plan_path, "w") as f:
                json.dump(state.plan, f)
            args = ["apply", plan_path]
        args += ["--model", source, "--out", export_dir, "--mode", mode, "--device", device,
                 "--act-amax", amax_path, "--quiet"] + list(extra_args)
        run_qcfg(args)
    return export_dir
