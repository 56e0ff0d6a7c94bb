"""`python -m qcfg calibrate`: load a Hugging Face model with transformers, run calibration text
through it, and write the amax file `qcfg ptq --act-amax` reads (or, with --out, the quantized
checkpoint). A progress bar on a terminal shows the calibration batches."""

import argparse
import json
import os
import sys
import time
import warnings

USAGE_EPILOG = """The data file is plain text (one sample per non-empty line) or JSON lines
(`{"text": ...}` per line). Exit status: 0 done, 1 calibration or export failed, 2 usage error
or a missing dependency (torch, transformers)."""


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m qcfg calibrate", epilog=USAGE_EPILOG,
                                description="Calibrate activation and KV-cache amax on a model.")
    p.add_argument("--model", required=True, help="Hugging Face model directory")
    p.add_argument("--recipe", required=True, help="recipe or quant_cfg file")
    p.add_argument("--data", required=True, help="calibration text (.txt) or JSON lines (.jsonl)")
    p.add_argument("--amax-out", default=None,
                   help="where to write the amax file (default: <model>.act_amax.json)")
    p.add_argument("--out", default=None, help="also export the quantized checkpoint here")
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--dtype", default="auto", choices=["auto", "bfloat16", "float16", "float32"])
    p.add_argument("--recipe-root", default=None)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    for name in ("samples", "seq_len", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def read_samples(path, limit):
    """Samples of a .txt (one per non-empty line) or .jsonl ({"text": ...}) file."""
    samples = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if path.endswith(".jsonl"):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{lineno}:{e.colno}: not JSON: {e.msg}") from None
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    raise ValueError(f"{path}:{lineno}:1: expected an object with a \"text\" string")
                line = record["text"]
            samples.append(line)
            if len(samples) >= limit:
                break
    if not samples:
        raise ValueError(f"{path}: no calibration samples")
    return samples


class ProgressBar:
    """A one-line bar on a terminal; a line per tenth otherwise; nothing when quiet."""

    def __init__(self, total, quiet, stream=sys.stderr):
        self.total, self.quiet, self.stream = total, quiet, stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last_tenth = -1

    def update(self, done):
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        if self.tty:
            width = 30
            filled = width * done // self.total
            self.stream.write(f"\rcalibrating [{'#' * filled}{'.' * (width - filled)}] "
                              f"{done}/{self.total} batches {elapsed:.1f}s")
            if done == self.total:
                self.stream.write("\n")
        elif done * 10 // self.total != self.last_tenth:
            self.last_tenth = done * 10 // self.total
            self.stream.write(f"calibrating: {done}/{self.total} batches {elapsed:.1f}s\n")
        self.stream.flush()


def batches(tokenizer, samples, args):
    for i in range(0, len(samples), args.batch_size):
        enc = tokenizer(samples[i:i + args.batch_size], return_tensors="pt", padding=True,
                        truncation=True, max_length=args.seq_len)
        yield {k: v.to(args.device) for k, v in enc.items()}


def load_model(args):
    import torch
    import transformers
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    dtype = "auto" if args.dtype == "auto" else getattr(torch, args.dtype)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    # transformers 5 takes `dtype`; 4.x `torch_dtype`
    major = int(str(getattr(transformers, "__version__", "5")).split(".")[0])
    kw = {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}
    try:
        model = AutoModelForCausalLM.from_pretrained(args.model, **kw)
    except ValueError:  # not a causal LM (an encoder such as all-MiniLM-L6-v2)
        model = AutoModel.from_pretrained(args.model, **kw)
    return tokenizer, model.to(args.device).eval()


def main(argv):
    args = parse_args(argv)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(f"error: python -m qcfg calibrate needs torch and transformers ({e}); "
              "pip install torch transformers", file=sys.stderr)
        return 2
    import qcfg.torch as qtq
    from qcfg._native import QcfgError, QcfgWarning

    try:
        samples = read_samples(args.data, args.samples)
        tokenizer, model = load_model(args)
        n_batches = (len(samples) + args.batch_size - 1) // args.batch_size
        bar = ProgressBar(n_batches, args.quiet)

        def forward_loop(m):
            for i, batch in enumerate(batches(tokenizer, samples, args), 1):
                m(**batch)
                bar.update(i)

        with warnings.catch_warnings(record=True) as findings:
            warnings.simplefilter("always", QcfgWarning)
            qtq.quantize(model, args.recipe, forward_loop, recipe_root=args.recipe_root)
        for w in findings:
            print(w.message, file=sys.stderr)
        amax_out = args.amax_out or os.path.normpath(args.model) + ".act_amax.json"
        from qcfg.torch.export import write_amax_file
        written = write_amax_file(qtq.activation_amax(model), amax_out)
        print(f"wrote {len(written)} activation amax to {amax_out}", file=sys.stderr)
        if model._qcfg.gptq is not None and not args.out:
            print("note: the recipe's GPTQ changed the model's weights; the amax file alone "
                  "does not carry them: pass --out to export the GPTQ checkpoint",
                  file=sys.stderr)
        if args.out:
            qtq.export_hf_checkpoint(model, args.out, checkpoint_dir=args.model)
            print(f"exported {args.out}", file=sys.stderr)
    except (QcfgError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
