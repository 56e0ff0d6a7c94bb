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
import weakref

import torch
import torch.nn.functional as F

from qcfg._native import load_ops, raw_fold_amax
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


def _version_of(x):
    """x's in-place version counter, or None where the tensor keeps none (inference mode)."""
    try:
        return x._version
    except RuntimeError:
        return None


class _Log:
    """One fp32 entry per distinct observed tensor, in chunks of `size` entries per device:
    observe_amax_ folds max|x| into a zeroed entry, so the entry holds max|x| itself. Entry 0 of
    each chunk is never handed out."""

    size = 1 << 14

    def __init__(self):
        self.reset()

    def reset(self):
        self.chunks = []  # (device, fp32 tensor)
        self.cursor = {}  # x.get_device() -> (chunk number, next free entry)

    def entry(self, x):
        """(chunk tensor, entry, global id) of a fresh entry on x's device."""
        key = x.get_device()  # an int (-1: the CPU), cheaper to hash than x.device
        c = self.cursor.get(key)
        if c is None or c[1] == self.size:
            c = (len(self.chunks), 1)  # entry 0 stays zero: flush() pads with it
            self.chunks.append((x.device, torch.zeros(self.size, dtype=torch.float32,
                                                      device=x.device)))
        self.cursor[key] = (c[0], c[1] + 1)
        return self.chunks[c[0]][1], c[1], c[0] * self.size + c[1]


def _segment_max(values, segments, device, width=16):
    """values[segments[r]].max() for each row r, as one 1-D tensor, in a few ops: each round
    gathers rows of at most `width` entries (padded with entry 0, which must hold 0) and takes
    their max, until every segment is one entry. values: int32 (fp32 bits of non-negative values
    or NaN, which order as integers as observe_amax_ orders them: NaN above inf)."""
    while True:
        if all(len(seg) == 1 for seg in segments):
            return values[torch.tensor([seg[0] for seg in segments]).to(device)]
        rows, next_segments = [[0] * width], []  # row 0: the zero entry of the next round
        for seg in segments:
            first = len(rows)
            for k in range(0, len(seg), width):
                part = seg[k:k + width]
                rows.append(part + [0] * (width - len(part)))
            next_segments.append(list(range(first, len(rows))))
        values = values[torch.tensor(rows).to(device)].amax(dim=1)
        segments = next_segments


def _raw_launch():
    """(fold, stream, dtype codes) for the observers' CUDA fast path: the op library's C entry
    of observe_amax_'s fold (ops/fold_amax_raw.cpp), the current raw stream of a device index,
    and the dtypes it takes; codes is empty (no fast path) without that entry."""
    raw = raw_fold_amax() if torch.cuda.is_available() else None
    stream = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    if stream is None:
        def stream(index):
            return torch.cuda.current_stream(index).cuda_stream
    codes = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2} if raw is not None else {}
    return raw, stream, codes


class Observers:
    """Max calibration in the forward loop with one op per distinct observed tensor
    (docs/python.md, "Calibration overhead"). A quantizer whose calibrating stages are all per
    tensor gets a slot; each tensor it sees either opens a log entry with one call of
    torch.ops.qcfg.observe_amax_(chunk, entry, x) (on a GPU one kernel launch on x's device, no
    temporary, no host sync, made through the op library's C entry for contiguous tensors, which
    skips the dispatcher; on the CPU one pass over x's storage), or, when it is the very tensor
    the previous observation saw, unchanged since (same object, same version counter: q/k/v_proj
    or gate/up_proj reading one input), only records that entry for its slot, with no op at all
    (a tensor written through an alias the version counter does not see, such as `.data`, between
    two such reads would be missed; ModelOpt's own quantizers read it at each call).
    flush() takes each slot's max over its entries with a gather and a max per round (16
    entries a row, a few rounds per chunk). A max is exact in
    any order and an entry holds the exact max|x| of its tensor, so the amax are the bits
    QuantizerState.observe gives (max|x| in fp32; as integers, the fp32 bits of non-negative
    values and NaN order as the op orders them). Other layouts go through QuantizerState.observe
    (torch.ops.qcfg.calibrate)."""

    def __init__(self):
        self.slots = []  # per slot: the stages it calibrates
        self.entries = []  # per slot: the global ids of the log entries it saw
        self.log = _Log()
        self.last = [None]  # (weak tensor, version, global id) of the latest entry opened

    def bind(self, q):
        stages = [s for s in q.stages if s.enabled and s.needs_calibration]
        if not stages:
            return lambda x: x
        if not all(s.per_tensor for s in stages):
            def slow(x):
                q.observe(x)
                return x
            return slow
        slot = len(self.slots)
        self.slots.append(stages)
        seen = []
        self.entries.append(seen)
        last, entry = self.last, self.log.entry
        observe = load_ops().observe_amax_
        raw, stream, codes = _raw_launch()

        def per_tensor(x):
            if x.numel():  # an empty tensor is not an observation (no amax from it alone)
                prev = last[0]
                version = _version_of(x)
                if prev is not None and prev[0]() is x and version is not None and \
                        prev[1] == version:
                    seen.append(prev[2])
                    return x
                chunk, i, gid = entry(x)
                code = codes.get(x.dtype) if x.is_cuda and x.is_contiguous() else None
                # The op's fold through its C entry (the same kernel, no dispatcher); the op
                # itself for the rest, and to report a failed launch with its message.
                if code is None or raw(x.data_ptr(), x.numel(), code, chunk.data_ptr() + 4 * i,
                                       x.get_device(), stream(x.get_device())) != 0:
                    observe(chunk, i, x)  # calibrate() runs the loop under no_grad
                # A weak reference: the activation is freed when the model drops it (holding it
                # kept the last layer's input alive through the lm_head, a peak-memory cost).
                last[0] = (weakref.ref(x), version, gid)
                seen.append(gid)
            return x
        return per_tensor

    def flush(self):
        """Each stage's amax: the max of what it had and max|x| over what the loop collected,
        in fp32, 0-d on the device. The first stage of a slot takes a view of its slot's result
        (distinct entries: an in-place max on one changes no other stage's), further stages of
        the slot a copy."""
        self.last[0] = None
        chunks, size = self.log.chunks, self.log.size
        per_chunk = [{} for _ in chunks]  # chunk -> {slot: its entries there}
        for slot, ids in enumerate(self.entries):
            for gid in ids:
                per_chunk[gid // size].setdefault(slot, []).append(gid % size)
        results = {}  # device -> (int32 fp32 bits per slot, which slots saw anything there)
        for (device, chunk), by_slot in zip(chunks, per_chunk):
            if not by_slot:
                continue
            segments = [by_slot.get(r, [0]) for r in range(len(self.slots))]
            bits = _segment_max(chunk.view(torch.int32), segments, device)
            held = results.get(device)
            if held is None:
                results[device] = (bits, set(by_slot))
            else:
                results[device] = (torch.maximum(held[0], bits), held[1] | set(by_slot))
        # The bound functions hold the log and the lists: a later loop starts afresh.
        self.log.reset()
        for ids in self.entries:
            ids.clear()
        for bits, seen in results.values():
            values = bits.view(torch.float32).unbind(0)  # one op for every slot of the device
            for slot, stages in enumerate(self.slots):
                if slot not in seen:
                    continue
                for i, s in enumerate(stages):
                    v = values[slot] if i == 0 else values[slot].clone()
                    if s.amax is not None:
                        v = torch.maximum(v, s.amax.reshape(()).to(v.device, torch.float32))
                    s.amax = v


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
