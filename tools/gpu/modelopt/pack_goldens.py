#!/usr/bin/env python3
"""Turns the harness output (the unpacked modelopt_goldens.tar.gz) into tests/modelopt/.

Runs here (python3 only). Keeps the checkpoints and kernel vectors as they are and writes each
run's JSON in a compact form: enabled quantizers with their calibrated amax (ModelOpt names),
the disabled ones by name, the --act-amax map, and per mode [dtype, shape, sha256] per tensor in
the checkpoint's own layout, plus the exported configs and small tensors' values.

  python3 tools/gpu/modelopt/pack_goldens.py UNPACKED_DIR tests/modelopt
"""
import json
import shutil
import sys
from pathlib import Path


def amax_rec(rec):
    if rec is None:
        return None
    out = {"shape": rec["shape"], "dtype": rec["dtype"]}
    if "values" in rec:
        out["values"] = rec["values"]
    else:
        out["sha256_f32"] = rec["sha256_f32"]
    return out


def tensors(d):
    return {k: [v["dtype"], v["shape"], v["sha256"]] for k, v in sorted(d.items())}


def short(tb, n=1500):
    return tb[-n:] if tb else tb


def compact(run):
    out = {"arch": run["arch"], "recipe": run["recipe"]}
    if "quantize_error" in run:
        out["quantize_error"] = run["quantize_error"]
        out["quantize_traceback"] = short(run.get("quantize_traceback"))
        return out
    q, disabled = {}, []
    for name, rec in sorted(run["quantizers"].items()):
        if not rec["enabled"]:
            disabled.append(name)
            continue
        r = {"repr": rec["repr"], "amax": amax_rec(rec["amax"])}
        if rec["type"] != "TensorQuantizer":
            r["type"] = rec["type"]
        if "global_amax" in rec:
            r["global_amax"] = amax_rec(rec["global_amax"])
        q[name] = r
    out["quantizers"] = q
    out["disabled_quantizers"] = disabled
    out["act_amax"] = run["act_amax"]
    modes = {}
    for mode, m in sorted(run["modes"].items()):
        mm = {"status": m["status"]}
        if m["status"] != "ok":
            mm["error"] = m["error"]
            mm["traceback"] = short(m.get("traceback"))
        elif mode == "fake":
            if "tensors" in m:
                mm["tensors"] = tensors(m["tensors"])
            else:  # save_pretrained failed: in-memory (transformers) names only
                mm["memory_tensors"] = tensors(m["memory_tensors"])
                mm["save_error"] = m.get("save_error")
        else:
            mm["tensors"] = tensors(m["tensors"])
            mm["small_values"] = m["small_values"]
            mm["files"] = m["files"]
            mm["hf_quant_config.json"] = m["hf_quant_config.json"]
            mm["config.json"] = m["config.json"]
        modes[mode] = mm
    out["modes"] = modes
    return out


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    (dst / "runs").mkdir(parents=True, exist_ok=True)
    for d in sorted((src / "checkpoints").iterdir()):
        t = dst / "checkpoints" / d.name
        shutil.rmtree(t, ignore_errors=True)
        shutil.copytree(d, t)
    shutil.rmtree(dst / "kernels", ignore_errors=True)
    shutil.copytree(src / "kernels", dst / "kernels")
    shutil.copy(src / "diag.json", dst / "diag.json")
    for p in sorted((src / "runs").glob("*.json")):
        run = json.loads(p.read_text())
        (dst / "runs" / p.name).write_text(json.dumps(compact(run), sort_keys=True, separators=(",", ":")) + "\n")
    meta = json.loads((src / "meta.json").read_text())
    meta["checkpoints"] = {k: {kk: vv for kk, vv in v.items() if kk != "tensors"}
                           for k, v in meta["checkpoints"].items()}
    (dst / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
