"""PTQ of a live PyTorch model, shaped like ModelOpt's API (docs/python.md):

    import qcfg.torch as qtq
    model = qtq.quantize(model, "recipe.yaml", forward_loop)   # mtq.quantize
    qtq.export_hf_checkpoint(model, "out")                      # modelopt.torch.export
    qtq.fold_weight(model)                                      # mtq.fold_weight

The recipe is compiled against the live model's quantizers (named as ModelOpt names them), the
forward loop calibrates the activation quantizers with max as ModelOpt's `max_calibrate` does,
and export runs the C++ runtime on the model's checkpoint with those amax.
"""

import json
import os
import tempfile
import warnings

import torch

from qcfg._native import QcfgError, QcfgWarning, load_ops, run_qcfg
from qcfg.torch import calibration, distributed, export as _export, gptq
from qcfg.torch.config_file import write_config
from qcfg.torch.inventory import build_inventory
from qcfg.torch.model_state import ModelState, state_from_record
from qcfg.torch.siblings import share_weight_global_amax

__all__ = ["quantize", "fold_weight", "export_hf_checkpoint", "activation_amax", "weight_amax",
           "ops", "QcfgError", "QcfgWarning"]


def ops():
    """torch.ops.qcfg, the project's kernels (loaded on first use)."""
    return load_ops()


def _offloading_hooks(module):
    """accelerate's hooks on `module` that offload its weights (AlignDevicesHook with offload,
    also inside a SequentialHook), by their attributes: accelerate need not be installed."""
    hook = getattr(module, "_hf_hook", None)
    hooks = list(getattr(hook, "hooks", None) or ([hook] if hook is not None else []))
    return [h for h in hooks if getattr(h, "offload", False)]


def _check_placement(model):
    """Refuses models whose weights are not all materialized on one kind of real device."""
    device_map = getattr(model, "hf_device_map", None) or {}
    offloaded = sorted(k for k, v in device_map.items() if v in ("disk", "meta"))
    hooked = [name or "<model>" for name, m in model.named_modules() if _offloading_hooks(m)]
    if offloaded or hooked:
        where = (f"{', '.join(offloaded[:3])} on {device_map[offloaded[0]]}" if offloaded
                 else f"accelerate offloads {', '.join(hooked[:3])}")
        raise QcfgError(f"the model is offloaded ({where}): qcfg calibrates a model whose weights "
                        "are all in memory; load it without offloading (device_map=None or one "
                        "device)")
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.device.type == "meta":
            raise QcfgError(f"'{name}' is on the meta device: qcfg needs the model's weights "
                            "(load it with real weights, not under init_empty_weights)")


def _recipe_file(recipe, work):
    """(path, is_plan) for a recipe path, a ModelOpt config dict or a compiled plan dict."""
    if isinstance(recipe, (str, os.PathLike)):
        path = os.fspath(recipe)
        if not os.path.exists(path):
            raise QcfgError(f"{path}: no such recipe file")
        return path, False
    if isinstance(recipe, dict):
        if "plan_version" in recipe:
            path = os.path.join(work, "plan.json")
            with open(path, "w") as f:
                json.dump(recipe, f, indent=1)
            return path, True
        return write_config(recipe, os.path.join(work, "config.yaml")), False
    raise QcfgError(f"recipe_or_plan must be a path, a config dict or a plan dict, not "
                    f"{type(recipe).__name__}")


def _unmatched_entries(recipe_path, inventory_path, recipe_args, shown_as=None):
    """QC007 findings: entries that match no quantizer of the live model, as `qcfg lint` says."""
    done = run_qcfg(["lint", recipe_path, "--inventory", inventory_path, "--select", "QC007",
                     "--format", "json"] + recipe_args, quiet=True)
    found = json.loads(done.stdout).get("findings", [])
    return [f"{shown_as or f['file']}:{f['line']}:{f['column']}: warning: {f['message']} "
            f"[{f['rule']}]" for f in found]


