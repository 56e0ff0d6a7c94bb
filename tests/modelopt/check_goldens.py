#!/usr/bin/env python3
"""CI: `qcfg ptq` on the CPU against ModelOpt 0.47's own results (tests/modelopt/README.md).

For every golden run (checkpoint x ModelOpt recipe x mode, made on the GPU machine by
tools/gpu/modelopt/) this runs `qcfg ptq` on the same checkpoint with ModelOpt's calibrated
activation / KV amax given to --act-amax, and compares every tensor (sha256 of the raw
safetensors bytes, dtype, shape) and, in export mode, hf_quant_config.json and config.json
(producer version ignored). It prints the identical counts and fails when a run listed in
expected_identical.json is no longer identical or when a count drops below the recorded one.

  check_goldens.py --qcfg build/tools/qcfg/qcfg [--jobs 2] [--only SUBSTR] [--verbose]
  check_goldens.py --qcfg ... --write-expected     # record today's identical runs and counts

python3 only (no third-party modules).
"""
import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def safetensors_digest(path):
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            f.seek(base + b)
            out[name] = [info["dtype"], info["shape"], hashlib.sha256(f.read(e - b)).hexdigest()]
    return out


def dir_digest(d):
    out = {}
    for p in sorted(Path(d).glob("*.safetensors")):
        out.update(safetensors_digest(p))
    return out


def strip_version(cfg, path):
    """Drops producer.version at `path` (a list of keys) in a copy of cfg."""
    cfg = json.loads(json.dumps(cfg))
    node = cfg
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return cfg
        node = node[k]
    if isinstance(node, dict) and isinstance(node.get("producer"), dict):
        node["producer"].pop("version", None)
    return cfg


