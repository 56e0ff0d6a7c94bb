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


def _input_hook(q, fn):
    def pre(mod, args):
        if not args:
            return None
        x = args[0]
        if not (isinstance(x, torch.Tensor) and x.is_floating_point()):
            return None  # see first_tensor
        y = fn(x)
        return None if y is x else (y,) + tuple(args[1:])  # observing: the input as it was
    return q.site.module.register_forward_pre_hook(pre)


class _ForwardWrap:
    """Observes `module`'s first positional input (role input) or its output (role output)
    through a wrapper set as the instance's `forward`, not through a hook: a module with hooks
    takes nn.Module.__call__'s slow path, which costs more per call than the observation itself
    (calibration only; the fake-quant hooks stay hooks, as they replace tensors). The tensors
    are those the hooks see: positional args only, floating point only. remove() puts the
    forward back; when another wrapper was set over this one since, this one only stops
    observing (the other keeps calling it)."""

    def __init__(self, module, fn, output):
        self.module, self.inner, self.had_own = module, module.forward, "forward" in module.__dict__
        inner, live, is_float = self.inner, [fn], torch.Tensor.is_floating_point
        self.live = live

        if output:
            def forward(*args, **kwargs):
                y = inner(*args, **kwargs)
                f = live[0]
                if f is not None and isinstance(y, torch.Tensor) and is_float(y):
                    f(y)
                return y
        else:
            def forward(*args, **kwargs):
                f = live[0]
                if f is not None and args:
                    x = args[0]
                    if isinstance(x, torch.Tensor) and is_float(x):
                        f(x)
                return inner(*args, **kwargs)
        self.forward = forward
        module.forward = forward

    def remove(self):
        self.live[0] = None
        m = self.module
        if m.__dict__.get("forward") is self.forward:
            if self.had_own:
                m.forward = self.inner
            else:
                del m.forward


def _output_hook(q, fn):
    def post(mod, args, output):
        if isinstance(output, torch.Tensor) and output.is_floating_point():
            y = fn(output)
            return None if y is output else y
        return None
    return q.site.module.register_forward_hook(post)


def _bmm_hooks(module, fns):
    """fns: {role: fn} of the module's enabled q/k/v_bmm quantizers."""
    fq, fk, fv = fns.get("q_bmm"), fns.get("k_bmm"), fns.get("v_bmm")

    def tap(query, key, value):
        return (fq(query) if fq is not None else query, fk(key) if fk is not None else key,
                fv(value) if fv is not None else value)
    return attention.install(module, tap)


@contextlib.contextmanager
def _linear_tap(module, by_param):
    """F.linear swapped while `module` (fused experts) runs: inputs of linears whose weight is a
    slice of one of its 3-D parameters go through that parameter's input quantizer's fn."""
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
        ptrs = {_storage_ptr(getattr(module, p)): fn for p, fn in by_param.items()}
        fn = ptrs.get(_storage_ptr(weight))
        if fn is not None:
            x = fn(x)
        return original(x, weight, bias)
    F.linear = linear
    try:
        yield
    finally:
        F.linear = original
        if implementation not in (None, "eager"):
            config._experts_implementation = implementation


class _ExpertTaps:
    def __init__(self, module, by_param):
        self.module, self.by_param, self.open = module, by_param, []

    def pre(self, mod, args):
        cm = _linear_tap(self.module, self.by_param)
        cm.__enter__()
        self.open.append(cm)

    def post(self, mod, args, output):
        if self.open:
            self.open.pop().__exit__(None, None, None)

    def remove(self):
        while self.open:
            self.open.pop().__exit__(None, None, None)


def _expert_hooks(module, quantizers, bind):
    taps = _ExpertTaps(module, {q.site.param: bind(q) for q in quantizers})
    return [module.register_forward_pre_hook(taps.pre), module.register_forward_hook(taps.post),
            taps]


def _binder(apply):
    """q -> fn(x): `apply.bind` when apply has one (Observers), else apply(q, x)."""
    bind = getattr(apply, "bind", None)
    if bind is not None:
        return bind
    return lambda q: (lambda x: apply(q, x))


