#!/usr/bin/env python3
"""ModelOpt 0.47 conformance harness (runs on the GPU machine, see README.md).

Makes small checkpoints with transformers' own classes, runs every applicable recipe of
ModelOpt's `modelopt_recipes/general/ptq/` tree through ModelOpt itself (mtq.quantize with a fixed
calibration loop, then export_hf_checkpoint or fold_weight) and records what it produced:

  <out>/checkpoints/<arch>/            the checkpoint (save_pretrained), input of `qcfg ptq`
  <out>/runs/<arch>__<recipe>.json     per (checkpoint, recipe): quantizer states (calibrated amax,
                                       ModelOpt names), and per mode the per-tensor sha256 / dtype /
                                       shape of what ModelOpt wrote, small tensors' values, configs
  <out>/kernels/                       TensorQuantizer forward on edge-value tensors, every format
  <out>/diag.json                      numerics probes (CUDA scalar division, NVFP4 Triton kernel)
  <out>/meta.json                      versions, timings, failures

Failures (ModelOpt's own errors included) are recorded per run and mode; nothing stops the sweep
except the time budget (--budget-s), after which the remaining runs are listed as skipped.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path

T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:7.1f}s]", *a, flush=True)


# --------------------------------------------------------------------------- safetensors digest
def safetensors_digest(path: Path) -> dict:
    """{name: {dtype, shape, sha256, nbytes}} from the raw bytes of a .safetensors file."""
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
            data = f.read(e - b)
            out[name] = {
                "dtype": info["dtype"],
                "shape": info["shape"],
                "sha256": hashlib.sha256(data).hexdigest(),
            }
    return out


def dir_digest(d: Path) -> dict:
    tensors = {}
    for p in sorted(d.glob("*.safetensors")):
        for k, v in safetensors_digest(p).items():
            v["file"] = p.name
            tensors[k] = v
    return tensors


def small_values(d: Path, max_elems: int = 16) -> dict:
    """Values of tensors with at most max_elems elements (scales), as float lists."""
    import torch
    from safetensors import safe_open

    vals = {}
    for p in sorted(d.glob("*.safetensors")):
        with safe_open(str(p), framework="pt") as f:
            for k in f.keys():
                t = f.get_slice(k)
                shape = t.get_shape()
                numel = 1
                for s in shape:
                    numel *= s
                if numel <= max_elems:
                    x = f.get_tensor(k)
                    if x.dtype in (torch.float8_e4m3fn, torch.uint8, torch.int8):
                        vals[k] = x.view(torch.uint8).flatten().tolist()
                    else:
                        vals[k] = x.float().flatten().tolist()
    return vals


def read_json(p: Path):
    try:
        return json.loads(p.read_text())
    except Exception as e:  # noqa: BLE001
        return {"__unreadable__": str(e)}


# --------------------------------------------------------------------------- checkpoints
VOCAB = 128


def arch_specs():
    """(name, transformers class name, config class name, kwargs). Small, 2 layers, bf16."""
    common = dict(vocab_size=VOCAB, hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=64, tie_word_embeddings=False, pad_token_id=0,
                  bos_token_id=1, eos_token_id=2)
    return [
        ("llama", "LlamaForCausalLM", "LlamaConfig",
         dict(common, intermediate_size=128, num_key_value_heads=2)),
        ("qwen2", "Qwen2ForCausalLM", "Qwen2Config",
         dict(common, intermediate_size=128, num_key_value_heads=2)),
        ("qwen3_moe", "Qwen3MoeForCausalLM", "Qwen3MoeConfig",
         dict(common, intermediate_size=128, moe_intermediate_size=128, num_key_value_heads=2,
              head_dim=32, num_experts=4, num_experts_per_tok=2, decoder_sparse_step=1,
              mlp_only_layers=[], norm_topk_prob=True)),
        ("mixtral", "MixtralForCausalLM", "MixtralConfig",
         dict(common, intermediate_size=128, num_key_value_heads=2, num_local_experts=4,
              num_experts_per_tok=2)),
        ("qwen3", "Qwen3ForCausalLM", "Qwen3Config",
         dict(common, intermediate_size=128, num_key_value_heads=2, head_dim=32)),
        ("qwen2_moe", "Qwen2MoeForCausalLM", "Qwen2MoeConfig",
         dict(common, intermediate_size=128, moe_intermediate_size=128,
              shared_expert_intermediate_size=128, num_key_value_heads=2, num_experts=4,
              num_experts_per_tok=2, decoder_sparse_step=1, mlp_only_layers=[])),
        ("phi3", "Phi3ForCausalLM", "Phi3Config",
         dict(common, intermediate_size=128, num_key_value_heads=2)),
        ("deepseek_v3", "DeepseekV3ForCausalLM", "DeepseekV3Config",
         dict(common, intermediate_size=128, moe_intermediate_size=128, num_key_value_heads=4,
              n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2, n_group=1,
              topk_group=1, first_k_dense_replace=1, q_lora_rank=64, kv_lora_rank=32,
              qk_rope_head_dim=16, qk_nope_head_dim=32, v_head_dim=32, rope_scaling=None)),
    ]


def make_checkpoint(name, cls_name, cfg_name, kw, out_dir: Path) -> dict:
    import torch
    import transformers

    cfg = getattr(transformers, cfg_name)(**kw)
    torch.manual_seed(0)
    model = getattr(transformers, cls_name)(cfg).to(torch.bfloat16)
    model.eval()
    model.save_pretrained(str(out_dir))
    # keep only what qcfg needs: config.json, generation_config.json, *.safetensors
    return {"class": cls_name, "config": cfg_name, "tensors": dir_digest(out_dir)}


def load_model(ckpt: Path):
    import torch
    import transformers

    m = transformers.AutoModelForCausalLM.from_pretrained(str(ckpt), dtype=torch.bfloat16)
    return m.cuda().eval()


def calib_batches():
    import torch

    g = torch.Generator().manual_seed(1234)
    return [torch.randint(0, VOCAB, (2, 32), generator=g) for _ in range(2)]


def forward_loop_factory():
    import torch

    batches = calib_batches()

    def forward_loop(model):
        with torch.no_grad():
            for b in batches:
                model(input_ids=b.cuda())

    return forward_loop


# --------------------------------------------------------------------------- quantizer states
def tensor_record(t, max_list=256):
    import torch

    if t is None:
        return None
    t = t.detach()
    f = t.float().cpu().contiguous()
    rec = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
    if f.numel() <= max_list:
        rec["values"] = f.flatten().tolist()
    rec["sha256_f32"] = hashlib.sha256(f.numpy().tobytes()).hexdigest()
    return rec


def quantizer_states(model) -> dict:
    from modelopt.torch.quantization.nn import TensorQuantizer

    out = {}
    for name, m in model.named_modules():
        if not isinstance(m, TensorQuantizer):
            continue
        rec = {"enabled": bool(m.is_enabled), "type": type(m).__name__}
        try:
            rec["repr"] = m.extra_repr()
        except Exception as e:  # noqa: BLE001
            rec["repr"] = f"<{e}>"
        amax = getattr(m, "_amax", None)
        rec["amax"] = tensor_record(amax) if amax is not None else None
        ga = getattr(m, "_global_amax", None)
        if ga is not None:
            rec["global_amax"] = tensor_record(ga)
        out[name] = rec
    return out


def act_amax(states: dict) -> dict:
    """ModelOpt's calibrated scalar amax of enabled non-weight quantizers ({name: float})."""
    out = {}
    for name, rec in states.items():
        if not rec["enabled"] or "weight_quantizer" in name or rec["amax"] is None:
            continue
        vals = rec["amax"].get("values")
        if vals is not None and len(vals) == 1:
            out[name] = vals[0]
    return out


