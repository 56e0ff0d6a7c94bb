"""A stand-in for transformers' Auto classes, used only by tests/python/test_calibrate_cli.py to
run `python -m qcfg calibrate` end to end where transformers is not installed (CI). The model is
tests/python/models.py's TinyModel, loaded from the directory's model.safetensors; the tokenizer
maps characters to ids. Nothing else of transformers is imitated."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import models  # noqa: E402
from qcfg.torch import safetensors_io  # noqa: E402

VOCAB = 100
__version__ = "5.0.0-qcfg-test-stand-in"


def encode(texts, max_length):
    rows = [[ord(c) % VOCAB for c in t][:max_length] for t in texts]
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask}


class _Tokenizer:
    pad_token = "<pad>"
    eos_token = "<eos>"
    unk_token = None

    def __call__(self, texts, return_tensors=None, padding=True, truncation=True, max_length=512):
        return encode(texts, max_length)


class AutoTokenizer:
    @staticmethod
    def from_pretrained(path):
        return _Tokenizer()


class TinyCausalLM(models.TinyModel):
    def forward(self, input_ids, attention_mask=None):
        return super().forward(input_ids)


class AutoModelForCausalLM:
    @staticmethod
    def from_pretrained(path, dtype=None):
        model = TinyCausalLM()
        state = safetensors_io.load_file(os.path.join(path, "model.safetensors"))
        model.load_state_dict(state)
        model.name_or_path = path
        return model


AutoModel = AutoModelForCausalLM
