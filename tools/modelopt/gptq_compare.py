#!/usr/bin/env python3
"""qcfg.torch's GPTQ against the real ModelOpt 0.47 GPTQ, on the same model, batches and device.

For each golden checkpoint (tests/modelopt/checkpoints/<arch>) and the GPTQ recipe
(nvfp4_default-kv_none-gptq: NVFP4 static weights, NVFP4 inputs, layerwise GPTQ), both sides
load the checkpoint in bf16 on --device, quantize it with the golden harness's forward loop
(tools/gpu/modelopt/run_modelopt.py: two seeded batches of 2x32 tokens), and the script compares
bit for bit: every parameter after GPTQ, every activation amax, every weight quantizer's
per-block amax and global amax, and every parameter after fold_weight.

--device cuda: ModelOpt runs as it ran for the goldens (its Triton NVFP4 kernels).
--device cpu: ModelOpt's two NVFP4 fake-quant kernels cannot run there: the static one is Triton
only (modelopt/torch/quantization/tensor_quant.py:586 raises without Triton, and
kernels/quantization/gemm/fp4_kernel.py:314 launches it under torch.cuda.device), and the
dynamic one takes an eager path with IEEE division (not the Triton kernel the goldens used). So
on the CPU ModelOpt's quantizers call qcfg's kernels for those two (the equality of those
kernels with ModelOpt's Triton ones is what tests/modelopt's fake goldens check); everything
else — layerwise capture and replay, max calibration, Hessians, damping, Cholesky, the column
updates — is ModelOpt's own code.

  /work/venv-mo/bin/python tools/modelopt/gptq_compare.py --device cpu [--archs llama,qwen3]
  ... gptq_compare.py --goldens --device cpu|cuda   qcfg.torch alone against the H200 goldens
  (PYTHONPATH=python QCFG_TORCH_OPS=<op library built against this torch>
   QCFG_EXECUTABLE=<build>/tools/qcfg/qcfg)
Exit status 0 when every compared tensor is identical.
"""
import argparse
import contextlib
import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "modelopt"
RECIPE = "nvfp4_default-kv_none-gptq"
sys.path.insert(0, str(ROOT / "tools" / "gpu" / "modelopt"))
sys.path.insert(0, str(ROOT / "python"))


def load(arch, device):
    import torch
    import transformers

    m = transformers.AutoModelForCausalLM.from_pretrained(str(GOLD / "checkpoints" / arch),
                                                          dtype=torch.bfloat16)
    return m.to(device).eval()


def forward_loop(device):
    import torch

    import run_modelopt  # the goldens' batches

    batches = run_modelopt.calib_batches()

    def loop(model):
        with torch.no_grad():
            for b in batches:
                model(input_ids=b.to(device))
    return loop


@contextlib.contextmanager
def qcfg_kernels_in_modelopt():
    """ModelOpt's NVFP4 fake quant (static weights, dynamic inputs) computed by qcfg's kernels."""
    import modelopt.torch.quantization.nn.modules.tensor_quantizer as tq

    import qcfg.torch as qtq

    ops = qtq.ops()
    static_attrs = json.dumps({"num_bits": [2, 1], "block_sizes": {
        "-1": 16, "type": "static", "scale_bits": [4, 3]}})
    saved = tq.static_blockwise_fp4_fake_quant, tq.dynamic_block_quant
    original_dynamic = saved[1]

    def static(x, amax, global_amax, quantize_scales, fp8_max, out_dtype, *rest):
        assert quantize_scales and fp8_max == 448.0, "only NVFP4 with E4M3 block scales"
        y = ops.fake_quant(x.contiguous(), static_attrs, amax.reshape(-1),
                           float(global_amax))
        return y.to(out_dtype or x.dtype)

    def dynamic(x, block, amax, bias, num_bits, scale_bits, *rest):
        if tuple(num_bits) == (2, 1) and tuple(scale_bits or ()) == (4, 3) and block == 16:
            return ops.fake_quant_nvfp4(x, float(amax), 16)
        return original_dynamic(x, block, amax, bias, num_bits, scale_bits, *rest)

    tq.static_blockwise_fp4_fake_quant, tq.dynamic_block_quant = static, dynamic
    try:
        yield
    finally:
        tq.static_blockwise_fp4_fake_quant, tq.dynamic_block_quant = saved