def _compile(model, recipe, work, recipe_args):
    inventory = build_inventory(model)
    inventory_path = os.path.join(work, "inventory.json")
    with open(inventory_path, "w") as f:
        json.dump(inventory.to_json(f"live {type(model).__name__}"), f)
    path, is_plan = _recipe_file(recipe, work)
    if is_plan:
        plan = recipe
        unmatched = []
    else:
        plan_path = os.path.join(work, "plan.json")
        run_qcfg(["compile", path, "--inventory", inventory_path, "-o", plan_path] + recipe_args)
        with open(plan_path) as f:
            plan = json.load(f)
        shown_as = "<config dict as YAML>" if isinstance(recipe, dict) else None
        unmatched = _unmatched_entries(path, inventory_path, recipe_args, shown_as)
    return inventory, plan, (None if is_plan else path), unmatched


def _plan_records(plan):
    """name -> the quantizer's record in plan_version 1 form ({kind, enabled, attributes, ...});
    a version 2 plan's records refer to its `states` and `attribute_sets` tables
    (docs/plan-format.md), which are looked up here."""
    if plan.get("plan_version") != 2:
        return {r["name"]: r for r in plan.get("quantizers", [])}
    sets, states = plan.get("attribute_sets", []), plan.get("states", [])
    records = {}
    for q in plan.get("quantizers", []):
        record = dict(states[q["state"]])
        a = record["attributes"]
        record["attributes"] = [sets[i] for i in a] if isinstance(a, list) else sets[a]
        records[q["name"]] = record
    return records


def _states(inventory, plan):
    records = _plan_records(plan)
    missing = [s.name for s in inventory.sites if s.name not in records]
    if missing:
        raise QcfgError(f"the plan has no record for {len(missing)} quantizer(s) of this model "
                        f"(first: {missing[0]}): compile it for this model")
    return [state_from_record(s, records[s.name]) for s in inventory.sites]


def _calibrate_weights(model_state):
    """ModelOpt's weight_only_quantize: every enabled weight quantizer calibrated on its weight;
    NVFP4 static siblings then share their group's global amax (siblings.py)."""
    for q in model_state.by_role("weight", "expert_weight"):
        if q.needs_calibration:
            q.observe(_weight_of(q))
    share_weight_global_amax(model_state.quantizers)


def _algorithm(recipe_or_plan, recipe_path, recipe_args):
    """The recipe's calibration algorithm as `qcfg normalize` reads it (None for a plan)."""
    if recipe_path is None:
        return None
    if isinstance(recipe_or_plan, dict):
        quantize = recipe_or_plan.get("quantize", recipe_or_plan)
        return quantize.get("algorithm", "max") if isinstance(quantize, dict) else None
    done = run_qcfg(["normalize", recipe_path, "--format", "json"] + recipe_args, quiet=True)
    configs = json.loads(done.stdout).get("quantize_configs", {})
    config = configs.get("$", configs.get("quantize", {}))
    return config.get("algorithm", "max")


_weight_of = calibration.weight_of


def quantize(model, recipe_or_plan, forward_loop=None, *, recipe_root=None,
             allow_outside_root=False):
    """Compiles the recipe against `model`, calibrates with `forward_loop(model)` (max), keeps
    the amax on the model and attaches fake-quant hooks (activations, and each weight while its
    module runs, as ModelOpt's quantized modules do). Returns `model`.

    Raises QcfgError when the model is on the meta device or offloaded, and when an enabled
    activation quantizer that needs calibration saw no tensor in the forward loop (naming them;
    nothing is kept)."""
    if getattr(model, "_qcfg", None) is not None:
        raise QcfgError("the model is already quantized by qcfg")
    _check_placement(model)
    recipe_args = (["--recipe-root", os.fspath(recipe_root)] if recipe_root else []) + (
        ["--allow-outside-root"] if allow_outside_root else [])
    work = tempfile.TemporaryDirectory(prefix="qcfg-quantize-")
    try:
        state = _quantize(model, recipe_or_plan, forward_loop, recipe_args, work)
    finally:
        work.cleanup()
    model._qcfg = state
    return model


