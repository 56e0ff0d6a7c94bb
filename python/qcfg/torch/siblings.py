"""The weight global amax ModelOpt 0.47 shares across fusible siblings at calibration
(modelopt/torch/quantization/utils/shared_input.py:58 SHARED_PATTERNS, :415
find_shared_input_groups, :314 SharedWeightGlobalAmaxState.finalize): modules with an enabled
weight quantizer whose names fully match one pattern with the same captured prefix form a group
(q/k/v of one attention, gate/up of one MLP, w1/w3 of one expert) when it has two or more
members; every NVFP4 static weight quantizer of the group then uses the max of the group's
calibrated amax as its global amax (core_utils.py:1078 promote_static_block_weight_quantizers).
The runtime does the same for its checkpoints (shared/spec/numerics.md §6.5)."""

import re

import torch

_PATTERNS = [re.compile(p) for p in (r"(?:(.*)\.)?(?:q_proj|k_proj|v_proj)",
                                     r"(?:(.*)\.)?(?:gate_proj|up_proj)",
                                     r"(?:(.*)\.)?(?:w1|w3)")]


def _group_key(module_name):
    for i, pattern in enumerate(_PATTERNS):
        m = pattern.fullmatch(module_name)
        if m is not None:
            return i, m.groups()
    return None


def _first_calibrated(q):
    return next((s for s in q.stages if s.enabled and s.amax is not None), None)


def share_weight_global_amax(quantizers):
    """Sets `global_amax` on the NVFP4 static stages of every sibling group among `quantizers`
    (their weight quantizers, calibrated)."""
    groups = {}
    for q in quantizers:
        if q.site.role == "weight" and q.enabled:
            key = _group_key(q.site.module_name)
            if key is not None:
                groups.setdefault(key, []).append(q)
    for members in groups.values():
        if len(members) < 2:
            continue
        amaxes = [s.amax.max() for s in map(_first_calibrated, members) if s is not None]
        if not amaxes:
            continue
        shared = float(torch.max(torch.stack(amaxes)).to(torch.float32))
        for q in members:
            for s in q.stages:
                if s.enabled and s.nvfp4_static:
                    s.global_amax = shared