# --------------------------------------------------------------------------- one run
def fake_record(model, work: Path) -> dict:
    import modelopt.torch.quantization as mtq

    fm = copy.deepcopy(model)
    mtq.fold_weight(fm)
    rec = {}
    # in-memory names (transformers' fused layout where it fuses at load)
    import torch

    mem = {}
    for k, p in fm.named_parameters():
        t = p.detach().cpu().contiguous()
        mem[k] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                  "sha256": hashlib.sha256(t.view(torch.uint8).numpy().tobytes()).hexdigest()}
    rec["memory_tensors"] = mem
    # the checkpoint's layout: save_pretrained without the quantizer buffers
    d = work / "fake"
    try:
        sd = {k: v for k, v in fm.state_dict().items() if "quantizer" not in k}
        fm.save_pretrained(str(d), state_dict=sd)
        rec["tensors"] = dir_digest(d)
    except Exception as e:  # noqa: BLE001
        rec["save_error"] = f"{type(e).__name__}: {e}"
        rec["save_traceback"] = traceback.format_exc()[-4000:]
    del fm
    return rec


def export_record(model, work: Path) -> dict:
    from modelopt.torch.export import export_hf_checkpoint

    d = work / "export"
    export_hf_checkpoint(model, export_dir=str(d))
    rec = {"tensors": dir_digest(d), "small_values": small_values(d)}
    for fn in ("hf_quant_config.json", "config.json"):
        p = d / fn
        rec[fn] = read_json(p) if p.exists() else None
    rec["files"] = sorted(p.name for p in d.iterdir())
    return rec


