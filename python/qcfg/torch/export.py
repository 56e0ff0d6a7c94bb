"""Export through the C++ runtime: the activation amax go to the file `qcfg ptq --act-amax`
reads (docs/runtime.md, ModelOpt's quantizer names), and `qcfg ptq` (a recipe) or `qcfg apply`
(a plan) quantizes the model's checkpoint on disk into the unified HF checkpoint. After GPTQ
the checkpoint given to it holds the changed linear weights, and --weight-amax their amax from
before GPTQ (what ModelOpt exports them with).

The runtime runs in this process (torch.ops.qcfg.run_command, _native.run_runtime): on the
GPU it shares the process's CUDA context and caching allocator, streams the checkpoint a few
tensors at a time (IN_PROCESS_CUDA_JOBS in flight unless jobs= says otherwise), and the
allocator's cached blocks are released before and after, so that the export adds no second
context and no second pool to the process's peak. Without the op library: a subprocess."""

import json
import os
import tempfile

import torch

from qcfg._native import QcfgError, run_runtime, runtime_op
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


def gptq_weights(state):
    """{checkpoint tensor name: (weight, quantizer)} of the linears GPTQ changed."""
    from qcfg.torch.gptq import is_gptq_linear

    return {q.site.module_name + ".weight": (q.site.module.weight, q)
            for q in state.quantizers if is_gptq_linear(q)}


def write_weight_amax_file(changed, path):
    """--weight-amax: each changed weight's first calibrated stage (the amax from before GPTQ)."""
    out = {}
    for _, q in changed.values():
        s = next(s for s in q.stages if s.enabled and s.amax is not None)
        entry = {"amax": [float(v) for v in s.amax.float().reshape(-1).tolist()]}
        if s.nvfp4_static:
            entry["global_amax"] = (s.global_amax if s.global_amax is not None
                                    else float(s.amax.max()))
        out[q.name] = entry
    with open(path, "w") as f:
        json.dump(out, f)


def write_changed_checkpoint(source, changed, directory):
    """`source` with the tensors in `changed` replaced: shards holding one are rewritten, the
    other files linked."""
    found = set()
    for name in sorted(os.listdir(source)):
        src, dst = os.path.join(source, name), os.path.join(directory, name)
        if not name.endswith(".safetensors"):
            if os.path.isfile(src):
                os.symlink(os.path.abspath(src), dst)
            continue
        tensors = safetensors_io.load_file(src)
        hits = [k for k in tensors if k in changed]
        if not hits:
            os.symlink(os.path.abspath(src), dst)
            continue
        for k in hits:
            w = changed[k][0].detach().cpu()
            if w.dtype != tensors[k].dtype or tuple(w.shape) != tuple(tensors[k].shape):
                raise QcfgError(f"{src}: '{k}' is {tensors[k].dtype} {tuple(tensors[k].shape)} "
                                f"but the model's is {w.dtype} {tuple(w.shape)}; export from the "
                                "checkpoint the model was loaded from")
            tensors[k] = w
        found.update(hits)
        safetensors_io.save_file(tensors, dst)
    missing = sorted(set(changed) - found)
    if missing:
        raise QcfgError(f"{source}: no tensor '{missing[0]}' for a weight GPTQ changed "
                        f"({len(missing)} missing); export from the checkpoint the model was "
                        "loaded from")


# Units in flight on a GPU when the runtime runs in this process: each worker has its own CUDA
# stream, whose freed blocks the caching allocator keeps for that stream, so the export's peak
# grows with the workers (about one unit's fp32 weights and packed outputs each).
IN_PROCESS_CUDA_JOBS = 2


def _uses_cuda(device):
    return device != "cpu" and torch.cuda.is_available()


def _jobs_args(jobs, in_process, device, extra_args):
    if "--jobs" in extra_args or any(str(a).startswith("--jobs=") for a in extra_args):
        if jobs is not None:
            raise QcfgError("export_hf_checkpoint: give jobs= or --jobs in extra_args, not both")
        return []
    if jobs is None and in_process and _uses_cuda(device):
        jobs = IN_PROCESS_CUDA_JOBS
    return [] if jobs is None else ["--jobs", int(jobs)]


def runs_in_process(in_process):
    """Whether the export runs in this process (in_process: None, True or False)."""
    if in_process is False:
        return False
    if runtime_op() is not None:
        return True
    if in_process:
        raise QcfgError("export_hf_checkpoint(in_process=True): the qcfg op library is missing "
                        "or predates torch.ops.qcfg.run_command (docs/python.md)")
    return False


def run_runtime_export(args, device, inside):
    """The runtime command (in this process when `inside`), the CUDA cache emptied around it."""
    release = inside and _uses_cuda(device) and torch.cuda.is_initialized()
    if release:
        torch.cuda.empty_cache()
    try:
        return run_runtime(args, in_process=inside)
    finally:
        if release:
            torch.cuda.empty_cache()


def run_export(state, model, export_dir, checkpoint_dir, mode, device, extra_args, jobs=None,
               in_process=None):
    inside = runs_in_process(in_process)
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
        weight_args = []
        if state.gptq is not None:
            if state.folded:
                raise QcfgError("export_hf_checkpoint: export a GPTQ model before fold_weight")
            changed = gptq_weights(state)
            gptq_source = os.path.join(tmp, "gptq_checkpoint")
            os.mkdir(gptq_source)
            write_changed_checkpoint(source, changed, gptq_source)
            source = gptq_source
            weight_amax = os.path.join(tmp, "weight_amax.json")
            write_weight_amax_file(changed, weight_amax)
            weight_args = ["--weight-amax", weight_amax]
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
                 "--act-amax", amax_path, "--quiet"] + weight_args + list(extra_args)
        args += _jobs_args(jobs, inside, device, extra_args)
        run_runtime_export(args, device, inside)
    return export_dir
