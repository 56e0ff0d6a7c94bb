"""ModelOpt's own quant_cfg application, timed, for bench_compile's in-run baseline.

Builds a stand-in module tree with one ModelOpt TensorQuantizer at every quantizer name of a qcfg
inventory (JSON, as `qcfg inventory` writes it), loads the recipe with ModelOpt's recipe loader and
times only `set_quantizer_by_cfg(model, quant_cfg)`: the per-entry `named_modules` walk with its
fnmatch, parent-class and attribute-setting work, as `mtq.quantize` runs it. No GPU, no weights.

Lazy first-call work (imports, validators) is done on a 64-quantizer tree first, untimed.
The tree holds only the quantizers and their ancestors (a real model also has norms, activations,
embeddings' siblings...), so ModelOpt walks fewer modules here than on the model: the figure is a
lower bound of its time. A quantizer's immediate parent is an instance of the class ModelOpt
registers for the inventory's `parent_class` key (so `parent_class` filters match as on the real
model); other ancestors are plain nn.Module.

Usage: python modelopt_loop.py INVENTORY.json RECIPE.yaml
Prints one line: MODELOPT_LOOP wall_ms=W cpu_ms=C quantizers=N enabled=E modules=M build_s=B
(E: TensorQuantizers enabled after the application; bench_compile compares it with qcfg's plan).
"""

from __future__ import annotations

import copy
import json
import sys
import time
import warnings


def _clone_factory(template):
    """TensorQuantizer() costs milliseconds (its attribute config is validated); a copy of a
    fresh one is the same object state (own dicts, own calibrator) at a fraction of that."""
    cls = type(template)
    state = template.__dict__

    def clone():
        q = cls.__new__(cls)
        d = q.__dict__
        for k, v in state.items():
            if isinstance(v, (dict, set)) or k == "_calibrator":
                d[k] = copy.copy(v)
            else:
                d[k] = v
        return q

    return clone


def _parent_factory(registry, nn):
    """An empty instance of the class ModelOpt registers for a parent_class key (plain nn.Module
    when the key is not registered); nn.Module.__init__ only, no weights."""
    classes = {}

    def make(key):
        if key not in classes:
            cls = nn.Module
            if key:
                try:
                    cls = registry[key]
                except KeyError:
                    cls = nn.Module
            classes[key] = cls
        cls = classes[key]
        m = cls.__new__(cls)
        nn.Module.__init__(m)
        return m

    return make


def build_model(quantizers, nn, registry, TensorQuantizer):
    make_parent = _parent_factory(registry, nn)
    clone = _clone_factory(TensorQuantizer())
    root = nn.Module()
    modules = {"": root}
    for q in quantizers:
        name = q["name"]
        parent_name, _, leaf = name.rpartition(".")
        parent = modules.get(parent_name)
        if parent is None:
            # Ancestors first (plain modules), then the immediate parent of its registered class.
            parts = parent_name.split(".")
            for i in range(1, len(parts)):
                prefix = ".".join(parts[:i])
                if prefix not in modules:
                    up = modules[".".join(parts[: i - 1])]
                    modules[prefix] = nn.Module()
                    up._modules[parts[i - 1]] = modules[prefix]
            parent = make_parent(q.get("parent_class"))
            up = modules[".".join(parts[:-1])]
            up._modules[parts[-1]] = parent
            modules[parent_name] = parent
        parent._modules[leaf] = clone()
    return root, len(modules)


def main() -> int:
    inventory_path, recipe_path = sys.argv[1], sys.argv[2]
    warnings.filterwarnings("ignore")
    t_build = time.perf_counter()
    import torch.nn as nn
    from modelopt.recipe import load_recipe
    from modelopt.torch.quantization.conversion import set_quantizer_by_cfg
    from modelopt.torch.quantization.nn import QuantModuleRegistry, TensorQuantizer

    with open(inventory_path, encoding="utf-8") as f:
        inv = json.load(f)
    quantizers = inv["quantizers"] if isinstance(inv, dict) else inv
    model, n_modules = build_model(quantizers, nn, QuantModuleRegistry, TensorQuantizer)
    quant_cfg = load_recipe(recipe_path).quantize
    quant_cfg = quant_cfg["quant_cfg"] if isinstance(quant_cfg, dict) else quant_cfg.quant_cfg
    # First calls import and compile lazily (pydantic validators, calibrators): done on a small
    # tree of the same names beforehand, so that only the loop itself is timed.
    warm, _ = build_model(quantizers[:64], nn, QuantModuleRegistry, TensorQuantizer)
    set_quantizer_by_cfg(warm, quant_cfg)
    build_s = time.perf_counter() - t_build

    wall0, cpu0 = time.perf_counter(), time.process_time()
    set_quantizer_by_cfg(model, quant_cfg)
    wall_ms = (time.perf_counter() - wall0) * 1e3
    cpu_ms = (time.process_time() - cpu0) * 1e3

    enabled = sum(
        1
        for _, m in model.named_modules()
        if isinstance(m, TensorQuantizer) and m.is_enabled
    )
    print(
        f"MODELOPT_LOOP wall_ms={wall_ms:.1f} cpu_ms={cpu_ms:.1f} quantizers={len(quantizers)} "
        f"enabled={enabled} modules={n_modules} build_s={build_s:.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
