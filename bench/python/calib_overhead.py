#!/usr/bin/env python3
"""Cost of qcfg's calibration hooks: the forward loop run plainly, then under
qcfg.torch.calibration's observing hooks (as quantize runs it), same model and batches, best of
--repeat each. A benchmark, not a test (the issue's target: at most 1.1x a plain forward).

  PYTHONPATH=python QCFG_TORCH_OPS=build/python/libqcfg_torch_ops.so \\
  QCFG_EXECUTABLE=build/tools/qcfg/qcfg python3 bench/python/calib_overhead.py \\
      [--device cpu|cuda] [--layers 8] [--dim 1024] [--tokens 2048] [--batches 8] [--repeat 3]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch
import torch.nn as nn

import qcfg.torch as qtq
from qcfg.torch import calibration
from qcfg.torch.inventory import build_inventory
from qcfg.torch.model_state import state_from_record

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


def timed(fn, device, repeat):
    best = float("inf")
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--recipe", default=os.path.join(ROOT, "recipes", "ptq", "fp8.yaml"))
    args = ap.parse_args()
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    model = Stack(args.layers, args.dim, dtype).to(args.device).eval()
    data = [torch.randn(args.tokens, args.dim, dtype=dtype, device=args.device)
            for _ in range(args.batches)]

    def loop(m):
        with torch.no_grad():
            for b in data:
                m(b)

    inv = build_inventory(model)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "inv.json")
        with open(path, "w") as f:
            json.dump(inv.to_json("bench"), f)
        plan_path = os.path.join(d, "plan.json")
        qtq.run_qcfg(["compile", args.recipe, "--inventory", path, "-o", plan_path], quiet=True)
        with open(plan_path) as f:
            records = {r["name"]: r for r in json.load(f)["quantizers"]}
    states = [state_from_record(s, records[s.name]) for s in inv.sites
              if s.role not in ("weight", "expert_weight")]
    loop(model)  # warm-up
    plain = timed(lambda: loop(model), args.device, args.repeat)
    hooked = timed(lambda: calibration.calibrate(states, model, loop), args.device, args.repeat)
    calibrated = sum(1 for q in states if q.needs_calibration)
    print(f"device {args.device}, {args.layers} x Linear({args.dim}), {args.batches} batches of "
          f"{args.tokens} tokens, {calibrated} calibrated quantizers: plain {plain * 1e3:.1f} ms, "
          f"calibration {hooked * 1e3:.1f} ms, ratio {hooked / plain:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
