#!/usr/bin/env python3
"""Cost of qcfg's calibration hooks: the forward loop run plainly, then under
qcfg.torch.calibration's observing hooks (as quantize runs it), same model and batches, best of
--repeat each; also under the per-call path quantize used before (QuantizerState.observe per
call: max|x| and a torch.maximum per quantizer and batch), for comparison. A benchmark, not a
test (the issue's target: at most 1.1x a plain forward).

--model stack: --layers x Linear(dim) with ReLU; --model llama: --layers Llama-shaped decoder
layers (q/k/v/o, attention through scaled_dot_product_attention, gate/up/down of 4 x dim), so
q/k/v and gate/up share their input and the KV quantizers observe keys and values;
--model hf: transformers' LlamaForCausalLM of that shape (random weights, the ptq bench's
config: heads of 128, 4 query heads per key/value head, vocab 32000), fed token ids.
--profile adds the GPU's kernel time per forward loop (torch.profiler), plain and calibrating,
by kernel name: where a calibrating loop's extra time goes on the device.

  PYTHONPATH=python QCFG_TORCH_OPS=build/python/libqcfg_torch_ops.so \\
  QCFG_EXECUTABLE=build/tools/qcfg/qcfg python3 bench/python/calib_overhead.py \\
      [--device cpu|cuda] [--model stack|llama] [--layers 8] [--dim 1024] [--tokens 2048]
      [--batches 8] [--repeat 3] [--clock wall|process] [--threads N]
"""
import argparse
import os
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import qcfg.torch as qtq
from qcfg.torch import calibration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Stack(nn.Module):
    def __init__(self, layers, dim, dtype):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim, bias=False, dtype=dtype)
                                    for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


def _eager_sdpa(q, k, v, is_causal=False):
    s = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
    if is_causal:
        scores = scores.masked_fill(~torch.ones(s, s, dtype=torch.bool, device=q.device).tril(),
                                    float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


# bound in this module, where qcfg's KV hooks find it on a plain module (torch 1.13 has none)
scaled_dot_product_attention = getattr(F, "scaled_dot_product_attention", _eager_sdpa)


class LlamaAttention(nn.Module):
    def __init__(self, dim, dtype, head_dim=64):
        super().__init__()
        self.heads = dim // head_dim
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (
            nn.Linear(dim, dim, bias=False, dtype=dtype) for _ in range(4))

    def forward(self, x):
        b, s, d = x.shape
        split = lambda t: t.view(b, s, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        y = scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)),
                                         split(self.v_proj(x)), is_causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(b, s, d))


class LlamaMLP(nn.Module):
    def __init__(self, dim, dtype):
        super().__init__()
        self.gate_proj = nn.Linear(dim, 4 * dim, bias=False, dtype=dtype)
        self.up_proj = nn.Linear(dim, 4 * dim, bias=False, dtype=dtype)
        self.down_proj = nn.Linear(4 * dim, dim, bias=False, dtype=dtype)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class RMSNorm(nn.Module):
    """transformers' LlamaRMSNorm (fp32 statistics, weight in the model's dtype). Without the
    norms the residual stream of random layers grows quadratically per layer and is NaN from
    the 8th layer on (so were most amax of the 28-layer bench before 2026-12-03)."""

    def __init__(self, dim, dtype, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim, dtype=dtype)), eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