def install_activation_hooks(quantizers, apply, observe_only=False):
    """Hooks for every enabled activation quantizer; apply(q, x) returns what the module uses
    (or apply.bind(q) gives that function for q). observe_only: apply returns its input, so
    inputs and outputs are observed by forward wrappers (_ForwardWrap), not hooks."""
    bind = _binder(apply)
    handles, grouped = [], {}
    for q in quantizers:
        if not q.enabled:
            continue
        role = q.site.role
        if role in ("input", "output") and observe_only:
            handles.append(_ForwardWrap(q.site.module, bind(q), output=role == "output"))
        elif role == "input":
            handles.append(_input_hook(q, bind(q)))
        elif role == "output":
            handles.append(_output_hook(q, bind(q)))
        elif role in ("q_bmm", "k_bmm", "v_bmm", "expert_input"):
            grouped.setdefault((id(q.site.module), role == "expert_input"), []).append(q)
    for (_, experts), qs in grouped.items():
        module = qs[0].site.module
        if experts:
            handles += _expert_hooks(module, qs, bind)
        else:
            handles += _bmm_hooks(module, {q.site.role: bind(q) for q in qs})
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


class Observers:
    """Max calibration in the forward loop with little work per call (docs/python.md,
    "Calibration overhead"). A quantizer whose calibrating stages are all per tensor gets:
      * torch.aminmax(x): one reduction on x's device giving min and max (no abs() temporary,
        no host sync; linalg.vector_norm(x, inf) is the same value but ten times slower on the
        CPU), max|x| = max(max x, -min x) taken only when the values are folded;
      * the pair shared with the quantizers that see the very same tensor next (q/k/v_proj and
        gate/up_proj inputs: the same object at the same version, so the same values);
      * the values kept in lists and reduced every FOLD calls and at flush(), instead of a
        torch.maximum per call.
    A max (and a negation, and widening to fp32) is exact whatever the order or grouping, so the
    amax are the bits QuantizerState.observe gives. Other layouts go through
    QuantizerState.observe (torch.ops.qcfg.calibrate)."""

    FOLD = 64

    def __init__(self):
        self.pending = []  # (stage, lows, highs): per call min x and max x
        self.last = None  # (tensor, its _version, (min, max))

    def bind(self, q):
        stages = [s for s in q.stages if s.enabled and s.needs_calibration]
        if not stages:
            return lambda x: x
        if not all(s.per_tensor for s in stages):
            def slow(x):
                q.observe(x)
                return x
            return slow
        lists = []
        for s in stages:
            lists.append(([], []))
            self.pending.append((s,) + lists[-1])
        fold, aminmax = self.FOLD, torch.aminmax

        def per_tensor(x):
            last = self.last
            if last is not None and last[0] is x and last[1] == x._version:
                low, high = last[2]
            else:
                low, high = aminmax(x.detach())
                self.last = (x, x._version, (low, high))
            for lows, highs in lists:
                lows.append(low)
                highs.append(high)
                if len(highs) >= fold:
                    lows[:] = [torch.stack(lows).amin()]
                    highs[:] = [torch.stack(highs).amax()]
            return x
        return per_tensor

    def flush(self):
        """Each stage's amax: the max of what it had and max|x| over what the loop collected,
        in fp32 (a new tensor: no two stages share one)."""
        self.last = None
        for s, lows, highs in self.pending:
            if not highs:
                continue
            high = torch.stack(highs).amax().float()
            values = [high, -torch.stack(lows).amin().float()]
            if s.amax is not None:
                values.append(s.amax.reshape(()).to(high.device, torch.float32))
            s.amax = torch.stack(values).amax()
            lows.clear()
            highs.clear()


def fake_quantize(q, x):
    return q.fake_quant(x)


def calibrate(quantizers, model, forward_loop):
    """Runs forward_loop(model) with observing hooks (no quantization), then removes them."""
    observers = Observers()
    handles = install_activation_hooks([q for q in quantizers if q.needs_calibration], observers,
                                       observe_only=True)
    try:
        with torch.no_grad():
            forward_loop(model)
    finally:
        for h in reversed(handles):  # wrappers of one module come off in reverse order
            h.remove()
        observers.flush()
