#!/usr/bin/env python3
"""FP8 / NVFP4 post-training quantization of a Llama-style Hugging Face model with qcfg.

This is ModelOpt's usual PTQ script (examples/llm_ptq in ModelOpt) ported to qcfg; the lines
that changed are marked. The model, the data and the forward loop are the user's own.

    python examples/ptq_llama.py --model DIR --recipe recipes/ptq/fp8.yaml --out OUT \
        [--data calib.txt] [--samples 128] [--seq-len 512] [--device cuda]

Needs torch, transformers and the qcfg package built with LibTorch (docs/python.md). CI runs
main() end to end on a tiny model (tests/python/test_example.py) and checks the checkpoint it
writes against ModelOpt's export of the same model and data.
"""
import argparse
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

# ModelOpt: import modelopt.torch.quantization as mtq
# ModelOpt: from modelopt.torch.export import export_hf_checkpoint
import qcfg.torch as qtq  # changed

DEFAULT_TEXT = [
    "The quick brown fox jumps over the lazy dog.",
    "Post-training quantization calibrates activation ranges on a few hundred samples.",
    "Large language models store most of their parameters in linear layers.",
]


def calibration_texts(path, samples):
    if path is None:
        return (DEFAULT_TEXT * samples)[:samples]
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    return lines[:samples]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--recipe", default="recipes/ptq/fp8.yaml")  # ModelOpt: mtq.FP8_DEFAULT_CFG
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=None)
    ap.add_argument("--samples", type=int, default=128)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16)
    model = model.to(args.device).eval()
    texts = calibration_texts(args.data, args.samples)

    def forward_loop(m):
        with torch.no_grad():
            for i in range(0, len(texts), args.batch_size):
                batch = tokenizer(texts[i:i + args.batch_size], return_tensors="pt",
                                  padding=True, truncation=True, max_length=args.seq_len)
                m(**{k: v.to(args.device) for k, v in batch.items()})

    # ModelOpt: model = mtq.quantize(model, mtq.FP8_DEFAULT_CFG, forward_loop)
    model = qtq.quantize(model, args.recipe, forward_loop)  # changed
    for name, amax in sorted(qtq.activation_amax(model).items())[:4]:
        print(f"{name}: amax {float(amax):.6g}")

    # ModelOpt: export_hf_checkpoint(model, export_dir=args.out)
    qtq.export_hf_checkpoint(model, args.out)  # changed: the C++ runtime writes it, in process
    print(f"exported {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
