"""Layer-by-layer calibration as ModelOpt 0.47 runs it (`layerwise: {enable: true}`;
modelopt/torch/quantization/model_calib.py:2051 layerwise_calibrate, utils/layerwise_calib.py:104
LayerActivationCollector), so that each decoder layer is calibrated on the inputs ModelOpt hands
it, down to the objects in its keyword arguments.

Each decoder layer's forward is replaced by one with a mode:
  capture   records (args, kwargs) and stops the model's forward (the model returns None);
  run       ignores what it is given and replays its own recorded inputs, one per call;
  skip      returns zeros on the meta device shaped like its last output;
  original  the layer's forward.
Layer 0's inputs are captured by the user's forward loop; the layer is calibrated by replaying
them (before each replay a KV cache in the kwargs is `reset()`, as ModelOpt does: a transformers
DynamicCache keeps its zeroed keys, so replays after the first attend to them too); then the
next layer's inputs are captured by the forward loop again with this layer in `run` (its
quantizers on when `get_qdq_activations_from_prev_layer`, GPTQ's default; off before calibration
otherwise) and the layer before it in `skip`.

The decoder layers are ModelOpt's (plugins/huggingface.py:1809): `model.model.layers` (or
`.language_model.layers`, or `model.layers`) of a transformers model whose layers are all of one
class.
"""

import collections

import torch

from qcfg._native import QcfgError
from qcfg.torch import calibration, inventory


class _Stop(Exception):
    """Raised by a capturing layer to end the model's forward early."""


def decoder_layers(model):
    """The decoder layers ModelOpt's layerwise calibration walks, or None."""
    if not inventory.is_hf_model(model):
        return None
    decoder = getattr(model, "model", model)
    decoder = getattr(decoder, "language_model", decoder)
    layers = getattr(decoder, "layers", None)
    if layers is None or len(layers) == 0 or len({type(m) for m in layers}) != 1:
        return None
    return layers


def _meta_like(output):
    if isinstance(output, torch.Tensor):
        return torch.zeros(output.shape, dtype=output.dtype, device="meta")
    if isinstance(output, (tuple, list)):
        return type(output)(_meta_like(o) for o in output)
    return output


class _Layer:
    """One decoder layer's mode and recorded inputs."""

    def __init__(self, module):
        self.module, self.mode = module, "original"
        self.captured, self.replay, self.last_output = [], collections.deque(), None
        self.forward, self.own = module.forward, module.__dict__.get("forward")
        module.forward = self._forward

    def _forward(self, *args, **kwargs):
        if self.mode == "skip":
            return _meta_like(self.last_output)
        if self.mode == "run":
            real_args, real_kwargs = self.replay.popleft()
            out = self.forward(*real_args, **real_kwargs)
            self.last_output = out
            return out
        if self.mode == "capture":
            self.captured.append((args, kwargs))
            raise _Stop()
        return self.forward(*args, **kwargs)

    def restore(self):
        _restore_forward(self.module, self.own)


def _restore_forward(module, own):
    """Puts back an instance-level forward (accelerate's hooks set one) or removes ours."""
    if own is not None:
        module.forward = own
    else:
        module.__dict__.pop("forward", None)


def _replay_loop(inputs):
    """forward_loop of one layer: its recorded inputs, a KV cache in them reset first."""
    def loop(layer):
        for args, kwargs in inputs:
            cache = kwargs.get("past_key_values")
            if cache is not None:
                kwargs = dict(kwargs)
                if hasattr(cache, "reset"):
                    cache.reset()
                else:
                    kwargs["past_key_values"] = None
            layer(*args, **kwargs)
    return loop


class _Collector:
    def __init__(self, model, layers, forward_loop):
        self.model, self.forward_loop = model, forward_loop
        self.layers = [_Layer(m) for m in layers]
        self.model_forward, self.own = model.forward, model.__dict__.get("forward")
        model.forward = self._model_forward

    def _model_forward(self, *args, **kwargs):
        try:
            return self.model_forward(*args, **kwargs)
        except _Stop:
            return None

    def inputs_of(self, i):
        """Layer i's inputs from one run of the forward loop (layer i-1 replaying, i-2 skipped)."""
        if i > 1:
            self.layers[i - 2].mode = "skip"
            self.layers[i - 2].replay.clear()
        if i > 0:
            prev = self.layers[i - 1]
            prev.mode, prev.replay, prev.captured = "run", collections.deque(prev.captured), []
        layer = self.layers[i]
        layer.mode, layer.captured = "capture", []
        try:
            with torch.no_grad():
                self.forward_loop(self.model)
        finally:
            layer.mode = "original"
        if not layer.captured:
            raise QcfgError(f"layerwise calibration: decoder layer {i} saw no input in the "
                            "forward loop; run a forward loop that calls the model")
        return list(layer.captured)

    def restore(self):
        for layer in self.layers:
            layer.restore()
        _restore_forward(self.model, self.own)


def _outside(state, layers):
    inside = {id(m) for layer in layers for m in layer.modules()}
    return [q.name for q in state.quantizers if q.enabled and id(q.site.module) not in inside]


def _quantizing(state, layer):
    """The hooks that make `layer` run quantized (its own quantizers, as calibrated)."""
    own = {id(m) for m in layer.modules()}
    qs = [q for q in state.quantizers if id(q.site.module) in own]
    acts = [q for q in qs if q.site.role not in ("weight", "expert_weight")]
    return (calibration.install_weight_hooks(qs, state)  # before the experts' taps, as quantize
            + calibration.install_activation_hooks(acts, calibration.fake_quantize))


def calibrate(model, forward_loop, state, calibrate_layer, qdq_from_prev):
    """calibrate_layer(layer, loop) for each decoder layer in order, on the inputs ModelOpt's
    layerwise_calibrate gives it."""
    layers = decoder_layers(model)
    if layers is None:
        raise QcfgError("layerwise calibration needs a transformers model whose decoder layers "
                        "(model.model.layers) are all of one class, as ModelOpt's does; set "
                        "algorithm.layerwise.enable to false")
    outside = _outside(state, layers)
    if outside:
        raise QcfgError(f"layerwise calibration calibrates the decoder layers only, and "
                        f"{len(outside)} enabled quantizer(s) are outside them (first: "
                        f"{outside[0]}); ModelOpt leaves those uncalibrated; disable them")
    collector = _Collector(model, layers, forward_loop)
    try:
        inputs = collector.inputs_of(0)
        for i, layer in enumerate(layers):
            last = i + 1 == len(layers)
            if not last and not qdq_from_prev:
                next_inputs = collector.inputs_of(i + 1)
                collector.layers[i].mode = "original"
            calibrate_layer(layer, _replay_loop(inputs))
            if not last and qdq_from_prev:
                hooks = _quantizing(state, layer)
                try:
                    next_inputs = collector.inputs_of(i + 1)
                finally:
                    for h in hooks:
                        h.remove()
            inputs = None if last else next_inputs
    finally:
        collector.restore()
