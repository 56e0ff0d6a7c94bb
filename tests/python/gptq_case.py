"""The plain-module GPTQ case shared by test_gptq.py (qcfg.torch, CI's torch) and
tools/modelopt/record_gptq_golden.py (ModelOpt 0.47, which wrote gptq_golden.json).

Weights and data come from integer arithmetic divided by a power of two, so every torch
version builds the same bytes (no RNG, no transcendental functions)."""

import hashlib
import os

import torch

import models

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gptq_case.yaml")


def modelopt_config():
    """CONFIG as the dict mtq.quantize takes (PyYAML keeps the -1 block key an int)."""
    import yaml

    with open(CONFIG) as f:
        return yaml.safe_load(f)


def pseudo(n, seed, scale_log2=14):
    """n values in [-1000, 1000] / 2**scale_log2, from a 32-bit multiplicative hash."""
    i = torch.arange(n, dtype=torch.int64)
    x = (i * 2654435761 + seed * 40503) % (1 << 32)
    return (((x >> 7) % 2001) - 1000).to(torch.float32) / float(1 << scale_log2)


def model():
    m = models.MLP()
    with torch.no_grad():
        for k, (name, p) in enumerate(m.named_parameters()):
            p.copy_(pseudo(p.numel(), 11 + k, 12).reshape(p.shape).to(p.dtype))
    return m.eval()


def data():
    return [pseudo(4 * 8 * 64, 100 + b, 8).reshape(4, 8, 64).to(torch.bfloat16)
            for b in range(3)]


def hf_like(pretrained_model, config=None):
    """Two copies of model() as the decoder layers of a model shaped like a transformers one
    (model.model.layers, as ModelOpt's layerwise calibration finds them), on `pretrained_model`:
    transformers.PreTrainedModel (with `config`) for ModelOpt, a stand-in in CI."""

    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([model(), model()])

    class HfLike(pretrained_model):
        def __init__(self):
            super().__init__(*([config] if config is not None else []))
            self.model = Decoder()

        def forward(self, x):
            for layer in self.model.layers:
                x = layer(x)
            return x

    return HfLike().eval()


def layerwise_config(directory):
    """CONFIG with `layerwise: {enable: true}`, written into `directory`; its path."""
    with open(CONFIG) as f:
        text = f.read() + "  layerwise: {enable: true}\n"
    path = os.path.join(directory, "gptq_case_layerwise.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def forward_loop(model):
    with torch.no_grad():
        for x in data():
            model(x)


def digest(t):
    t = t.detach().cpu().contiguous()
    return hashlib.sha256(t.view(torch.uint8).numpy().tobytes()).hexdigest()
