#!/usr/bin/env python3
"""qcfg.torch against ModelOpt 0.47 on the golden checkpoints (GPU machine; run.sh builds).

For each (checkpoint, recipe) of tests/modelopt/runs whose recipe calibrates activations and
runs on ModelOpt (`act_amax` not empty, no quantize error) and only uses max calibration:
  1. load the checkpoint with transformers (bf16, cuda), run qcfg.torch.quantize with the
     harness's forward loop (tools/gpu/modelopt/run_modelopt.py: two seeded batches);
  2. compare the activation amax with ModelOpt's: the recorded golden `act_amax` and, unless
     --no-live, a live mtq.quantize of the same model in this process (same batches);
  3. compare the enabled quantizer names with ModelOpt's;
  4. export with qcfg.torch.export_hf_checkpoint and compare every tensor digest and the
     configs with ModelOpt's export (golden), as tests/modelopt/check_goldens.py does.
GPTQ runs (nvfp4_default-kv_none-gptq; qcfg.torch runs GPTQ itself, python/qcfg/torch/gptq.py)
also compare every weight quantizer's per-block and global amax with the golden's, and the
fold_weight result saved as the harness saves it with the golden fake-mode tensors.
Prints one line per run and writes a JSON report (--out).
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GOLD = ROOT / "tests" / "modelopt"
sys.path.insert(0, str(GOLD))
sys.path.insert(0, str(ROOT / "tools" / "gpu" / "modelopt"))
import check_goldens  # noqa: E402  (digest and config comparison, one home)

NON_MAX = ("mse", "awq", "smoothquant", "svdquant", "headroom", "layerwise")
GPTQ = "gptq"


def golden_runs(archs, recipes):
    for p in sorted((GOLD / "runs").glob("*.json")):
        run = json.loads(p.read_text())
        if archs and run["arch"] not in archs or recipes and run["recipe"] not in recipes:
            continue
        if "quantize_error" in run or not run.get("act_amax"):
            continue
        if GPTQ not in run["recipe"] and any(w in run["recipe"] for w in NON_MAX):
            continue
        yield p.stem, run


def forward_loop():
    import run_modelopt  # the harness's own batches and loop

    return run_modelopt.forward_loop_factory()


def load(ckpt):
    import run_modelopt

    return run_modelopt.load_model(ckpt)


def compare_amax(ours, theirs):
    """(identical count, total, first differences)."""
    diffs = []
    for name in sorted(set(ours) | set(theirs)):
        a, b = ours.get(name), theirs.get(name)
        if a != b:
            diffs.append(f"{name}: qcfg {a} ModelOpt {b}")
    total = len(set(ours) | set(theirs))
    return total - len(diffs), total, diffs[:5]


def live_modelopt_amax(ckpt, recipe):
    import modelopt.torch.quantization as mtq
    import torch
    from modelopt.recipe import load_recipe

    import run_modelopt

    model = load(ckpt)
    torch.manual_seed(0)
    cfg = load_recipe(f"general/ptq/{recipe}").quantize
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as cwd:  # a layerwise checkpoint_dir lands there
        os.chdir(cwd)
        try:
            try:
                mtq.quantize(model, cfg, forward_loop())
            except TypeError:
                mtq.quantize(model, cfg.model_dump(), forward_loop())
        finally:
            os.chdir(old)
    states = run_modelopt.quantizer_states(model)
    del model
    torch.cuda.empty_cache()
    return run_modelopt.act_amax(states), sorted(n for n, s in states.items() if s["enabled"])


def export_compare(model, run, work):
    import qcfg.torch as qtq

    out = work / "export"
    ckpt = GOLD / "checkpoints" / run["arch"]
    qtq.export_hf_checkpoint(model, out, checkpoint_dir=str(ckpt), device="cuda")
    expected = run["modes"]["export"]["tensors"]
    got = check_goldens.dir_digest(out)
    same = sum(1 for k in expected if got.get(k) == expected[k])
    cfgs = 0
    for fn, path in (("hf_quant_config.json", []), ("config.json", ["quantization_config"])):
        a = run["modes"]["export"].get(fn)
        b = json.loads((out / fn).read_text()) if (out / fn).exists() else None
        cfgs += int(a is not None and b is not None and
                    check_goldens.strip_version(a, path) == check_goldens.strip_version(b, path))
    return {"tensors_identical": same, "tensors_total": len(expected),
            "extra_tensors": len(set(got) - set(expected)), "configs_identical": cfgs}


def weight_amax_compare(model, run):
    """(identical, total, first differences) of the weight quantizers' per-block amax (sha256 of
    the float32 bytes, as the harness records it) and global amax against the golden's."""
    import torch

    ours = {}
    for q in model._qcfg.by_role("weight", "expert_weight"):
        s = next((s for s in q.stages if s.enabled and s.amax is not None), None)
        if s is None:
            continue
        a = s.amax.float().contiguous()
        ours[q.name] = hashlib.sha256(a.numpy().tobytes()).hexdigest()
        if s.nvfp4_static:
            g = s.global_amax if s.global_amax is not None else float(a.max())
            ours[q.name + ".global"] = float(torch.tensor(g, dtype=torch.float32))
    theirs = {}
    for name, rec in run["quantizers"].items():
        if "weight_quantizer" not in name or not rec.get("amax"):
            continue
        theirs[name] = rec["amax"].get("sha256_f32")
        if rec.get("global_amax"):
            theirs[name + ".global"] = rec["global_amax"]["values"][0]
    return compare_amax(ours, theirs)


