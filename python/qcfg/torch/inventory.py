"""The quantizer inventory of a live model: every TensorQuantizer ModelOpt 0.47 would insert,
named as ModelOpt names them, in the JSON inventory format `qcfg compile --inventory` reads
(resolver/inventory.h). The derivation follows the checkpoint one (resolver/checkpoint_inventory.cpp)
but reads module types instead of guessing them from tensor names:

* ``nn.Linear``, ``nn.Conv1d/2d/3d``, ``nn.Embedding``: ``<m>.weight_quantizer``,
  ``<m>.input_quantizer``, ``<m>.output_quantizer`` (parent key ``nn.<Class>``);
* ``nn.LayerNorm``, ``nn.BatchNorm1d/2d/3d``: input and output quantizers;
* attention modules (is_attention: ModelOpt's rule for transformers models, q/k/v projections
  for plain ones): ModelOpt's HF plugin adds ``q_bmm_quantizer``, ``k_bmm_quantizer``, ``v_bmm_quantizer`` and
  ``p_bmm_quantizer`` (softmax probabilities; not observed here, so an enabled one that needs
  calibration is reported as uncalibrated) under key ``hf.<Class>`` (the checkpoint inventory
  lists q/k/v only);
* fused experts (transformers 5: 3-D ``gate_up_proj`` and ``down_proj`` parameters on one module):
  ``<m>.<p>_input_quantizer`` (key ``hf.<Class>``) and one ``<m>.<p>_weight_quantizers.<e>`` per
  expert (parent null), as checkpoint/expert_layout.h names them.
"""

import inspect
import sys
from dataclasses import dataclass, field
from typing import List, Optional

import torch.nn as nn

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding)
_NORMS = (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
_FUSED_EXPERT_PARAMS = ("gate_up_proj", "down_proj")
_BMM = ("q_bmm_quantizer", "k_bmm_quantizer", "v_bmm_quantizer", "p_bmm_quantizer")


@dataclass
class Site:
    """One quantizer of the live model: its name, what it observes and where."""

    name: str
    parent_class: Optional[str]
    module_name: str
    module: nn.Module
    role: str  # weight | input | output | q_bmm | k_bmm | v_bmm | p_bmm | expert_input | expert_weight
    param: Optional[str] = None  # fused experts: gate_up_proj / down_proj
    expert: Optional[int] = None


@dataclass
class LiveInventory:
    sites: List[Site] = field(default_factory=list)
    modules: List[dict] = field(default_factory=list)
    registry_keys: List[str] = field(default_factory=list)

    def to_json(self, description):
        return {
            "description": description,
            "quantizers": [{"name": s.name, "parent_class": s.parent_class} for s in self.sites],
            "modules": self.modules,
            "registry_keys": self.registry_keys,
        }


def registry_key(module, hf_model=False):
    """ModelOpt's registry key for a module type (`nn.Linear`, `hf.LlamaAttention`), or None."""
    cls = type(module)
    for base in _WEIGHTED + _NORMS:
        if isinstance(module, base):
            return "nn." + base.__name__
    if is_attention(module, hf_model) or is_fused_experts(module):
        return "hf." + cls.__name__
    return None


def _wraps_nested_attention(module):
    return any(child is not module and type(child).__name__.endswith("Attention")
               for _, child in module.named_modules())


def is_attention(module, hf_model=False):
    """ModelOpt's HF plugin (register_hf_attentions_on_the_fly): a class whose name ends in
    `Attention`, that wraps no other `*Attention` module, from a transformers module with
    ALL_ATTENTION_FUNCTIONS. ModelOpt adds no KV quantizers to plain nn.Modules; qcfg does for a
    plain `*Attention` with q/k/v projections (tests/python's tiny attention)."""
    if not type(module).__name__.endswith("Attention") or _wraps_nested_attention(module):
        return False
    if hf_model:
        pymod = inspect.getmodule(type(module))
        return getattr(pymod, "ALL_ATTENTION_FUNCTIONS", None) is not None
    names = {n for n, _ in module.named_children()}
    return all(p in names for p in ("q_proj", "k_proj", "v_proj")) or all(
        p in names for p in ("query", "key", "value"))


def is_hf_model(model):
    """A transformers PreTrainedModel (only looked for when transformers is already imported)."""
    transformers = sys.modules.get("transformers")
    base = getattr(transformers, "PreTrainedModel", None) if transformers else None
    return base is not None and isinstance(model, base)


def is_fused_experts(module):
    params = dict(module.named_parameters(recurse=False))
    return all(p in params and params[p].dim() == 3 for p in _FUSED_EXPERT_PARAMS)


def _prefix(name):
    return name + "." if name else ""


def _add_module(inv, name, key):
    inv.modules.append({"name": name, "class": key})
    if key not in inv.registry_keys:
        inv.registry_keys.append(key)


def _fused_expert_sites(inv, name, module, key):
    for param in _FUSED_EXPERT_PARAMS:
        inv.sites.append(Site(f"{name}.{param}_input_quantizer", key, name, module, "expert_input",
                              param))
        for e in range(getattr(module, param).shape[0]):
            inv.sites.append(Site(f"{name}.{param}_weight_quantizers.{e}", None, name, module,
                                  "expert_weight", param, e))


def build_inventory(model):
    """The LiveInventory of `model` (traversal order of named_modules)."""
    inv = LiveInventory()
    attention = []
    hf_model = is_hf_model(model)
    for name, module in model.named_modules():
        key = registry_key(module, hf_model)
        if key is None:
            continue
        _add_module(inv, name, key)
        if is_fused_experts(module):
            _fused_expert_sites(inv, name, module, key)
            continue
        if is_attention(module, hf_model):
            attention.append((name, module, key))
            continue
        p = _prefix(name)
        if isinstance(module, _WEIGHTED):
            inv.sites.append(Site(p + "weight_quantizer", key, name, module, "weight"))
        inv.sites.append(Site(p + "input_quantizer", key, name, module, "input"))
        inv.sites.append(Site(p + "output_quantizer", key, name, module, "output"))
    for name, module, key in attention:
        _insert_bmm_sites(inv, name, module, key)
    return inv


def _insert_bmm_sites(inv, name, module, key):
    """After the attention module's own quantizers, as named_modules() lists ModelOpt's."""
    under = _prefix(name)
    last = 0
    for i, s in enumerate(inv.sites):
        if s.name.startswith(under):
            last = i + 1
    bmm = [Site(under + q, key, name, module, q[:5]) for q in _BMM]
    inv.sites[last:last] = bmm