def params(model):
    return {k: p.detach().cpu().clone() for k, p in model.named_parameters()}


def modelopt_side(arch, device):
    import modelopt.torch.quantization as mtq
    import torch
    from modelopt.recipe import load_recipe

    import run_modelopt

    model = load(arch, device)
    torch.manual_seed(0)
    cfg = load_recipe(f"general/ptq/{RECIPE}").quantize
    patch = qcfg_kernels_in_modelopt() if device == "cpu" else contextlib.nullcontext()
    with patch, tempfile.TemporaryDirectory() as cwd:  # the recipe's layerwise checkpoint_dir
        old = os.getcwd()
        os.chdir(cwd)
        try:
            try:
                mtq.quantize(model, cfg, forward_loop(device))
            except TypeError:
                mtq.quantize(model, cfg.model_dump(), forward_loop(device))
        finally:
            os.chdir(old)
        states = run_modelopt.quantizer_states(model)
        amax = {}
        for name, m in model.named_modules():
            for attr in ("_amax", "_global_amax"):
                t = getattr(m, attr, None)
                if t is not None and getattr(m, "is_enabled", False):
                    amax[f"{name}.{attr[1:]}"] = t.detach().float().cpu().reshape(-1)
        weights = params(model)
        folded = copy.deepcopy(model)
        mtq.fold_weight(folded)
        return {"weights": weights, "amax": amax, "folded": params(folded),
                "enabled": sorted(n for n, s in states.items() if s["enabled"])}


def qcfg_side(arch, device):
    import torch

    import qcfg.torch as qtq

    model = load(arch, device)
    torch.manual_seed(0)
    recipe = GOLD / "recipes" / "general" / "ptq" / f"{RECIPE}.yaml"
    qtq.quantize(model, str(recipe), forward_loop(device), recipe_root=GOLD / "recipes")
    amax = {}
    for q in model._qcfg.quantizers:
        for s in q.stages:
            if s.enabled and s.amax is not None:
                amax[f"{q.name}.amax"] = s.amax.float().reshape(-1)
                if s.nvfp4_static:
                    g = s.global_amax if s.global_amax is not None else float(s.amax.max())
                    amax[f"{q.name}.global_amax"] = torch.tensor([g], dtype=torch.float32)
                break
    weights = params(model)
    qtq.fold_weight(model)
    return {"weights": weights, "amax": amax, "folded": params(model),
            "enabled": sorted(q.name for q in model._qcfg.quantizers if q.enabled)}


def golden_compare(arch, device):
    """qcfg.torch alone against the recorded H200 goldens: activation amax, the export (through
    `qcfg ptq --weight-amax`) and fold_weight saved as the harness saved ModelOpt's."""
    import torch

    import qcfg.torch as qtq

    sys.path.insert(0, str(GOLD))
    sys.path.insert(0, str(ROOT / "tools" / "gpu" / "python"))
    import check_goldens
    from compare_modelopt import weight_amax_compare

    gold = json.loads((GOLD / "runs" / f"{arch}__{RECIPE}.json").read_text())
    model = load(arch, device)
    torch.manual_seed(0)
    recipe = GOLD / "recipes" / "general" / "ptq" / f"{RECIPE}.yaml"
    qtq.quantize(model, str(recipe), forward_loop(device), recipe_root=GOLD / "recipes")
    ours = {k: float(v) for k, v in qtq.activation_amax(model).items()}
    out = {"act_amax": [sum(gold["act_amax"][k] == ours.get(k) for k in gold["act_amax"]),
                        len(gold["act_amax"])],
           "weight_amax": list(weight_amax_compare(model, gold)[:2])}
    with tempfile.TemporaryDirectory() as d:
        qtq.export_hf_checkpoint(model, f"{d}/export", checkpoint_dir=str(GOLD / "checkpoints" / arch),
                                 device=device)
        qtq.fold_weight(model)
        model.save_pretrained(f"{d}/fake")
        for mode in ("export", "fake"):
            got, want = check_goldens.dir_digest(f"{d}/{mode}"), gold["modes"][mode]["tensors"]
            diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
            out[mode] = [len(want) - len(diff), len(want), diff[:4]]
    return out


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and bool(
        (a.contiguous().view(-1).view(dtype_int(a)) == b.contiguous().view(-1).view(
            dtype_int(b))).all())


