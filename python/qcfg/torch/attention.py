"""Where the KV-cache quantizers see their tensors: the query, key and value an attention module
hands to its attention kernel, as ModelOpt 0.47's HF plugin (`_QuantAttention`) quantizes them.

A transformers attention module calls `eager_attention_forward` or
`ALL_ATTENTION_FUNCTIONS[config._attn_implementation]` of its own Python module with
(module, query, key, value, ...): keys after the rotary embedding, before any repeat for grouped
heads. While the module runs we swap that function for one that passes q/k/v through `tap`. A
plain `nn.Module` attention calls `scaled_dot_product_attention(q, k, v)` (torch.nn.functional's,
or one its own Python module binds), swapped the same way for the duration of its forward.
"""

import contextlib
import inspect

import torch.nn.functional as F


def _hf_interface(module):
    """(python module, attribute or mapping key, is_mapping) of the function to swap, or None."""
    pymod = inspect.getmodule(type(module))
    config = getattr(module, "config", None)
    impl = getattr(config, "_attn_implementation", None) if config is not None else None
    if impl in (None, "eager"):
        if pymod is not None and hasattr(pymod, "eager_attention_forward"):
            return pymod, "eager_attention_forward", False
        return None
    table = getattr(pymod, "ALL_ATTENTION_FUNCTIONS", None)
    if table is not None:
        return table, impl, True
    return None


@contextlib.contextmanager
def _swapped(owner, key, is_mapping, wrapper_of):
    original = owner[key] if is_mapping else getattr(owner, key)
    replacement = wrapper_of(original)
    if is_mapping:
        owner[key] = replacement
    else:
        setattr(owner, key, replacement)
    try:
        yield
    finally:
        if is_mapping:
            owner[key] = original
        else:
            setattr(owner, key, original)


def attention_tap(module, tap):
    """A context manager: inside it, `module`'s attention kernel sees tap(q, k, v)."""
    hf = _hf_interface(module)
    if hf is not None:
        def wrap(original):
            def hf_attention(mod, query, key, value, *args, **kwargs):
                if mod is module:
                    query, key, value = tap(query, key, value)
                return original(mod, query, key, value, *args, **kwargs)
            return hf_attention
        return _swapped(*hf, wrap)

    def wrap_sdpa(original):
        def sdpa(query, key, value, *args, **kwargs):
            query, key, value = tap(query, key, value)
            return original(query, key, value, *args, **kwargs)
        return sdpa
    owners = _sdpa_owners(module)
    if not owners:
        raise ValueError(f"{type(module).__name__}: no attention kernel to observe (neither a "
                         "transformers attention interface nor scaled_dot_product_attention)")
    return _all_swapped([(o, "scaled_dot_product_attention", False) for o in owners], wrap_sdpa)


def _sdpa_owners(module):
    """Where a plain attention module finds scaled_dot_product_attention: torch.nn.functional
    (PyTorch >= 2) and the module's own Python module, when it binds the name itself (an import
    by name, or its own kernel on older PyTorch)."""
    owners = [F] if hasattr(F, "scaled_dot_product_attention") else []
    pymod = inspect.getmodule(type(module))
    if pymod is not None and callable(getattr(pymod, "scaled_dot_product_attention", None)):
        owners.append(pymod)
    return owners


@contextlib.contextmanager
def _all_swapped(targets, wrapper_of):
    with contextlib.ExitStack() as stack:
        for owner, key, is_mapping in targets:
            stack.enter_context(_swapped(owner, key, is_mapping, wrapper_of))
        yield


class _OpenTaps:
    """Closes taps left open by a forward that raised (its post hook never ran)."""

    def __init__(self):
        self.open = []

    def remove(self):
        while self.open:
            self.open.pop().__exit__(None, None, None)


def install(module, tap):
    """Hooks that hold attention_tap(module, tap) open during each forward; returns removables."""
    taps = _OpenTaps()

    def pre(mod, args):
        cm = attention_tap(module, tap)
        cm.__enter__()
        taps.open.append(cm)

    def post(mod, args, output):
        if taps.open:
            taps.open.pop().__exit__(None, None, None)

    return [module.register_forward_pre_hook(pre), module.register_forward_hook(post), taps]