def fake_compare(model, run, work):
    """fold_weight, saved as the harness saved ModelOpt's folded model (save_pretrained)."""
    import qcfg.torch as qtq

    qtq.fold_weight(model)
    out = work / "fake"
    model.save_pretrained(str(out))
    expected = run["modes"]["fake"]["tensors"]
    got = check_goldens.dir_digest(out)
    same = sum(1 for k in expected if got.get(k) == expected[k])
    first = [k for k in sorted(expected) if got.get(k) != expected[k]][:5]
    return {"tensors_identical": same, "tensors_total": len(expected),
            "extra_tensors": len(set(got) - set(expected)), "first": first}


def one(key, run, live):
    import torch

    import qcfg.torch as qtq

    res = {"key": key}
    ckpt = GOLD / "checkpoints" / run["arch"]
    recipe = GOLD / "recipes" / "general" / "ptq" / f"{run['recipe']}.yaml"
    t = time.time()
    model = load(ckpt)
    torch.manual_seed(0)
    qtq.quantize(model, str(recipe), forward_loop(), recipe_root=GOLD / "recipes")
    res["quantize_s"] = round(time.time() - t, 2)
    ours = {k: float(v) for k, v in qtq.activation_amax(model).items()}
    res["amax_vs_golden"] = compare_amax(ours, run["act_amax"])
    enabled = sorted(q.name for q in model._qcfg.quantizers if q.enabled)
    golden_enabled = sorted(run["quantizers"])  # the goldens keep the enabled ones there
    res["enabled_names_same"] = enabled == golden_enabled
    if not res["enabled_names_same"]:
        res["enabled_only_qcfg"] = sorted(set(enabled) - set(golden_enabled))[:5]
        res["enabled_only_modelopt"] = sorted(set(golden_enabled) - set(enabled))[:5]
    every = {q.name for q in model._qcfg.quantizers}
    golden_every = set(golden_enabled) | set(run.get("disabled_quantizers", []))
    res["all_names_same"] = every == golden_every
    if not res["all_names_same"]:
        res["names_only_qcfg"] = sorted(every - golden_every)[:5]
        res["names_only_modelopt"] = sorted(golden_every - every)[:5]
    gptq = GPTQ in run["recipe"]
    if gptq:
        res["weight_amax_vs_golden"] = weight_amax_compare(model, run)
    if run["modes"].get("export", {}).get("status") != "ok":
        res["export"] = {"skipped": "ModelOpt's export failed in the goldens"}
    else:
        with tempfile.TemporaryDirectory(prefix="qcfg_py_") as d:
            try:
                res["export"] = export_compare(model, run, Path(d))
            except Exception as e:  # noqa: BLE001 - reported per run
                res["export"] = {"error": f"{type(e).__name__}: {e}"[:400]}
    if gptq and run["modes"].get("fake", {}).get("status") == "ok":
        with tempfile.TemporaryDirectory(prefix="qcfg_py_") as d:
            try:
                res["fake"] = fake_compare(model, run, Path(d))
            except Exception as e:  # noqa: BLE001 - reported per run
                res["fake"] = {"error": f"{type(e).__name__}: {e}"[:400]}
    del model
    torch.cuda.empty_cache()
    if live:
        try:
            mo_amax, mo_enabled = live_modelopt_amax(ckpt, run["recipe"])
            res["amax_vs_live_modelopt"] = compare_amax(ours, mo_amax)
            res["enabled_names_same_live"] = enabled == mo_enabled
        except Exception as e:  # noqa: BLE001
            res["live_modelopt_error"] = f"{type(e).__name__}: {e}"[:400]
    return res


