"""Calibration spread over the ranks of torch.distributed: each rank runs the forward loop on its
share of the batches, then every activation amax is reduced with MAX across the ranks (what
ModelOpt's distributed sync of max calibration does), so each rank holds the amax one process
would have calibrated on all batches (max is exact and order-free: the same bits)."""

import torch

from qcfg._native import QcfgError


def world():
    """The default process group's size, 1 when torch.distributed is not initialized."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size()


def _reduce_device():
    backend = torch.distributed.get_backend()
    if backend == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _stages(quantizers):
    return [(q, s) for q in quantizers for s in q.stages if s.enabled and s.needs_calibration]


def reduce_amax(quantizers):
    """MAX-reduces every calibrated activation amax across the ranks, in place. Stages are taken
    in the quantizers' order, which is the model's (the same on every rank). A quantizer one rank
    saw and another did not is reduced too when its amax is per tensor; a per-channel or
    per-block one must be seen on every rank (its shape is not known elsewhere)."""
    if world() < 2:
        return
    dist, device = torch.distributed, _reduce_device()
    stages = _stages(quantizers)
    seen = torch.tensor([float(s.amax is not None) for _, s in stages], device=device)
    everywhere = seen.clone()
    dist.all_reduce(seen, op=dist.ReduceOp.MAX)
    dist.all_reduce(everywhere, op=dist.ReduceOp.MIN)
    for i, (q, s) in enumerate(stages):
        if not bool(seen[i]):
            continue  # no rank saw it: left uncalibrated, quantize says so
        if not bool(everywhere[i]) and not s.per_tensor:
            raise QcfgError(f"{q.name}: seen on some ranks only, and its amax is per channel or "
                            "per block; give every rank batches that reach it")
        local = s.amax if s.amax is not None else torch.tensor(float("-inf"))
        t = local.detach().to(device, torch.float32).clone()
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        home = s.amax.device if s.amax is not None else device
        s.amax = t.to(home)