def run_one(arch: str, ckpt: Path, recipe: str, work: Path) -> dict:
    import torch
    import modelopt.torch.quantization as mtq
    from modelopt.recipe import load_recipe

    res = {"arch": arch, "recipe": recipe, "modes": {}}
    t = time.time()
    try:
        r = load_recipe(f"general/ptq/{recipe}")
        model = load_model(ckpt)
        torch.manual_seed(0)
        cfg = r.quantize
        try:
            mtq.quantize(model, cfg, forward_loop_factory())
        except TypeError as e:
            if "QuantizeConfig" in str(e) or "subscriptable" in str(e):
                mtq.quantize(model, cfg.model_dump(), forward_loop_factory())
            else:
                raise
        res["quantizers"] = quantizer_states(model)
        res["act_amax"] = act_amax(res["quantizers"])
    except Exception as e:  # noqa: BLE001
        res["quantize_error"] = f"{type(e).__name__}: {e}"
        res["quantize_traceback"] = traceback.format_exc()[-4000:]
        res["seconds"] = round(time.time() - t, 2)
        return res
    for mode, fn in (("fake", fake_record), ("export", export_record)):
        tm = time.time()
        try:
            res["modes"][mode] = fn(model, work)
            res["modes"][mode]["status"] = "ok"
        except Exception as e:  # noqa: BLE001
            res["modes"][mode] = {"status": "modelopt_failed",
                                  "error": f"{type(e).__name__}: {e}",
                                  "traceback": traceback.format_exc()[-4000:]}
        res["modes"][mode]["seconds"] = round(time.time() - tm, 2)
    del model
    torch.cuda.empty_cache()
    res["seconds"] = round(time.time() - t, 2)
    return res


# --------------------------------------------------------------------------- recipes
TIER1 = ["fp8_default-kv_fp8", "nvfp4_default-kv_fp8", "nvfp4_weight_only-kv_fp16",
         "int4_blockwise_weight_only", "nvfp4_mlp_only-kv_fp8", "mxfp4_mlp_weight_only",
         "nvfp4_experts_only-kv_fp8", "nvfp4_omlp_only-kv_fp8"]
NON_MAX = ["nvfp4_default-kv_none-gptq", "nvfp4_act_headroom-kv_fp8_cast",
           "nvfp4_experts_only_mse-kv_fp8_cast", "nvfp4_mlp_only_mse-kv_fp8_cast",
           "nvfp4_experts_only-kv_fp8_layerwise", "nvfp4_experts_only-kv_fp8_layerwise_offload"]
MOE = {"qwen3_moe", "mixtral", "qwen2_moe", "deepseek_v3"}


def all_recipes() -> list[str]:
    import modelopt_recipes

    root = Path(modelopt_recipes.__file__).parent / "general" / "ptq"
    return sorted(p.stem for p in root.glob("*.yaml"))


def plan_runs(archs: list[str], recipes: list[str]) -> list[tuple[str, str]]:
    def applies(a, r):
        return "experts_only" not in r or a in MOE

    tier1 = [r for r in TIER1 if r in recipes]
    tier3 = [r for r in NON_MAX if r in recipes]
    tier2 = [r for r in recipes if r not in tier1 and r not in tier3]
    runs = []
    for tier in (tier1, tier2, tier3):
        for a in archs:
            for r in tier:
                if applies(a, r):
                    runs.append((a, r))
    return runs


