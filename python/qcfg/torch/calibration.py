"""Hooks that show each activation quantizer the tensor ModelOpt 0.47's quantizer sees, and
max calibration as ModelOpt's `max_calibrate` runs it.

ModelOpt's max_calibrate: every enabled quantizer stops quantizing and collects statistics
(`enable_stats_collection`: quantizers with a constant amax only stop quantizing), the weights
are calibrated on the weight tensors (`weight_only_quantize`), the forward loop runs on the
unquantized model, then the amax are loaded and quantization is switched back on
(`finish_stats_collection`). So during calibration our hooks only observe; afterwards the same
hooks fake-quantize.

What each quantizer observes:
  input_quantizer   the first positional input of its module's forward (QuantLinear / QuantConv)
  output_quantizer  the module's output tensor
  q/k/v_bmm         query / key / value handed to the attention kernel (attention.py)
  <p>_input_quantizer of fused experts  the input of each expert's linear on that parameter
"""

import contextlib

import torch
import torch.nn.functional as F

from qcfg.torch import attention


def _storage_ptr(t):
    storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
    return storage.data_ptr()


def first_tensor(args):
    """The input a module's input quantizer sees: its first positional argument, when that is a
    floating-point tensor (an embedding's token ids are not quantized: ModelOpt hard-disables
    that quantizer, and so does the resolver)."""
    if args and isinstance(args[0], torch.Tensor) and args[0].is_floating_point():
        return args[0]
    return None


def _input_hook(q, apply):
    def pre(mod, args):
        x = first_tensor(args)
        if x is None:
            return None
        y = apply(q, x)
        return None if y is x else (y,) + tuple(args[1:])  # observing: the input as it was
    return q.site.module.register_forward_pre_hook(pre)


def _output_hook(q, apply):
    def post(mod, args, output):
        if isinstance(output, torch.Tensor) and output.is_floating_point():
            y = apply(q, output)
            return None if y is output else y
        return None
    return q.site.module.register_forward_hook(post)


def _bmm_hooks(module, quantizers, apply):
    by_role = {q.site.role: q for q in quantizers}

    def tap(query, key, value):
        out = []
        for role, t in (("q_bmm", query), ("k_bmm", key), ("v_bmm", value)):
            q = by_role.get(role)
            out.append(apply(q, t) if q is not None else t)
        return tuple(out)
    return attention.install(module, tap)


@contextlib.contextmanager
def _linear_tap(module, by_param, apply):
    """F.linear swapped while `module` (fused experts) runs: inputs of linears whose weight is a
    slice of one of its 3-D parameters go through that parameter's input quantizer."""
    original = F.linear
    # transformers >= 5 dispatches fused experts by config._experts_implementation; every
    # implementation but "eager" (grouped_mm, batched_mm) bypasses F.linear, so the experts
    # run eagerly while tapped (one F.linear per expert, the module's own forward).
    config = getattr(module, "config", None)
    implementation = getattr(config, "_experts_implementation", None)
    if implementation not in (None, "eager"):
        config._experts_implementation = "eager"

    def linear(x, weight, bias=None):
        # Looked up per call: the weight swap (_ExpertWeightSwap) may replace the parameters'
        # storage after this tap was opened.
        ptrs = {_storage_ptr(getattr(module, p)): q for p, q in by_param.items()}
        q = ptrs.get(_storage_ptr(weight))
        if q is not None:
            x = apply(q, x)
        return original(x, weight, bias)
    F.linear = linear
    try:
        yield
    finally:
        F.linear = original
        if implementation not in (None, "eager"):
            config._experts_implementation = implementation


class _ExpertTaps:
    def __init__(self, module, by_param, apply):
        self.module, self.by_param, self.apply, self.open = module, by_param, apply, []

    def pre(self, mod, args):
        cm = _linear_tap(self.module, self.by_param, self.apply)
        cm.__enter__()
        self.open.append(cm)

    def post(self, mod, args, output):
        if self.open:
            self.open.pop().__exit__(None, None, None)

    def remove(self):
        while self.open:
            self.open.pop().__exit__(None, None, None)


