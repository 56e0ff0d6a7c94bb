"""What `quantize` keeps on a model: the plan, one QuantizerState per quantizer of the live
inventory, and the calibrated amax. Stored as `model._qcfg` (a plain attribute, not a module or
buffer, so state_dict() and the checkpoint stay as they were)."""

import json
from dataclasses import dataclass, field
from typing import List, Optional

import torch

from qcfg._native import QcfgError, load_ops


@dataclass
class Stage:
    enabled: bool
    attributes: dict
    attributes_json: str
    needs_calibration: bool
    per_tensor: bool = False  # calibrated as max|x| on the tensor's device (ops.calibrates_per_tensor)
    amax: Optional[torch.Tensor] = None  # fp32, calibration layout (per tensor: 0-d, on the device)
    nvfp4_static: bool = False  # two-level NVFP4 with calibrated per-block amax
    global_amax: Optional[float] = None  # NVFP4 static: a sibling group's shared one (siblings.py)


@dataclass
class QuantizerState:
    site: object  # inventory.Site
    stages: List[Stage] = field(default_factory=list)
    sequential: bool = False

    @property
    def name(self):
        return self.site.name

    @property
    def enabled(self):
        return any(s.enabled for s in self.stages)

    @property
    def needs_calibration(self):
        return any(s.enabled and s.needs_calibration for s in self.stages)

    @property
    def calibrated(self):
        return all(s.amax is not None for s in self.stages if s.enabled and s.needs_calibration)

    def observe(self, x):
        """Max calibration of one tensor the quantizer sees (elementwise max with earlier ones)."""
        x = x.detach()
        if x.numel() == 0:  # nothing to observe (e.g. an expert that got no token)
            return
        for s in self.stages:
            if not (s.enabled and s.needs_calibration):
                continue
            if s.per_tensor:
                # max|x| in one reduction into an fp32 scalar on x's device (exact: no
                # arithmetic), with no temporary: linalg.vector_norm(x, inf, dtype=float32)
                # may widen x to fp32 first (a 64 MiB copy of a 8192 x 2048 bf16 weight)
                a = torch.zeros(1, dtype=torch.float32, device=x.device)
                load_ops().observe_amax_(a, 0, x)
                a = a.reshape(())
            else:
                a = load_ops().calibrate(x, s.attributes_json)
            if s.amax is None:
                s.amax = a
                continue
            if s.amax.shape != a.shape:
                raise ValueError(f"{self.name}: amax shape changed! ({tuple(s.amax.shape)} -> "
                                 f"{tuple(a.shape)}): the quantizer saw tensors of different "
                                 "shapes with a per-channel or per-block amax")
            torch.maximum(s.amax, a, out=s.amax)

    def finish(self):
        """Brings per-tensor amax to the host and checks them (ops.calibrate refuses NaN / inf;
        so does this)."""
        for s in self.stages:
            if s.amax is None:
                continue
            s.amax = s.amax.detach().to("cpu", torch.float32).reshape(-1)
            if not bool(torch.isfinite(s.amax).all()):
                raise QcfgError(f"{self.name}: the calibrated amax is not finite "
                                 f"({s.amax.tolist()[:4]}): the forward loop produced NaN or inf")

    def fake_quant(self, x):
        """x quantized and dequantized stage after stage (ModelOpt's fake quant). Dynamic stages
        (no amax) of activations with more than 2 dims see them as [tokens, last dim]."""
        ops = load_ops()
        y = x
        for s in self.stages:
            if not s.enabled:
                continue
            if s.amax is None and y.dim() > 2:
                y = ops.fake_quant(y.reshape(-1, y.shape[-1]), s.attributes_json).reshape(y.shape)
            else:
                y = ops.fake_quant(y, s.attributes_json, s.amax, s.global_amax)
        return y


def _is_nvfp4_static(attributes):
    blocks = attributes.get("block_sizes") or {}
    return (attributes.get("num_bits") == [2, 1] and blocks.get("type") == "static"
            and blocks.get("scale_bits") == [4, 3])


def _stage(enabled, attributes):
    text = json.dumps(attributes)
    ops = load_ops()
    needs = bool(enabled) and ops.needs_calibration(text)
    return Stage(bool(enabled), attributes, text, needs,
                 per_tensor=needs and ops.calibrates_per_tensor(text),
                 nvfp4_static=_is_nvfp4_static(attributes))


def state_from_record(site, record):
    """The QuantizerState of a plan record (`kind` tensor or sequential)."""
    q = QuantizerState(site)
    if record.get("kind") == "sequential":
        q.sequential = True
        q.stages = [_stage(e, a) for e, a in zip(record["enabled"], record["attributes"])]
    else:
        q.stages = [_stage(record["enabled"], record["attributes"])]
    return q


@dataclass
class ModelState:
    plan: dict
    quantizers: List[QuantizerState]
    recipe_path: Optional[str] = None  # the recipe compiled (export runs `qcfg ptq` on it)
    recipe_args: List[str] = field(default_factory=list)  # --recipe-root and the like
    recipe_config: Optional[dict] = None  # a recipe given as a dict (export writes it out)
    unmatched: List[str] = field(default_factory=list)  # QC007 findings
    hooks: list = field(default_factory=list)
    folded: bool = False
    gptq: Optional[object] = None  # gptq.GptqConfig when the recipe's algorithm is GPTQ

    def by_role(self, *roles):
        return [q for q in self.quantizers if q.site.role in roles]

    def activation_amax(self):
        """{quantizer name: amax} of every calibrated activation quantizer (first stage that
        calibrated; what `qcfg ptq --act-amax` reads)."""
        out = {}
        for q in self.quantizers:
            if q.site.role in ("weight", "expert_weight"):
                continue
            for s in q.stages:
                if s.enabled and s.amax is not None:
                    out[q.name] = s.amax
                    break
                # An explicit constant_amax is the amax ModelOpt keeps (and exports as
                # input_scale); use_constant_amax (KV cast) the runtime derives itself.
                constant = s.attributes.get("constant_amax") if s.enabled else None
                if constant is not None:
                    out[q.name] = torch.tensor(float(constant))
                    break
        return out

    def remove_hooks(self):
        for h in self.hooks:
            h.remove()
        self.hooks = []