# --------------------------------------------------------------------------- kernels & probes
def edge_tensor(dtype, rows=32, cols=256, seed=7):
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, cols, generator=g) * 0.05
    x[0] = 0.0
    x[1] = -0.0
    x[2, :] = torch.linspace(-1, 1, cols)
    # exact NVFP4 / FP8 boundaries relative to a block max of 6 (scale 1)
    b = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 6.0, -0.25, -0.75, -1.25, -1.75,
                      -2.5, -3.5, -5.0, -6.0])
    x[3] = b.repeat(cols // 16)
    x[4] = x[3] * 0.01
    x[5] = torch.randn(cols, generator=g) * 1e-6          # tiny values
    x[6] = torch.randn(cols, generator=g) * 1e-3
    x[6, ::37] = 3.0                                       # outliers
    x[7] = torch.randn(cols, generator=g) * 1e-8          # below the 1e-5 block-scale floor
    x[8, :16] = 0.0                                        # an all-zero block
    x[9] = -x[9].abs()                                     # all negative, some round to -0
    x[10] = 448.0 * torch.rand(cols, generator=g)
    return x.to(dtype)


KERNEL_FORMATS = {
    "fp8_per_tensor": {"num_bits": (4, 3), "axis": None},
    "fp8_per_channel": {"num_bits": (4, 3), "axis": 0},
    "int8_per_tensor": {"num_bits": 8, "axis": None},
    "int8_per_channel": {"num_bits": 8, "axis": 0},
    "int4_block128": {"num_bits": 4, "block_sizes": {-1: 128}},
    "nvfp4_dynamic": {"num_bits": (2, 1),
                      "block_sizes": {-1: 16, "type": "dynamic", "scale_bits": (4, 3)}},
    "mxfp4": {"num_bits": (2, 1), "block_sizes": {-1: 32, "type": "dynamic", "scale_bits": (8, 0)}},
    "mxfp8": {"num_bits": (4, 3), "block_sizes": {-1: 32, "type": "dynamic", "scale_bits": (8, 0)}},
}


def kernel_vectors(out: Path) -> dict:
    import torch
    from safetensors.torch import save_file
    from modelopt.torch.quantization.config import QuantizerAttributeConfig
    from modelopt.torch.quantization.nn import TensorQuantizer

    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    tensors = {}
    for dt_name, dt in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        x = edge_tensor(dt)
        tensors[f"input_{dt_name}"] = x.contiguous()
        for fmt, cfg in KERNEL_FORMATS.items():
            key = f"{fmt}__{dt_name}"
            try:
                q = TensorQuantizer(QuantizerAttributeConfig(**cfg)).cuda()
                xc = x.cuda()
                q.disable_quant()
                q.enable_calib()
                q(xc)
                try:
                    q.load_calib_amax()
                except Exception as e:  # noqa: BLE001  (MX formats have no amax)
                    summary.setdefault("_notes", {})[key] = f"load_calib_amax: {e}"
                q.disable_calib()
                q.enable_quant()
                y = q(xc).cpu().contiguous()
                tensors[f"output_{key}"] = y
                summary[key] = {"amax": tensor_record(getattr(q, "_amax", None)),
                                "repr": q.extra_repr(),
                                "sha256": hashlib.sha256(
                                    y.view(torch.uint8).numpy().tobytes()).hexdigest()}
            except Exception as e:  # noqa: BLE001
                summary[key] = {"error": f"{type(e).__name__}: {e}",
                                "traceback": traceback.format_exc()[-2000:]}
    save_file(tensors, str(out / "vectors.safetensors"))
    (out / "vectors.json").write_text(json.dumps(summary, indent=1))
    return {"cases": len(summary), "errors": sum(1 for v in summary.values() if "error" in v)}


def nvfp4_emulation(x32, amax, recip_global=True):
    """Eager (IEEE division) re-implementation of ModelOpt's Hopper NVFP4 Triton fake quant."""
    import torch

    shape = x32.shape
    xf = x32.reshape(-1, 16)
    if recip_global:
        gs = amax.float().cuda() / (6.0 * 448.0)               # CUDA: a * f32(1/2688)
    else:
        gs = amax.float().cuda() / torch.tensor(6.0 * 448.0, device="cuda")  # IEEE
    gs = torch.where(gs > 0, gs, torch.tensor(1e-12, device="cuda"))
    bm = xf.abs().amax(-1, keepdim=True)
    s = bm / (torch.tensor(6.0, device="cuda") * gs)
    s = torch.minimum(s, torch.tensor(448.0, device="cuda"))
    s = s.to(torch.float8_e4m3fn).float() * gs
    s = torch.where(s >= 1e-5, s, torch.ones_like(s))
    a = xf.abs() / s
    q = torch.where(a <= 0.25, 0.0, torch.where(a < 0.75, 0.5, torch.where(a <= 1.25, 1.0,
        torch.where(a < 1.75, 1.5, torch.where(a <= 2.5, 2.0, torch.where(a < 3.5, 3.0,
        torch.where(a <= 5.0, 4.0, 6.0)))))))
    r = q * s
    r = torch.where(xf >= 0, r, -r)
    return r.reshape(shape)


def probes(ckpt_dirs: dict) -> dict:
    import torch

    d = {}
    # 1. CUDA division of a tensor by a Python scalar (per-tensor export scales)
    a = torch.tensor([0.10107421875], dtype=torch.float32)
    d["scalar_division"] = {
        "amax": 0.10107421875,
        "cuda_tensor_div_448": (a.cuda() / 448.0).item(),
        "cpu_tensor_div_448": (a / 448.0).item(),
        "cuda_tensor_mul_recip_448": (a.cuda() * torch.tensor(1 / 448.0).float().item()).item(),
        "cuda_tensor_div_tensor_448": (a.cuda() / torch.tensor(448.0, device="cuda")).item(),
        "cuda_tensor_div_2688": (a.cuda() / 2688.0).item(),
        "cpu_tensor_div_2688": (a / 2688.0).item(),
    }
    # 2. the NVFP4 Triton fake-quant kernel against an eager IEEE re-implementation
    try:
        from modelopt.torch.kernels.quantization.gemm import fp4_kernel_hopper as hk
        import triton

        res = {"tensors": 0, "elements": 0, "mismatch_ieee_global": 0,
               "mismatch_recip_global": 0, "zero_sign_only": 0, "examples": []}
        from safetensors import safe_open

        for arch, cdir in ckpt_dirs.items():
            for p in sorted(Path(cdir).glob("*.safetensors")):
                with safe_open(str(p), framework="pt") as f:
                    for k in f.keys():
                        t = f.get_tensor(k)
                        if t.dim() != 2 or t.shape[-1] % 16 or "norm" in k:
                            continue
                        x32 = t.float().cuda().contiguous()
                        amax = x32.abs().amax()
                        y = hk.fp4_fake_quant_block(x32, amax).to(torch.bfloat16)
                        e1 = nvfp4_emulation(x32, amax, True).to(torch.bfloat16)
                        e0 = nvfp4_emulation(x32, amax, False).to(torch.bfloat16)
                        yb, b1, b0 = (v.view(torch.int16) for v in (y, e1, e0))
                        m1 = (yb != b1)
                        res["tensors"] += 1
                        res["elements"] += y.numel()
                        res["mismatch_recip_global"] += int(m1.sum())
                        res["mismatch_ieee_global"] += int((yb != b0).sum())
                        res["zero_sign_only"] += int((m1 & (y.float() == e1.float())).sum())
                        if m1.any() and len(res["examples"]) < 20:
                            i = int(m1.flatten().nonzero()[0])
                            res["examples"].append({"tensor": f"{arch}:{k}", "index": i,
                                                    "x": float(x32.flatten()[i]),
                                                    "triton": float(y.flatten()[i]),
                                                    "eager_ieee": float(e1.flatten()[i])})
        # which PTX division the kernel uses
        x = torch.randn(16, 64, device="cuda")
        y = torch.empty_like(x)
        gsc = (x.abs().amax() / (6.0 * 448.0)).reshape(1)
        ck = hk.fp4_fake_quant_kernel[(1, 1)](x, y, 16, 64, gsc, 64, 1, 64, 1, BLOCK_SIZE=16,
                                              TILE_M=16, TILE_N=64, NUM_FP4_BLOCKS=4,
                                              OUT_DTYPE=hk._torch_dtype_to_tl(torch.float32))
        ptx = ck.asm.get("ptx", "") if hasattr(ck, "asm") else ""
        res["ptx_div_lines"] = sorted({ln.strip().split()[0] for ln in ptx.splitlines()
                                       if ln.strip().startswith(("div.", "rcp."))})
        res["triton_version"] = triton.__version__
        d["nvfp4_triton_vs_eager"] = res
    except Exception as e:  # noqa: BLE001
        d["nvfp4_triton_vs_eager"] = {"error": f"{type(e).__name__}: {e}",
                                      "traceback": traceback.format_exc()[-3000:]}
    return d


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=400.0,
                    help="stop starting runs this many seconds after the start")
    ap.add_argument("--archs", default="")
    ap.add_argument("--recipes", default="")
    args = ap.parse_args()
    out = Path(args.out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    (out / "runs").mkdir(parents=True, exist_ok=True)

    import torch
    import transformers
    import modelopt
    import modelopt.torch.quantization as mtq  # noqa: F401

    meta = {"versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                         "transformers": transformers.__version__,
                         "modelopt": modelopt.__version__,
                         "cuda": torch.version.cuda,
                         "device": torch.cuda.get_device_name(0)},
            "checkpoints": {}, "failures": {}, "runs": [], "skipped": []}
    try:
        import triton
        meta["versions"]["triton"] = triton.__version__
    except Exception:  # noqa: BLE001
        pass
    log("versions", meta["versions"])

    want = set(filter(None, args.archs.split(",")))
    ckpts = {}
    for name, cls, cfgc, kw in arch_specs():
        if want and name not in want:
            continue
        d = out / "checkpoints" / name
        try:
            meta["checkpoints"][name] = make_checkpoint(name, cls, cfgc, kw, d)
            load_model(d)  # loads as a user would
            ckpts[name] = d
            log("checkpoint", name, sum(p.stat().st_size for p in d.iterdir()), "bytes")
        except Exception as e:  # noqa: BLE001
            meta["failures"][f"checkpoint:{name}"] = f"{type(e).__name__}: {e}\n" + \
                traceback.format_exc()[-3000:]
            shutil.rmtree(d, ignore_errors=True)
            log("checkpoint FAILED", name, e)

    try:
        meta["kernels"] = kernel_vectors(out / "kernels")
    except Exception as e:  # noqa: BLE001
        meta["failures"]["kernels"] = f"{type(e).__name__}: {e}\n" + traceback.format_exc()[-3000:]
    log("kernels", meta.get("kernels"))
    (out / "diag.json").write_text(json.dumps(probes(ckpts), indent=1))
    log("probes done")

    recipes = all_recipes()
    meta["recipes_available"] = recipes
    if args.recipes:
        recipes = [r for r in recipes if r in set(args.recipes.split(","))]
    runs = plan_runs(list(ckpts), recipes)
    log(f"{len(runs)} runs planned")
    for i, (arch, recipe) in enumerate(runs):
        if time.time() - T0 > args.budget_s:
            meta["skipped"] = [f"{a}__{r}" for a, r in runs[i:]]
            log(f"time budget reached: {len(runs) - i} runs skipped")
            break
        work = Path(tempfile.mkdtemp(prefix="mo_"))
        res = run_one(arch, ckpts[arch], recipe, work)
        shutil.rmtree(work, ignore_errors=True)
        key = f"{arch}__{recipe}"
        (out / "runs" / f"{key}.json").write_text(json.dumps(res, indent=None, sort_keys=True))
        st = {m: v.get("status") for m, v in res.get("modes", {}).items()}
        if "quantize_error" in res:
            st = {"quantize": res["quantize_error"][:160]}
        for m, v in res.get("modes", {}).items():
            if v.get("status") != "ok":
                st[m] = v.get("error", "")[:160]
        meta["runs"].append({"key": key, "status": st, "seconds": res.get("seconds")})
        log(f"run {i + 1}/{len(runs)} {key} {res.get('seconds')}s {st}")
    meta["elapsed_s"] = round(time.time() - T0, 1)
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    log("done")


if __name__ == "__main__":
    main()