class LlamaLayer(nn.Module):
    def __init__(self, dim, dtype):
        super().__init__()
        self.self_attn, self.mlp = LlamaAttention(dim, dtype), LlamaMLP(dim, dtype)
        self.input_layernorm = RMSNorm(dim, dtype)
        self.post_attention_layernorm = RMSNorm(dim, dtype)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, layers, dim, dtype):
        super().__init__()
        self.layers = nn.ModuleList(LlamaLayer(dim, dtype) for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


CLOCK = time.perf_counter


def timed(fn, device, repeat):
    best = float("inf")
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        t = CLOCK()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, CLOCK() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--model", choices=("stack", "llama", "hf"), default="stack")
    ap.add_argument("--seq-len", type=int, default=512, help="llama: tokens per sequence")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--recipe", default=os.path.join(ROOT, "recipes", "ptq", "fp8.yaml"))
    ap.add_argument("--clock", choices=("wall", "process"), default="wall",
                    help="process: this process's CPU time (time.process_time), for a CPU run on "
                         "a loaded machine, with --threads 1")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: as is)")
    ap.add_argument("--count-ops", action="store_true",
                    help="also count the dispatcher's ops of one forward, plain and calibrating")
    ap.add_argument("--profile", action="store_true",
                    help="also sum the GPU's kernel time of one loop, plain and calibrating")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time one observation's parts on a batch-shaped tensor")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "process" else time.perf_counter
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    g = torch.Generator().manual_seed(0)
    if args.model == "hf":
        model = transformers_llama(args.layers, args.dim, dtype, args.device)
        shape = (max(1, args.tokens // args.seq_len), args.seq_len)
        data = [torch.randint(0, model.config.vocab_size, shape, generator=g).to(args.device)
                for _ in range(args.batches)]
    else:
        if args.model == "llama":
            model = Llama(args.layers, args.dim, dtype)
            shape = (max(1, args.tokens // args.seq_len), args.seq_len, args.dim)
        else:
            model = Stack(args.layers, args.dim, dtype)
            shape = (args.tokens, args.dim)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "layernorm" not in name:
                    p.copy_(torch.randn(p.shape, generator=g) * p.shape[-1] ** -0.5)
        model = model.to(args.device).eval()
        data = [torch.randn(shape, generator=g).to(args.device, dtype)
                for _ in range(args.batches)]

    def loop(m):
        with torch.no_grad():
            for b in data:
                m(b)

    with tempfile.TemporaryDirectory() as work:  # compiled as quantize compiles it
        inventory, plan, _, _ = qtq._compile(model, args.recipe, work, [])
    states = [q for q in qtq._states(inventory, plan)
              if q.site.role not in ("weight", "expert_weight")]
    loop(model)  # warm-up
    calibration.calibrate(states, model, loop)
    amax = {q.name: q.stages[0].amax for q in states if q.needs_calibration}

    def per_call(m):  # the path before Observers: QuantizerState.observe on every call
        for q in states:
            for s in q.stages:
                s.amax = None
        handles = calibration.install_activation_hooks(
            [q for q in states if q.needs_calibration], calibration.observe)
        try:
            loop(m)
        finally:
            for h in handles:
                h.remove()
    def fresh(m):  # as quantize calibrates: no amax yet (so flush folds nothing in)
        for q in states:
            for s in q.stages:
                s.amax = None
        calibration.calibrate(states, m, loop)
    # interleaved, best of --repeat each: a loaded machine slows all three alike
    plain = hooked = before = float("inf")
    for _ in range(args.repeat):
        plain = min(plain, timed(lambda: loop(model), args.device, 1))
        hooked = min(hooked, timed(lambda: fresh(model), args.device, 1))
        before = min(before, timed(lambda: per_call(model), args.device, 1))
    differ = [(q.name, amax[q.name], q.stages[0].amax) for q in states if q.needs_calibration
              and not same_bits(amax[q.name], q.stages[0].amax)]
    nonfinite = [name for name, a in amax.items() if not bool(torch.isfinite(a).all())]
    what = {"stack": f"{args.layers} x Linear({args.dim})",
            "llama": f"{args.layers} Llama-shaped layers (hidden {args.dim})",
            "hf": f"transformers LlamaForCausalLM, {args.layers} layers (hidden {args.dim})"}[
        args.model]
    print(f"device {args.device} ({args.clock} clock), {what}, {args.batches} batches of "
          f"{args.tokens} tokens, "
          f"{len(amax)} calibrated quantizers: plain {plain * 1e3:.1f} ms, calibration "
          f"{hooked * 1e3:.1f} ms, ratio {hooked / plain:.3f}; per-call path {before * 1e3:.1f} "
          f"ms, ratio {before / plain:.3f}; amax identical: {not differ}")
    n_obs = len(amax) * args.batches  # each quantizer sees one tensor per batch in these models
    print(f"  per observation: {(hooked - plain) / n_obs * 1e6:.2f} us (calibration), "
          f"{(before - plain) / n_obs * 1e6:.2f} us (per-call path), {n_obs} observations")
    if nonfinite:
        print(f"  {len(nonfinite)} amax not finite (the forward overflowed), e.g. {nonfinite[0]}")
    for name, a, b in differ[:8]:
        print(f"  differs: {name}: calibration {a.tolist()} per-call path {b.tolist()}")
    if args.count_ops:
        count_ops(model, states, loop, data)
    if args.profile and args.device == "cuda":
        gpu_profile(model, states, loop)
    if args.breakdown:
        x = data[0] if data[0].is_floating_point() else torch.randn(
            *data[0].shape, args.dim, generator=g).to(args.device, dtype)
        breakdown(x, args.device)
    return 0 if not differ else 1


def transformers_llama(layers, dim, dtype, device):
    """The ptq bench's model (bench/python/ptq_vs_modelopt.py), built in memory."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(hidden_size=dim, intermediate_size=4 * dim, num_hidden_layers=layers,
                         num_attention_heads=dim // 128, num_key_value_heads=dim // 512,
                         vocab_size=32000, max_position_embeddings=4096)
    torch.manual_seed(0)
    with torch.device(device):
        return LlamaForCausalLM(config).to(dtype).eval()


def gpu_profile(model, states, loop, top=6):
    """GPU kernel time of one whole loop, plain and under calibration, summed by kernel name,
    with the host's wall time of each loop beside it (the loop is GPU-bound when the two are
    close)."""
    from collections import Counter

    from torch.profiler import ProfilerActivity, profile

    def kernels(fn):
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            t = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            wall = time.perf_counter() - t
        us, n = Counter(), Counter()
        for e in prof.events():
            if e.device_type == torch.autograd.DeviceType.CUDA:
                us[e.name] += e.device_time if hasattr(e, "device_time") else e.cuda_time
                n[e.name] += 1
        return us, n, wall
    p_us, p_n, p_wall = kernels(lambda: loop(model))
    for q in states:
        for s in q.stages:
            s.amax = None
    c_us, c_n, c_wall = kernels(lambda: calibration.calibrate(states, model, loop))
    print(f"  GPU kernels, one loop: plain {sum(p_us.values()) / 1e3:.1f} ms in "
          f"{sum(p_n.values())} kernels (wall {p_wall * 1e3:.1f} ms); calibrating "
          f"{sum(c_us.values()) / 1e3:.1f} ms in {sum(c_n.values())} kernels (wall "
          f"{c_wall * 1e3:.1f} ms)")
    diff = Counter({k: c_us[k] - p_us.get(k, 0) for k in c_us})
    for name, d in diff.most_common(top):
        print(f"    +{d / 1e3:.2f} ms  {c_n[name] - p_n.get(name, 0):+d} calls  {name[:90]}")
    slower = Counter({k: p_us[k] - c_us.get(k, 0) for k in p_us})
    for name, d in slower.most_common(2):
        if d > 0:
            print(f"    -{d / 1e3:.2f} ms  {name[:90]}")


def breakdown(x, device, n=2000):
    """µs per call, best of 3: issued back to back without a sync (host cost; the GPU queue
    absorbs the kernels while it is not full), and with one sync at the end (whichever of host
    and GPU is slower). The observer's call (a fresh tensor each time: the entry path; the same
    tensor again: the shared path), the bare op, and one plain aten op of the forward's kind."""
    from qcfg._native import load_ops
    from qcfg.torch.calibration import Observers

    class Stage:
        enabled = needs_calibration = per_tensor = True
        amax = None

    class Q:
        stages = [Stage()]

    obs = Observers()
    f, g = obs.bind(Q()), obs.bind(Q())
    acc = torch.zeros(16, device=device)
    op = load_ops().observe_amax_
    xs = [x.clone() for _ in range(2)]

    def entry_path():
        for i in range(n):
            f(xs[i & 1])

    def shared_path():
        y = xs[0]
        f(y)
        for _ in range(n):
            g(y)

    one = x.reshape(-1)[:1].clone()
    cases = {"observer, new tensor": entry_path, "observer, same tensor": shared_path,
             "observe_amax_ op": lambda: [op(acc, 1, x) for _ in range(n)],
             "observe_amax_ op, 1 element (host cost)": lambda: [op(acc, 1, one)
                                                                 for _ in range(n)],
             "observe_amax_.default, 1 element": lambda: [op.default(acc, 1, one)
                                                          for _ in range(n)],
             "aten add (reference)": lambda: [torch.add(x, 1) for _ in range(n)]}
    raw, stream, codes = calibration._raw_launch()
    if x.dtype in codes:
        def raw_path(t):
            ptr, numel, code, dev = t.data_ptr(), t.numel(), codes[t.dtype], t.get_device()
            return lambda: [raw(ptr, numel, code, acc.data_ptr() + 4, dev, stream(dev))
                            for _ in range(n)]
        cases["fold through the C entry"] = raw_path(x)
        cases["fold through the C entry, 1 element (host cost)"] = raw_path(one)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for name, fn in cases.items():
        issue = total = float("inf")
        for _ in range(3):
            sync()
            t0 = time.perf_counter()
            fn()
            t1 = time.perf_counter()
            sync()
            t2 = time.perf_counter()
            issue, total = min(issue, t1 - t0), min(total, t2 - t0)
        print(f"  {name}: {issue / n * 1e6:.2f} us issued, {total / n * 1e6:.2f} us completed")
        obs.flush()


def same_bits(a, b):
    """Bit-identical (NaN == NaN when the patterns are: torch.equal says NaN != NaN)."""
    a, b = a.detach().cpu().float().reshape(-1), b.detach().cpu().float().reshape(-1)
    return a.shape == b.shape and torch.equal(a.view(torch.int32), b.view(torch.int32))


def count_ops(model, states, loop, data):
    """Dispatcher calls (aten:: and qcfg:: ops, nested ones included, as torch.profiler records
    them) of one forward pass over the first batch: plain, then under calibration (the forward
    alone: what the loop repeats per batch, without the hooks' set-up and the fold at the end)."""
    from collections import Counter

    from torch.profiler import ProfilerActivity, profile

    def one(m):
        with torch.no_grad():
            m(data[0])

    def ops_of(fn):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            fn()
        return Counter(e.name for e in prof.events()
                       if e.name.startswith(("aten::", "qcfg::")))
    plain = ops_of(lambda: one(model))
    for q in states:
        for s in q.stages:
            s.amax = None
    counted = []
    calibration.calibrate(states, model, lambda m: counted.append(ops_of(lambda: one(m))))
    hooked = counted[0]
    extra = hooked - plain
    print(f"  ops per forward (one batch): plain {sum(plain.values())}, calibration "
          f"{sum(hooked.values())} (+{sum(extra.values())}: "
          + ", ".join(f"{k} {v}" for k, v in extra.most_common(8)) + ")")


if __name__ == "__main__":
    sys.exit(main())
