"""Where the KV-cache quantizers see their tensors: the query, key and value an attention module
hands to its attention kernel, as ModelOpt 0.47's HF plugin (`_QuantAttention`) quantizes them.

A transformers attention module calls `eager_attention_forward` or
`ALL_ATTENTION_FUNCTIONS[config._attn_implementation]` of its own Python module with
(module, query, key, value, ...): keys after the rotary embedding, before any repeat for grouped
heads. While the module runs we swap that function for one that passes q/k/v through `tap`. A
plain `nn.Module` attention calls `scaled_dot_product_attention(q, k, v)` (torch.nn.functional's,
or one its own Python module binds), swapped the same way for the duration of its forward.
"""

import inspect

import torch.nn.functional as F


def _config_of(module):
    """The module's config, else a child's (transformers 5 attention classes may not keep one)."""
    config = getattr(module, "config", None)
    if config is None:
        config = next((getattr(m, "config") for m in module.children() if hasattr(m, "config")),
                      None)
    return config


def _hf_interface(module, kwargs, pymod):
    """(owner, attribute or mapping key, is_mapping) of the function to swap, or None; the
    choice ModelOpt's _QuantAttention.forward makes (eager when the implementation is unset or
    eager, or sdpa asked for attention weights). pymod: the module's Python module."""
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


class _Swap:
    """Context manager: each (owner, key, is_mapping) holds wrapper_of(what it held) inside it,
    put back on exit (in reverse order). A plain class, not contextlib's generators: it runs on
    every forward of an attention module while the taps are on."""

    __slots__ = ("targets", "wrapper_of", "saved")

    def __init__(self, targets, wrapper_of):
        self.targets, self.wrapper_of, self.saved = targets, wrapper_of, []

    def __enter__(self):
        for owner, key, is_mapping in self.targets:
            original = owner[key] if is_mapping else getattr(owner, key)
            self.saved.append((owner, key, is_mapping, original))
            if is_mapping:
                owner[key] = self.wrapper_of(original)
            else:
                setattr(owner, key, self.wrapper_of(original))
        return self

    def __exit__(self, *exc):
        while self.saved:
            owner, key, is_mapping, original = self.saved.pop()
            if is_mapping:
                owner[key] = original
            else:
                setattr(owner, key, original)
        return False


def attention_tap(module, tap, kwargs=None, pymod=None, sdpa_owners=None):
    """A context manager: inside it, `module`'s attention kernel sees tap(q, k, v). pymod and
    sdpa_owners: inspect.getmodule(type(module)) and _sdpa_owners(module), when the caller has
    them (install looks them up once)."""
    if pymod is None:
        pymod = inspect.getmodule(type(module))
    hf = _hf_interface(module, kwargs or {}, pymod)
    if hf is not None:
        def wrap(original):
            def hf_attention(mod, query, key, value, *args, **kwargs):
                if mod is module:
                    query, key, value = tap(query, key, value)
                return original(mod, query, key, value, *args, **kwargs)
            return hf_attention
        return _Swap([hf], wrap)

    def wrap_sdpa(original):
        def sdpa(query, key, value, *args, **kwargs):
            query, key, value = tap(query, key, value)
            return original(query, key, value, *args, **kwargs)
        return sdpa
    owners = _sdpa_owners(module) if sdpa_owners is None else sdpa_owners
    if not owners:
        raise ValueError(f"{type(module).__name__}: no attention kernel to observe (neither a "
                         "transformers attention interface nor scaled_dot_product_attention)")
    return _Swap([(o, "scaled_dot_product_attention", False) for o in owners], wrap_sdpa)


def _sdpa_owners(module):
    """Where a plain attention module finds scaled_dot_product_attention: torch.nn.functional
    (PyTorch >= 2) and the module's own Python module, when it binds the name itself (an import
    by name, or its own kernel on older PyTorch)."""
    owners = [F] if hasattr(F, "scaled_dot_product_attention") else []
    pymod = inspect.getmodule(type(module))
    if pymod is not None and callable(getattr(pymod, "scaled_dot_product_attention", None)):
        owners.append(pymod)
    return owners


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
    pymod = inspect.getmodule(type(module))  # both fixed while the hooks are on
    owners = _sdpa_owners(module)

    def pre(mod, args, kwargs=None):
        cm = attention_tap(module, tap, kwargs, pymod, owners)
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
