"""GPTQ as ModelOpt 0.47 runs it (`algorithm: {method: gptq}`), on the live model.

ModelOpt's `model_calib.gptq` (modelopt/torch/quantization/model_calib.py:2192) on a model (or,
with `layerwise.enable`, on one decoder layer at a time: layerwise.py):

  1. max calibration of every quantizer in scope (weights on their tensors, activations on a
     forward without quantization), NVFP4 static weights then share their sibling group's
     global amax (max_calibrate);
  2. one Hessian per linear with an enabled weight quantizer, accumulated over a forward with
     the activation quantizers on and the weight quantizers off, from the input the linear's
     input quantizer hands it (utils/calib_utils.py:50 `update_hessian`, :116 GPTQHelper);
  3. per linear, in module order: the damped inverse Hessian's upper Cholesky factor
     (calib_utils.py:80) and the column-by-column update of the float32 weight, each column
     replaced by its fake quant with the calibrated (pre-GPTQ) amax and the error spread over
     the columns after it (calib_utils.py:241); the weight is stored back in its dtype.

The torch operations below are ModelOpt's, in its order and dtypes, so on the same device the
weights come out bit for bit equal; the fake quant is qcfg's kernel (torch.ops.qcfg), which
reproduces ModelOpt's Triton kernels. docs/numerics.md, "GPTQ".
"""

import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn as nn

from qcfg._native import QcfgError, QcfgWarning
from qcfg.torch import calibration, layerwise
from qcfg.torch.siblings import share_weight_global_amax


@dataclass
class GptqConfig:
    """GPTQCalibConfig's fields (modelopt/torch/quantization/config.py:1204) that qcfg runs."""

    perc_damp: float = 0.01
    block_size: int = 128
    layerwise: bool = False
    qdq_from_prev: bool = True  # layerwise.get_qdq_activations_from_prev_layer (GPTQ default)


def config_of(algorithm):
    """The GptqConfig of a normalized `algorithm` value, or None when it is not GPTQ."""
    if isinstance(algorithm, list):
        methods = [a.get("method") if isinstance(a, dict) else a for a in algorithm]
        if "gptq" in methods:
            raise QcfgError("a list of calibration algorithms with gptq in it is not run by "
                            "qcfg.torch; give gptq alone")
        return None
    if algorithm == "gptq":
        return GptqConfig()
    if not isinstance(algorithm, dict) or algorithm.get("method") != "gptq":
        return None
    if algorithm.get("fused"):
        raise QcfgError("gptq with fused: true uses ModelOpt's fused Triton kernel, which qcfg "
                        "does not reproduce; set fused: false (the default)")
    layer = algorithm.get("layerwise") or {}
    if isinstance(layer, bool):
        layer = {"enable": layer}
    cfg = GptqConfig(layerwise=bool(layer.get("enable", False)),
                     qdq_from_prev=bool(layer.get("get_qdq_activations_from_prev_layer", True)))
    if algorithm.get("perc_damp") is not None:
        cfg.perc_damp = float(algorithm["perc_damp"])
    if algorithm.get("block_size") is not None:
        cfg.block_size = int(algorithm["block_size"])
    if not 0 < cfg.perc_damp <= 1 or cfg.block_size <= 0:
        raise QcfgError(f"gptq: perc_damp must be in (0, 1] and block_size > 0 (got "
                        f"{cfg.perc_damp}, {cfg.block_size})")
    return cfg


# ---- the numerics (ModelOpt's torch ops, in its order) ----

def update_hessian(x, hessian, n_samples):
    """H <- H * n/(n+b) + (2/(n+b)) X X^T with X the input as [features, tokens] in float32."""
    flat = x.reshape(-1, x.shape[-1]).t().float()
    batch = flat.shape[1]
    if batch == 0:
        return hessian, n_samples
    hessian *= n_samples / (n_samples + batch)
    n_samples += batch
    scaled = math.sqrt(2 / n_samples) * flat
    hessian.add_((scaled @ scaled.t()).to(hessian.device))
    return hessian, n_samples


def hessian_inverse(hessian, weight, perc_damp):
    """Upper Cholesky factor of the damped inverse Hessian; inputs whose weight column is all
    zero are decoupled first; the identity when the Hessian is not positive definite."""
    h = hessian.clone()
    dead = torch.nonzero(weight.eq(0).all(dim=0)).unsqueeze(-1)
    h[dead, :] = 0
    h[:, dead] = 0
    h[dead, dead] = 1
    damp = perc_damp * torch.mean(torch.diag(h))
    diagonal = torch.arange(h.shape[0], device=h.device)
    h[diagonal, diagonal] += damp
    try:
        h = torch.cholesky_inverse(torch.linalg.cholesky(h))
        return torch.linalg.cholesky(h, upper=True)
    except (RuntimeError, torch.linalg.LinAlgError):
        warnings.warn("gptq: a Hessian is not positive definite; its inverse is taken as the "
                      "identity (as ModelOpt does)", QcfgWarning, stacklevel=2)
        return torch.eye(h.shape[0], device=h.device, dtype=h.dtype)