def _quantize(model, recipe_or_plan, forward_loop, recipe_args, work):
    inventory, plan, recipe_path, unmatched = _compile(model, recipe_or_plan, work.name,
                                                        recipe_args)
    for u in unmatched:
        warnings.warn(u, QcfgWarning, stacklevel=3)
    config = recipe_or_plan if isinstance(recipe_or_plan, dict) and recipe_path else None
    state = ModelState(plan=plan, quantizers=_states(inventory, plan),
                       recipe_path=None if config else recipe_path, recipe_config=config,
                       recipe_args=recipe_args, unmatched=unmatched)
    activations = [q for q in state.quantizers if q.site.role not in ("weight", "expert_weight")]
    state.gptq = gptq.config_of(_algorithm(recipe_or_plan, recipe_path, recipe_args))
    if state.gptq is not None:
        gptq.run(state, model, forward_loop, state.gptq)
    else:
        _calibrate_weights(state)
        if forward_loop is not None:
            calibration.calibrate(activations, model, forward_loop)
        distributed.reduce_amax(activations)  # under torch.distributed: MAX over the ranks
    for q in state.quantizers:
        q.finish()
    missing = [q.name for q in activations if q.needs_calibration and not q.calibrated]
    if missing:
        raise QcfgError(
            f"{len(missing)} enabled activation quantizer(s) saw no tensor in the forward loop, "
            f"so they have no amax: {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}"
            + ("" if forward_loop is not None else " (no forward_loop was given)")
            + "; run a forward loop that reaches them, or disable them in the recipe")
    # weight hooks first: fused experts' taps find their parameter by storage, so the swap to
    # Q(W) must happen before a tap opens in the same module's pre-hooks
    state.hooks = calibration.install_weight_hooks(state.quantizers, state)
    state.hooks += calibration.install_activation_hooks(activations, calibration.fake_quantize)
    return state


def _state_of(model):
    state = getattr(model, "_qcfg", None)
    if state is None:
        raise QcfgError("the model was not quantized by qcfg.torch.quantize")
    return state


def activation_amax(model):
    """{quantizer name: amax tensor} of the calibrated activation quantizers."""
    return dict(_state_of(model).activation_amax())


def weight_amax(model):
    """{quantizer name: amax tensor} of the calibrated weight quantizers (first stage)."""
    out = {}
    for q in _state_of(model).by_role("weight", "expert_weight"):
        for s in q.stages:
            if s.enabled and s.amax is not None:
                out[q.name] = s.amax
                break
    return out


@torch.no_grad()
def fold_weight(model):
    """Fake-quantizes every enabled weight in place (ModelOpt's fold_weight:
    cast(Q(float32(W)), dtype(W)); sequential quantizers are skipped as ModelOpt skips them)."""
    state = _state_of(model)
    if state.folded:
        return model
    for q in state.by_role("weight", "expert_weight"):
        if not q.enabled or q.sequential:
            continue
        w = _weight_of(q)
        w.copy_(q.fake_quant(w))
    state.folded = True
    return model


def export_hf_checkpoint(model, export_dir, *, checkpoint_dir=None, mode="export", device="auto",
                         extra_args=(), jobs=None, in_process=None):
    """Writes the quantized checkpoint into `export_dir` (which must not exist) with the C++
    runtime: `qcfg ptq RECIPE --act-amax` (or `qcfg apply PLAN`) on the model's checkpoint
    (`checkpoint_dir`, else the directory it was loaded from, else its live weights).

    The runtime runs in this process through the op library (in_process=None: when the op
    library is there; True: required; False: a `qcfg` subprocess). `jobs`: units in flight
    (default on a GPU in this process: export.IN_PROCESS_CUDA_JOBS; else the runtime's)."""
    state = _state_of(model)
    return _export.run_export(state, model, os.fspath(export_dir), checkpoint_dir, mode, device,
                              tuple(extra_args), jobs=jobs, in_process=in_process)