def first_diff(a, b, where=""):
    if type(a) is not type(b):
        return f"{where or '/'}: {json.dumps(a)[:120]} vs {json.dumps(b)[:120]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                return f"{where}/{k}: only in qcfg ({json.dumps(b[k])[:120]})"
            if k not in b:
                return f"{where}/{k}: missing in qcfg (ModelOpt: {json.dumps(a[k])[:120]})"
            d = first_diff(a[k], b[k], f"{where}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: ModelOpt {json.dumps(a)[:160]} vs qcfg {json.dumps(b)[:160]}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{where}: ModelOpt {json.dumps(a)[:120]} vs qcfg {json.dumps(b)[:120]}"


DEVICE = "cpu"  # --device: the GPU machine checks the CUDA path against the same goldens


def run_qcfg(qcfg, run, mode, work):
    recipe = HERE / "recipes" / "general" / "ptq" / f"{run['recipe']}.yaml"
    ckpt = HERE / "checkpoints" / run["arch"]
    amax = work / "act_amax.json"
    amax.write_text(json.dumps(run["act_amax"]))
    out = work / "out"
    cmd = [qcfg, "ptq", str(recipe), "--recipe-root", str(HERE / "recipes"), "--model", str(ckpt),
           "--out", str(out), "--mode", mode, "--device", DEVICE, "--jobs", "1", "--quiet",
           "--no-sync"]
    if run["act_amax"]:
        cmd += ["--act-amax", str(amax)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p, out, cmd


def check(qcfg, key, run, mode):
    """Returns a result dict for one (run, mode)."""
    mo = run["modes"][mode]
    res = {"key": f"{key}__{mode}", "arch": run["arch"], "recipe": run["recipe"], "mode": mode}
    work = Path(tempfile.mkdtemp(prefix="qcfg_golden_"))
    try:
        p, out, cmd = run_qcfg(qcfg, run, mode, work)
        expected = mo["tensors"]
        res["tensors_total"] = len(expected)
        res["configs_total"] = 2 if mode == "export" else 0
        if p.returncode != 0:
            msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
            res.update(status="qcfg_failed", tensors_identical=0, configs_identical=0,
                       detail=[f"qcfg exit {p.returncode}: " + (msg[0] if msg else "")] +
                       msg[1:3])
            return res
        got = dir_digest(out)
        same = [k for k in expected if got.get(k) == expected[k]]
        details = []
        for k in expected:
            if got.get(k) == expected[k]:
                continue
            if k not in got:
                details.append(f"tensor {k}: missing in qcfg (ModelOpt {expected[k][0]} "
                               f"{expected[k][1]})")
            else:
                e, g = expected[k], got[k]
                what = ("dtype" if e[0] != g[0] else "shape" if e[1] != g[1] else "bytes")
                details.append(f"tensor {k}: {what} differ (ModelOpt {e[0]} {e[1]} "
                               f"{e[2][:12]}, qcfg {g[0]} {g[1]} {g[2][:12]})")
        extra = sorted(set(got) - set(expected))
        for k in extra[:5]:
            details.append(f"tensor {k}: only in qcfg ({got[k][0]} {got[k][1]})")
        res["tensors_identical"] = len(same)
        res["extra_tensors"] = len(extra)
        cfg_same = 0
        if mode == "export":
            for fn, path in (("hf_quant_config.json", []), ("config.json", ["quantization_config"])):
                a = mo.get(fn)
                f = out / fn
                b = json.loads(f.read_text()) if f.exists() else None
                if a is not None:
                    a = strip_version(a, path)
                if b is not None:
                    b = strip_version(b, path)
                if a == b:
                    cfg_same += 1
                else:
                    details.append(f"{fn}: " + (first_diff(a, b) if a is not None and b is not None
                                                else "written by only one side"))
        res["configs_identical"] = cfg_same
        ok = (len(same) == len(expected) and not extra and cfg_same == res["configs_total"])
        res["status"] = "identical" if ok else "differs"
        res["detail"] = details
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def modelopt_failed(qcfg, key, run, mode):
    """What qcfg does where ModelOpt itself failed (informational)."""
    work = Path(tempfile.mkdtemp(prefix="qcfg_golden_"))
    try:
        p, out, _ = run_qcfg(qcfg, run, mode, work)
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return {"key": f"{key}__{mode}", "arch": run["arch"], "recipe": run["recipe"],
                "mode": mode, "status": "modelopt_failed",
                "modelopt_error": run["modes"][mode].get("error") if mode in run["modes"]
                else run.get("quantize_error"),
                "qcfg": f"exit {p.returncode}" + (f": {msg[0]}" if p.returncode and msg else
                                                   f", {len(dir_digest(out))} tensors written")}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cell(r):
    if r is None:
        return "n/a"
    if r["status"] == "identical":
        return "identical"
    if r["status"] == "modelopt_failed":
        return "ModelOpt failed"
    if r["status"] == "qcfg_failed":
        return "qcfg failed"
    txt = f"differs: {r['tensors_total'] - r['tensors_identical']} of {r['tensors_total']}"
    if r["configs_total"] and r["configs_identical"] < r["configs_total"]:
        txt += f", configs {r['configs_identical']}/{r['configs_total']}"
    return txt


def markdown(results):
    archs = sorted({r["arch"] for r in results})
    recipes = sorted({r["recipe"] for r in results})
    by = {(r["arch"], r["recipe"], r["mode"]): r for r in results}
    out = []
    for mode in ("export", "fake"):
        legend = ("differs: N of M = N of ModelOpt's M tensors differ" +
                  ("; configs k/2 = hf_quant_config.json and config.json identical"
                   if mode == "export" else ""))
        out.append(f"**{mode}** ({legend})\n")
        out.append("| recipe | " + " | ".join(archs) + " |")
        out.append("|---|" + "---|" * len(archs))
        for rec in recipes:
            out.append(f"| {rec} | " + " | ".join(cell(by.get((a, rec, mode))) for a in archs)
                       + " |")
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcfg", required=True)
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 2))
    ap.add_argument("--only", default="", help="only runs whose key contains this")
    ap.add_argument("--verbose", action="store_true", help="every differing tensor, not 3")
    ap.add_argument("--write-expected", action="store_true")
    ap.add_argument("--device", default="cpu", help="qcfg ptq --device (cpu in CI, cuda on a GPU)")
    ap.add_argument("--expected", default=str(HERE / "expected_identical.json"),
                    help="the expected-identical file (default: the checked-in one)")
    ap.add_argument("--report", help="write every result as JSON here")
    ap.add_argument("--markdown", help="write the architecture x recipe table per mode here")
    a = ap.parse_args()
    global DEVICE
    DEVICE = a.device
    qcfg = str(Path(a.qcfg).resolve())

    tasks = []
    for p in sorted((HERE / "runs").glob("*.json")):
        key = p.stem
        if a.only and a.only not in key:
            continue
        run = json.loads(p.read_text())
        if "quantize_error" in run:
            for mode in ("fake", "export"):
                tasks.append((modelopt_failed, key, run, mode))
            continue
        for mode in ("fake", "export"):
            m = run["modes"].get(mode)
            if m is None:
                continue
            if m["status"] != "ok" or "tensors" not in m:
                tasks.append((modelopt_failed, key, run, mode))
            else:
                tasks.append((check, key, run, mode))
    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        results = list(ex.map(lambda t: t[0](qcfg, t[1], t[2], t[3]), tasks))

    compared = [r for r in results if r["status"] != "modelopt_failed"]
    failed_mo = [r for r in results if r["status"] == "modelopt_failed"]
    n_id = sum(r["status"] == "identical" for r in compared)
    t_id = sum(r["tensors_identical"] for r in compared)
    t_all = sum(r["tensors_total"] for r in compared)
    c_id = sum(r["configs_identical"] for r in compared)
    c_all = sum(r["configs_total"] for r in compared)

    for r in compared:
        if r["status"] == "identical":
            continue
        n = len(r["detail"]) if a.verbose else 3
        print(f"DIFFERS {r['key']}: {r['tensors_identical']}/{r['tensors_total']} tensors, "
              f"{r['configs_identical']}/{r['configs_total']} configs"
              + (" (qcfg failed)" if r["status"] == "qcfg_failed" else ""))
        for d in r["detail"][:n]:
            print(f"    {d}")
    for r in failed_mo:
        print(f"MODELOPT FAILED {r['key']}: {(r['modelopt_error'] or '')[:120]} | qcfg {r['qcfg']}")
    print(f"runs identical: {n_id}/{len(compared)}; tensors identical: {t_id}/{t_all}; "
          f"configs identical: {c_id}/{c_all}; ModelOpt failed: {len(failed_mo)}")
    if a.report:
        Path(a.report).write_text(json.dumps(results, indent=1))

    if a.markdown:
        Path(a.markdown).write_text(markdown(results))

    exp_path = Path(a.expected)
    if a.write_expected:
        exp = {"about": "runs (arch__recipe__mode) identical to ModelOpt 0.47 today and the "
                        "identical counts; check_goldens.py fails if any of them regresses. "
                        "Regenerate with --write-expected after an improvement.",
               "counts": {"runs": n_id, "tensors": t_id, "configs": c_id},
               "runs": sorted(r["key"] for r in compared if r["status"] == "identical")}
        exp_path.write_text(json.dumps(exp, indent=1) + "\n")
        print(f"wrote {exp_path}")
        return 0
    exp = json.loads(exp_path.read_text())
    status = {r["key"]: r["status"] for r in results}
    # with --only, only the listed runs inside the subset are checked, not the counts
    listed = [k for k in exp["runs"] if not a.only or a.only in k]
    bad = [k for k in listed if status.get(k) != "identical"]
    rc = 0
    for k in bad:
        print(f"REGRESSION: {k} was identical to ModelOpt, now {status.get(k, 'missing')}")
        rc = 1
    if a.only:
        return rc
    for name, now in (("runs", n_id), ("tensors", t_id), ("configs", c_id)):
        if now < exp["counts"][name]:
            print(f"REGRESSION: {name} identical {now} < {exp['counts'][name]} recorded")
            rc = 1
    if rc == 0 and (n_id, t_id, c_id) != tuple(exp["counts"][k] for k in ("runs", "tensors",
                                                                          "configs")):
        print("note: counts above the recorded ones; record them with --write-expected")
    return rc


if __name__ == "__main__":
    sys.exit(main())
