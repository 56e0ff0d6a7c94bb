#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from ../shared/conformance and the project's own
recipes (nothing is committed but this script and a few hand-written seeds in fuzz/seeds/).

usage: make_seeds.py OUT_DIR   (creates OUT_DIR/<target> for every fuzz target)

front_end seeds use memory_files.h's bundle layout: the top file, then for every file it imports
(transitively) a NUL byte, its path under the fuzz root, a newline and its text.
"""
import hashlib
import json
import pathlib
import shutil
import struct
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
RECIPE_ROOT = SHARED / "modelopt_recipes"
CASES = SHARED / "cases"


def write_seed(out_dir, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()[:16]
    (out_dir / name).write_bytes(data)


def import_paths(text):
    """The import paths a YAML file names (any document's top-level `imports` mapping)."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    paths = []
    for doc in docs:
        imports = doc.get("imports") if isinstance(doc, dict) else None
        if isinstance(imports, dict):
            paths += [p for p in imports.values() if isinstance(p, str)]
    return paths


def locate(path, cwd):
    """ModelOpt's lookup (working directory, then recipe root) -> (bundle path, file)."""
    names = [path] if path.endswith((".yml", ".yaml")) else [path + ".yml", path + ".yaml"]
    for base, prefix in ((cwd, "cases"), (RECIPE_ROOT, "modelopt_recipes")):
        for n in names:
            f = base / n
            if f.is_file():
                return f"{prefix}/{n}", f
    return None


def bundle(top, cwd):
    text = top.read_text(errors="replace")
    parts, seen, todo = [text], set(), import_paths(text)
    while todo and len(parts) < 32:
        found = locate(todo.pop(0), cwd)
        if not found or found[0] in seen:
            continue
        seen.add(found[0])
        imported = found[1].read_text(errors="replace")
        parts.append(found[0] + "\n" + imported)
        todo += import_paths(imported)
    return "\0".join(parts)


def front_end_seeds(out):
    for f in sorted(RECIPE_ROOT.rglob("*.y*ml")):
        write_seed(out, bundle(f, CASES))
    for sub in ("normalize", "load_recipe"):
        for f in sorted((CASES / sub).rglob("*.y*ml")):
            write_seed(out, bundle(f, CASES))
    for f in sorted((ROOT / "recipes").rglob("*.yaml")):
        write_seed(out, bundle(f, CASES))
    for f in sorted((ROOT / "fuzz" / "seeds" / "front_end").glob("*")):
        write_seed(out, f.read_bytes())


def validator_seeds(out):
    for f in sorted(CASES.rglob("*.expected.json")) + sorted(
            (SHARED / "golden").rglob("*.json")):
        try:
            result = json.loads(f.read_text())
        except ValueError:
            continue
        configs = result.get("quantize_configs") if isinstance(result, dict) else None
        for qc in (configs or {}).values():
            write_seed(out, json.dumps({"algorithm": qc.get("algorithm"),
                                        "quant_cfg": qc.get("quant_cfg")}))
            write_seed(out, json.dumps(qc.get("quant_cfg")))
    for f in sorted((CASES / "normalize").glob("*.yaml")):
        try:
            write_seed(out, json.dumps(yaml.safe_load(f.read_text()), default=str))
        except (yaml.YAMLError, ValueError):
            pass


def safetensors_file(tensors):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, (dtype, shape, nbytes) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + nbytes]}
        data += b"\0" * nbytes
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds(out):
    write_seed(out, safetensors_file({
        "model.embed_tokens.weight": ("BF16", [8, 4], 64),
        "model.layers.0.self_attn.q_proj.weight": ("BF16", [4, 4], 32),
        "model.layers.0.mlp.experts.gate_up_proj": ("F8_E4M3", [2, 8, 4], 64),
        "model.layers.0.mlp.experts.1.down_proj.weight": ("F4", [4, 4], 8),
        "model.layers.0.input_layernorm.weight": ("F32", [4], 16),
        "model.layers.0.conv.weight": ("F16", [2, 2, 1, 1], 8),
        "model.layers.0.proj.weight0": ("BF16", [2, 2], 8),
        "model.layers.0.proj.weight1": ("BF16", [2, 2], 8),
        "lm_head.weight": ("BF16", [8, 4], 64),
    }))
    write_seed(out, json.dumps({"metadata": {"total_size": 96}, "weight_map": {
        "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
        "lm_head.weight": "model-00002-of-00002.safetensors"}}))
    for f in sorted((CASES / "inventories").glob("*.json")):
        write_seed(out, f.read_bytes())


def plan_reader_seeds(out):
    """Plans in `qcfg compile`'s shape, from the resolve cases' expected quantizer states."""
    for f in sorted((CASES / "resolve").glob("*.expected.json")):
        expected = json.loads(f.read_text())
        if isinstance(expected, dict) and isinstance(expected.get("quantizers"), list):
            write_seed(out, json.dumps({"plan_version": 1, "source": f.name,
                                        "quantizers": expected["quantizers"]}, indent=1))
    write_seed(out, json.dumps({"plan_version": 1, "quantizers": [
        {"name": "a.weight_quantizer", "enabled": [True, False],
         "attributes": [{"num_bits": 4}, {"num_bits": 8}]}]}))
    write_seed(out, json.dumps({"plan_version": 2, "attribute_sets": [{"num_bits": 4}, {"num_bits": 8}],
        "states": [{"kind": "tensor", "enabled": True, "hard_disabled": False, "attributes": 0},
                   {"kind": "sequential", "enabled": [True, False], "attributes": [0, 1]}],
        "quantizers": [{"name": "a.weight_quantizer", "state": 1},
                       {"name": "a.input_quantizer", "state": 0}]}))


def main():
    out = pathlib.Path(sys.argv[1])
    for name, make in (("front_end", front_end_seeds), ("validator", validator_seeds),
                       ("safetensors", safetensors_seeds), ("plan_reader", plan_reader_seeds)):
        d = out / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        make(d)
        print(f"{name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