def line(r):
    a = r.get("amax_vs_golden")
    e = r.get("export", {})
    parts = [r["key"], f"amax {a[0]}/{a[1]}" if a else "amax -",
             f"enabled names {'same' if r.get('enabled_names_same') else 'DIFFER'}",
             f"all names {'same' if r.get('all_names_same') else 'DIFFER'}"]
    if "tensors_total" in e:
        parts.append(f"export tensors {e['tensors_identical']}/{e['tensors_total']} "
                     f"configs {e['configs_identical']}/2")
    elif "skipped" in e:
        parts.append("export skipped (ModelOpt failed)")
    elif "error" in e:
        parts.append(f"export ERROR {e['error'][:120]}")
    if "weight_amax_vs_golden" in r:
        w = r["weight_amax_vs_golden"]
        parts.append(f"weight amax {w[0]}/{w[1]}")
    f = r.get("fake", {})
    if "tensors_total" in f:
        parts.append(f"fake tensors {f['tensors_identical']}/{f['tensors_total']}")
    elif "error" in f:
        parts.append(f"fake ERROR {f['error'][:120]}")
    if "amax_vs_live_modelopt" in r:
        b = r["amax_vs_live_modelopt"]
        parts.append(f"live amax {b[0]}/{b[1]}")
    if "error" in r:
        parts.append(f"ERROR {r['error'][:160]}")
    return "  ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", default="")
    ap.add_argument("--recipes", default="")
    ap.add_argument("--no-live", action="store_true")
    ap.add_argument("--out", default="python_vs_modelopt.json")
    ap.add_argument("--budget-s", type=float, default=420,
                    help="start no new run after this many seconds")
    args = ap.parse_args()
    archs = set(filter(None, args.archs.split(",")))
    recipes = set(filter(None, args.recipes.split(",")))
    results, started, skipped = [], time.time(), 0
    for key, run in golden_runs(archs, recipes):
        if time.time() - started > args.budget_s:
            skipped += 1
            continue
        try:
            r = one(key, run, not args.no_live)
        except Exception as e:  # noqa: BLE001 - one failing run must not hide the others
            r = {"key": key, "error": f"{type(e).__name__}: {e}"[:600]}
        results.append(r)
        print(line(r), flush=True)
        Path(args.out).write_text(json.dumps(results, indent=1))
    amax_ok = sum(1 for r in results if r.get("amax_vs_golden", (0, 1))[0] ==
                  r.get("amax_vs_golden", (0, 1))[1])
    exp_ok = sum(1 for r in results if r.get("export", {}).get("tensors_total") is not None and
                 r["export"]["tensors_identical"] == r["export"]["tensors_total"] and
                 not r["export"]["extra_tensors"] and r["export"]["configs_identical"] == 2)
    exportable = sum(1 for r in results if "tensors_total" in r.get("export", {}))
    faked = [r for r in results if "fake" in r]
    fake_ok = sum(1 for r in faked if r["fake"].get("tensors_total") is not None and
                  r["fake"]["tensors_identical"] == r["fake"]["tensors_total"] and
                  not r["fake"]["extra_tensors"])
    weights = [r["weight_amax_vs_golden"] for r in results if "weight_amax_vs_golden" in r]
    weights_ok = sum(1 for w in weights if w[0] == w[1])
    print(f"runs {len(results)} ({skipped} not started: --budget-s): amax identical {amax_ok}, "
          f"export identical {exp_ok} of {exportable}, GPTQ fake identical {fake_ok} of "
          f"{len(faked)}, GPTQ weight amax identical {weights_ok} of {len(weights)}")
    return 0 if (results and amax_ok == len(results) and exp_ok == exportable
                 and fake_ok == len(faked) and weights_ok == len(weights)) else 1


if __name__ == "__main__":
    sys.exit(main())