def dtype_int(t):
    import torch

    return {2: torch.int16, 4: torch.int32, 8: torch.int64, 1: torch.uint8}[t.element_size()]


def compare(ours, theirs):
    out = {}
    for part in ("weights", "amax", "folded"):
        a, b = ours[part], theirs[part]
        keys = sorted(set(a) | set(b))
        diff = [k for k in keys if k not in a or k not in b or not same(a[k], b[k])]
        out[part] = {"identical": len(keys) - len(diff), "total": len(keys), "first": diff[:5]}
    out["enabled_names_same"] = ours["enabled"] == theirs["enabled"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--archs", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--goldens", action="store_true",
                    help="qcfg.torch only, against the recorded H200 goldens (no ModelOpt)")
    args = ap.parse_args()
    archs = [a for a in args.archs.split(",") if a] or sorted(
        p.name for p in (GOLD / "checkpoints").iterdir())
    if args.goldens:
        return goldens_main(archs, args)
    results, ok = {}, True
    for arch in archs:
        t = time.time()
        try:
            theirs = modelopt_side(arch, args.device)
            ours = qcfg_side(arch, args.device)
            r = compare(ours, theirs)
        except Exception as e:  # noqa: BLE001 - one failing arch must not hide the others
            import traceback

            r = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
        r["seconds"] = round(time.time() - t, 1)
        results[arch] = r
        good = "error" not in r and r["enabled_names_same"] and all(
            r[p]["identical"] == r[p]["total"] for p in ("weights", "amax", "folded"))
        ok &= good
        if "error" in r:
            print(f"{arch}: ERROR {r['error'][:300]}\n{r['traceback']}", flush=True)
        else:
            print(f"{arch}: {'IDENTICAL' if good else 'DIFFERS'}  " + "  ".join(
                f"{p} {r[p]['identical']}/{r[p]['total']}" for p in ("weights", "amax", "folded"))
                + f"  enabled names {'same' if r['enabled_names_same'] else 'DIFFER'}"
                + "".join(f"\n  {p} first differing: {r[p]['first']}"
                          for p in ("weights", "amax", "folded") if r[p]["first"]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"{sum(1 for r in results.values() if 'error' not in r)} of {len(results)} ran; "
          f"{'all identical' if ok else 'NOT all identical'} ({args.device})")
    return 0 if ok else 1


def goldens_main(archs, args):
    results, identical = {}, 0
    for arch in archs:
        r = results[arch] = golden_compare(arch, args.device)
        good = all(r[m][0] == r[m][1] for m in ("export", "fake"))
        identical += good and all(r[a][0] == r[a][1] for a in ("act_amax", "weight_amax"))
        print(f"{arch}: act amax {r['act_amax'][0]}/{r['act_amax'][1]}  weight amax "
              f"{r['weight_amax'][0]}/{r['weight_amax'][1]}  export "
              f"{r['export'][0]}/{r['export'][1]}  fake {r['fake'][0]}/{r['fake'][1]}"
              + "".join(f"\n  {m} first differing: {r[m][2]}" for m in ("export", "fake")
                        if r[m][2]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"{identical} of {len(archs)} checkpoints identical to the goldens ({args.device})")
    return 0 if identical == len(archs) else 1


if __name__ == "__main__":
    sys.exit(main())