def blockwise_update(weight, h_inv, block_size, quantize):
    """In place: each column of `weight` [out, in] becomes its fake quant (of the whole matrix,
    as it stands then), its scaled error is subtracted from the block's later columns, and each
    block's errors from the columns after the block."""
    columns = weight.shape[1]
    for start in range(0, columns, block_size):
        end = min(start + block_size, columns)
        h_block = h_inv[start:end, start:end]
        work = weight.clone()
        errors = torch.zeros_like(weight[:, start:end])
        for i in range(end - start):
            column = work[:, start + i]
            d = h_block[i, i]
            q = quantize(work)
            weight[:, start + i] = q[:, start + i]
            err = (column - q[:, start + i]) / d
            work[:, start + i:end].addr_(err, h_block[i, i:], alpha=-1)
            errors[:, i] = err
        weight[:, end:].addmm_(errors, h_inv[start:end, end:], alpha=-1)


# ---- one scope (the model, or one decoder layer) ----

class _Hessian:
    """The Hessian of one linear, fed by a forward pre-hook registered after the input
    quantizer's (so it sees the input as quantized, as ModelOpt's hessian_forward does)."""

    def __init__(self, q):
        self.q = q
        self.module = q.site.module
        w = self.module.weight
        self.hessian = torch.zeros(w.shape[-1], w.shape[-1], dtype=torch.float32, device=w.device)
        self.n = 0

    def pre(self, mod, args):
        x = calibration.first_tensor(args)
        if x is not None:
            self.hessian, self.n = update_hessian(x, self.hessian, self.n)

    def update_weight(self, cfg):
        w = self.module.weight
        hessian = self.hessian.to(w.device)
        weight = w.data.float().clone()
        h_inv = hessian_inverse(hessian, weight, cfg.perc_damp)
        blockwise_update(weight, h_inv, cfg.block_size, self.q.fake_quant)
        w.data = weight.reshape(w.shape).to(w.data.dtype)


def _in_scope(quantizers, scope):
    members = {id(m) for m in scope.modules()}
    return [q for q in quantizers if id(q.site.module) in members]


def is_gptq_linear(q):
    """ModelOpt's is_quantized_linear with an enabled weight quantizer: a 2-D weight of a
    linear (embeddings and convolutions are not)."""
    return q.site.role == "weight" and q.enabled and isinstance(q.site.module, nn.Linear)


def max_calibrate(quantizers, scope, loop):
    """ModelOpt's max_calibrate on `scope`: weights, then activations on an unquantized
    forward (`loop(scope)`), then the sibling global amax."""
    for q in quantizers:
        if q.site.role in ("weight", "expert_weight") and q.needs_calibration:
            q.observe(calibration.weight_of(q))
    acts = [q for q in quantizers if q.site.role not in ("weight", "expert_weight")]
    calibration.calibrate(acts, scope, loop)
    for q in quantizers:
        q.finish()
    share_weight_global_amax(quantizers)


def _hessians(quantizers, scope, loop):
    """A forward with the activation quantizers on and every weight quantizer off (ModelOpt
    disables `*weight_quantizer`, which matches the fused experts' too)."""
    found = [_Hessian(q) for q in quantizers if is_gptq_linear(q)]
    acts = [q for q in quantizers if q.site.role not in ("weight", "expert_weight")]
    handles = calibration.install_activation_hooks(acts, calibration.fake_quantize)
    handles += [h.module.register_forward_pre_hook(h.pre) for h in found]
    try:
        with torch.no_grad():
            loop(scope)
    finally:
        for h in handles:
            h.remove()
    return found


@torch.no_grad()
def gptq_scope(state, scope, loop, cfg):
    quantizers = _in_scope(state.quantizers, scope)
    max_calibrate(quantizers, scope, loop)
    for h in _hessians(quantizers, scope, loop):
        h.update_weight(cfg)


def run(state, model, forward_loop, cfg):
    """GPTQ of the whole model, or layer by layer (layerwise.enable)."""
    if forward_loop is None:
        raise QcfgError("gptq needs a forward_loop: its Hessians come from calibration data")
    if not cfg.layerwise:
        gptq_scope(state, model, forward_loop, cfg)
        return
    layerwise.calibrate(model, forward_loop, state,
                        lambda layer, loop: gptq_scope(state, layer, loop, cfg),
                        cfg.qdq_from_prev)
