"""Where the KV-cache quantizers see their tensors: the query, key and value an attention module
hands to its attention kernel, as ModelOpt 0.47's HF plugin (`_QuantAttention`) quantizes them.

A transformers attention module calls `eager_attention_forward` or
`ALL_ATTENTION_FUNCTIONS[config._attn_implementation]` of its own Python module with
(module, query, key, value, ...): keys after the rotary embedding, before any repeat for grouped
heads. While taps are installed those functions are swapped, once, for wrappers that pass q/k/v
through the calling module's `tap` (the module is their first argument, so one wrapper serves
every tapped module and no hook runs per forward: hooks would put each attention module on
nn.Module's slow call path and open and close a swap per call). A plain `nn.Module` attention
calls `scaled_dot_product_attention(q, k, v)` (torch.nn.functional's, or one its own Python
module binds), which names no module: that one is swapped for the duration of each forward.
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


class _Swap:
    """Context manager: each owner's `name` holds wrapper_of(what it held) inside it, put back on
    exit (in reverse order). A plain class, not contextlib's generators: it runs on every forward
    of a plain attention module while the taps are on."""

    __slots__ = ("owners", "name", "wrapper_of", "saved")

    def __init__(self, owners, name, wrapper_of):
        self.owners, self.name, self.wrapper_of, self.saved = owners, name, wrapper_of, []

    def __enter__(self):
        for owner in self.owners:
            original = getattr(owner, self.name)
            self.saved.append((owner, original))
            setattr(owner, self.name, self.wrapper_of(original))
        return self

    def __exit__(self, *exc):
        while self.saved:
            owner, original = self.saved.pop()
            setattr(owner, self.name, original)
        return False


def attention_tap(module, tap, sdpa_owners=None):
    """A context manager for a plain attention module: inside it, the
    scaled_dot_product_attention `module` calls sees tap(q, k, v). sdpa_owners:
    _sdpa_owners(module), when the caller has it (install looks it up once)."""
    def wrap_sdpa(original):
        def sdpa(query, key, value, *args, **kwargs):
            query, key, value = tap(query, key, value)
            return original(query, key, value, *args, **kwargs)
        return sdpa
    owners = _sdpa_owners(module) if sdpa_owners is None else sdpa_owners
    if not owners:
        raise ValueError(f"{type(module).__name__}: no attention kernel to observe (neither a "
                         "transformers attention interface nor scaled_dot_product_attention)")
    return _Swap(owners, "scaled_dot_product_attention", wrap_sdpa)


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


class _SharedSwap:
    """One transformers attention function (owner[key] or owner.key) swapped for a wrapper while
    any module has a tap on it: the wrapper passes q/k/v through taps[module] when the calling
    module has one and calls the original either way."""

    def __init__(self, owner, key, is_mapping):
        self.owner, self.key, self.is_mapping, self.taps = owner, key, is_mapping, {}
        self.original = owner[key] if is_mapping else getattr(owner, key)
        taps, original = self.taps, self.original

        def hf_attention(mod, query, key, value, *args, **kwargs):
            tap = taps.get(mod)
            if tap is not None:
                query, key, value = tap(query, key, value)
            return original(mod, query, key, value, *args, **kwargs)
        self.wrapper = hf_attention
        self._set(hf_attention)

    def _get(self):
        return self.owner[self.key] if self.is_mapping else getattr(self.owner, self.key)

    def _set(self, fn):
        if self.is_mapping:
            self.owner[self.key] = fn
        else:
            setattr(self.owner, self.key, fn)

    def restore(self):
        # Put back only what we set: a wrapper set over ours since stays (ours, left under it,
        # passes every call through once no module has a tap).
        if self._get() is self.wrapper:
            self._set(self.original)


_shared_swaps = {}  # (id(owner), key) -> _SharedSwap, while some module has a tap on it


class _HfTap:
    """`module`'s tap on the attention functions it may call; remove() takes it off, and puts
    a function back once no module taps it."""

    def __init__(self, module, tap, targets):
        self.module, self.swaps = module, []
        for owner, key, is_mapping in targets:
            swap = _shared_swaps.get((id(owner), key))
            if swap is None:
                swap = _shared_swaps[(id(owner), key)] = _SharedSwap(owner, key, is_mapping)
            swap.taps[module] = tap
            self.swaps.append(swap)

    def remove(self):
        for swap in self.swaps:
            swap.taps.pop(self.module, None)
            if not swap.taps:
                swap.restore()
                _shared_swaps.pop((id(swap.owner), swap.key), None)
        self.swaps = []


def _hf_targets(module, pymod):
    """The transformers attention functions `module` may call, or None for a plain module: the
    implementation its config names (ALL_ATTENTION_FUNCTIONS) and its Python module's eager
    function, which it calls instead when the implementation is unset or eager, or sdpa is asked
    for attention weights (ModelOpt's _QuantAttention makes the same choice); the one it calls
    is tapped. The implementation is read here, when the taps go on."""
    if pymod is None or getattr(pymod, "ALL_ATTENTION_FUNCTIONS", None) is None:
        return None
    config = _config_of(module)
    impl = getattr(config, "_attn_implementation", None) if config is not None else None
    targets = []
    if hasattr(pymod, "eager_attention_forward"):
        targets.append((pymod, "eager_attention_forward", False))
    elif impl in (None, "eager"):
        raise ValueError(f"{type(module).__name__}: its module has no eager_attention_forward "
                         "for the KV-cache quantizers to observe; load the model with "
                         "attn_implementation='sdpa'")
    if impl not in (None, "eager"):
        targets.append((pymod.ALL_ATTENTION_FUNCTIONS, impl, True))
    return targets


def install(module, tap):
    """Taps `module`'s attention kernel with tap(q, k, v) until the returned removables are
    removed: a transformers module through the shared swaps above, a plain one through hooks
    that hold attention_tap(module, tap) open during each forward."""
    targets = _hf_targets(module, inspect.getmodule(type(module)))
    if targets is not None:
        return [_HfTap(module, tap, targets)]
    taps = _OpenTaps()
    owners = _sdpa_owners(module)

    def pre(mod, args):
        cm = attention_tap(module, tap, owners)
        cm.__enter__()
        taps.open.append(cm)

    def post(mod, args, output):
        if taps.open:
            taps.open.pop().__exit__(None, None, None)

    return [module.register_forward_pre_hook(pre), module.register_forward_hook(post), taps]
