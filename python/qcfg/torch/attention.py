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


def _config_of(module):
    """The module's config, else a child's (transformers 5 attention classes may not keep one)."""
    config = getattr(module, "config", None)
    if config is None:
        config = next((getattr(m, "config") for m in module.children() if hasattr(m, "config")),
                      None)
    return config


def _hf_interface(module, kwargs):
    """(owner, attribute or mapping key, is_mapping) of the function to swap, or None; the
    choice ModelOpt's _QuantAttention.forward makes (eager when the implementation is unset or
    eager, or sdpa asked for attention weights)."""
    pymod = inspect.getmodule(type(module))
    if pymod is None or getattr(pymod, "ALL_ATTENTION_FUNCTIONS", None) is None:
        return None
    config = _config_of(module)
    impl = getattr(config, "_attn_implementation", None) if config is not None else None
    if impl in (None, "eager") or (impl == "sdpa" and kwargs.get("output_attentions", False)):
        if not hasattr(pymod, "eager_attention_forward"):
            raise ValueError(f"{type(module).__name__}: its module has no eager_attention_forward "
                             "for the KV-cache quantizers to observe; load the model with "
                             "attn_implementation='sdpa'")
        return pymod, "eager_attention_forward", False
    return pymod.ALL_ATTENTION_FUNCTIONS, impl, True


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


def attention_tap(module, tap, kwargs=None):
    """A context manager: inside it, `module`'s attention kernel sees tap(q, k, v)."""
    hf = _hf_interface(module, kwargs or {})
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

    def pre(mod, args, kwargs=None):
        cm = attention_tap(module, tap, kwargs)
        cm.__enter__()
        taps.open.append(cm)

    def post(mod, args, output):
        if taps.open:
            taps.open.pop().__exit__(None, None, None)

    try:  # PyTorch >= 2.0 hands the hook the forward's keyword arguments (output_attentions)
        pre_handle = module.register_forward_pre_hook(pre, with_kwargs=True)
    except TypeError:
        pre_handle = module.register_forward_pre_hook(pre)
    return [pre_handle, module.register_forward_hook(post), taps]