def _expert_hooks(module, quantizers, apply):
    taps = _ExpertTaps(module, {q.site.param: q for q in quantizers}, apply)
    return [module.register_forward_pre_hook(taps.pre), module.register_forward_hook(taps.post),
            taps]


def install_activation_hooks(quantizers, apply):
    """Hooks for every enabled activation quantizer; apply(q, x) returns what the module uses."""
    handles, grouped = [], {}
    for q in quantizers:
        if not q.enabled:
            continue
        role = q.site.role
        if role == "input":
            handles.append(_input_hook(q, apply))
        elif role == "output":
            handles.append(_output_hook(q, apply))
        elif role in ("q_bmm", "k_bmm", "v_bmm", "expert_input"):
            grouped.setdefault((id(q.site.module), role == "expert_input"), []).append(q)
    for (_, experts), qs in grouped.items():
        module = qs[0].site.module
        handles += (_expert_hooks if experts else _bmm_hooks)(module, qs, apply)
    return handles


class _WeightSwap:
    """While the module runs, its weight holds Q(W) (ModelOpt's QuantLinear quantizes the weight
    in every forward); the original comes back after. Skipped once fold_weight folded it."""

    def __init__(self, q, state):
        self.q, self.state, self.saved = q, state, []

    def pre(self, mod, args):
        if self.state.folded:
            return
        w = getattr(mod, "weight")
        self.saved.append(w.data)
        with torch.no_grad():
            w.data = self.q.fake_quant(w.data)

    def post(self, mod, args, output):
        if self.saved:
            mod.weight.data = self.saved.pop()

    def remove(self):
        if self.saved:
            self.q.site.module.weight.data = self.saved[0]
            self.saved.clear()


class _ExpertWeightSwap:
    """While fused experts run, their 3-D parameter holds each expert's Q(W[e]) under that
    expert's own weight quantizer (ModelOpt's fused-expert modules quantize every expert's slice
    in the forward); experts whose quantizer is disabled keep W[e]. Restored after."""

    def __init__(self, module, param, quantizers, state):
        self.module, self.param, self.state, self.saved = module, param, state, []
        self.by_expert = {q.site.expert: q for q in quantizers}

    def pre(self, mod, args):
        if self.state.folded:
            return
        w = getattr(mod, self.param)
        self.saved.append(w.data)
        with torch.no_grad():
            quantized = w.data.clone()
            for e, q in self.by_expert.items():
                quantized[e] = q.fake_quant(w.data[e])
            w.data = quantized

    def post(self, mod, args, output):
        if self.saved:
            getattr(mod, self.param).data = self.saved.pop()

    def remove(self):
        if self.saved:
            getattr(self.module, self.param).data = self.saved[0]
            self.saved.clear()


def install_weight_hooks(quantizers, state):
    """Fake quant of every enabled weight quantizer's weight during its module's forward: plain
    weights one by one, fused experts per (module, 3-D parameter)."""
    handles, experts = [], {}
    for q in quantizers:
        if not q.enabled:
            continue
        if q.site.role == "expert_weight":
            experts.setdefault((id(q.site.module), q.site.param), []).append(q)
            continue
        if q.site.role != "weight":
            continue
        swap = _WeightSwap(q, state)
        m = q.site.module
        handles += [m.register_forward_pre_hook(swap.pre), m.register_forward_hook(swap.post), swap]
    for qs in experts.values():
        m = qs[0].site.module
        swap = _ExpertWeightSwap(m, qs[0].site.param, qs, state)
        handles += [m.register_forward_pre_hook(swap.pre), m.register_forward_hook(swap.post), swap]
    return handles


def weight_of(q):
    """The weight a weight quantizer calibrates on (one expert's slice for fused experts)."""
    param = getattr(q.site.module, q.site.param or "weight")
    return param[q.site.expert] if q.site.expert is not None else param


def observe(q, x):
    if q.needs_calibration:
        q.observe(x)
    return x


def fake_quantize(q, x):
    return q.fake_quant(x)


def calibrate(quantizers, model, forward_loop):
    """Runs forward_loop(model) with observing hooks (no quantization), then removes them."""
    handles = install_activation_hooks([q for q in quantizers if q.needs_calibration], observe)
    try:
        with torch.no_grad():
            forward_loop(model)
    finally:
        for h in handles:
            h.remove()
