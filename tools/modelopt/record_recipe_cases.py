#!/usr/bin/env python3
"""Records what ModelOpt 0.47.0's own loaders decide for the recipe-section cases.

Writes tests/modelopt/recipe_sections/cases/*.yaml (the inputs qcfg's test loads) and
tests/modelopt/recipe_sections/golden.json (ModelOpt's result for each case, and for the
speculative, distillation and auto_quantize files of the 0.47 tree in tests/modelopt/recipes/).
tests/modelopt/recipe_sections_test.cpp compares qcfg with the golden file.

Run (no GPU, no torch): make a venv with the pydantic the GPU harness pins
(tools/gpu/modelopt/fetch_wheels.sh) and unpack the wheel:

    python3 -m venv /tmp/mo/venv
    /tmp/mo/venv/bin/pip install pydantic==2.11.9 pydantic-core==2.33.2 pyyaml omegaconf==2.4.0
    pip download --no-deps nvidia-modelopt==0.47.0 -d /tmp/mo
    unzip -q /tmp/mo/nvidia_modelopt-0.47.0-py3-none-any.whl -d /tmp/mo/whl
    /tmp/mo/venv/bin/python tools/modelopt/record_recipe_cases.py --wheel /tmp/mo/whl

Import shim (why no torch is needed): the config classes never use torch. The only torch call
on the import path is `torch.serialization.add_safe_globals` in
`ModeloptBaseConfig.__init_subclass__`, a registration for torch.load; the shim's torch module
makes it a no-op. The package `__init__.py` files of `modelopt`, `modelopt.torch.*` import the
whole library (and torch), so the shim registers those packages with their real directories
and without running their `__init__.py`; `modelopt.torch.utils.network` (imported by the
quantization config for one type alias) is replaced by a module holding that alias only.
Everything else (pydantic models, validators, `load_recipe`, `load_dmd_config`) is ModelOpt's
own code, unmodified.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import sys
import types
import warnings
from collections.abc import Callable
from enum import Enum
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "modelopt" / "recipe_sections"
TREE = REPO / "tests" / "modelopt" / "recipes"

# The 0.47 tree's files whose sections ModelOpt validates beyond QuantizeConfig.
TREE_FILES = [
    ("general/speculative_decoding/dflash.yaml", "recipe"),
    ("general/speculative_decoding/dspark.yaml", "recipe"),
    ("general/speculative_decoding/domino.yaml", "recipe"),
    ("general/speculative_decoding/eagle3.yaml", "recipe"),
    (
        "models/nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16/speculative_decoding/"
        "dspark_warmstart.yaml",
        "recipe",
    ),
    ("general/distillation/dmd2_qwen_image.yaml", "dmd"),
    ("general/auto_quantize/nvfp4_fp8_at_5p4bits.yaml", "recipe"),
    ("general/auto_quantize/nvfp4_fp8_kl_div_at_5p4bits.yaml", "recipe"),
    ("general/auto_quantize/nvfp4_mse_fp8_at_6p0bits.yaml", "recipe"),
    ("general/auto_quantize/w4a16_nvfp4_fp8_at_6p0bits-active_moe.yaml", "recipe"),
    ("general/auto_quantize/w4a8_awq_beta_fp8_at_6p0bits.yaml", "recipe"),
    ("models/meta-models/Muse-Glimmer-30B/auto_quantize/w4a16_nvfp4_4o6_mixed.yaml", "recipe"),
    ("huggingface/qwen3_6_moe/auto_quantize/w4a16_nvfp4_fp8_at_6p0bits-active_moe.yaml", "recipe"),
    (
        "huggingface/qwen3_6_moe/auto_quantize/"
        "w4a16_nvfp4_fp8_module_spaces_at_6p0bits-active_moe.yaml",
        "recipe",
    ),
]

DFLASH = "metadata: {recipe_type: speculative_dflash}\n"
EAGLE = "metadata: {recipe_type: speculative_eagle}\n"
MEDUSA = "metadata: {recipe_type: speculative_medusa}\n"
AQ = (
    "metadata: {recipe_type: auto_quantize}\n"
    "auto_quantize:\n"
    "  constraints: {effective_bits: 4.5}\n"
    "  candidate_formats:\n"
    "    - quant_cfg: []\n"
)

# name -> (loader, YAML text). One case per field type and constraint of each class.
OWN_CASES: dict[str, tuple[str, str]] = {
    # DFlashConfig
    "dflash_defaults": ("recipe", DFLASH + "dflash: {}\n"),
    "dflash_unknown_key": ("recipe", DFLASH + "dflash: {dflash_blok_size: 8}\n"),
    "dflash_block_size_word": ("recipe", DFLASH + "dflash: {dflash_block_size: eight}\n"),
    "dflash_block_size_fraction": ("recipe", DFLASH + "dflash: {dflash_block_size: 8.5}\n"),
    "dflash_block_size_coerced": (
        "recipe",
        DFLASH + "dflash: {dflash_block_size: '16', dflash_num_anchors: 64.0, "
        "dflash_mask_token_id: true}\n",
    ),
    "dflash_bool_coerced": (
        "recipe",
        DFLASH + "dflash: {dflash_report_acc: 'no', dflash_attention_sink: 1, "
        "dflash_use_torch_compile: 'off'}\n",
    ),
    "dflash_bool_wrong": ("recipe", DFLASH + "dflash: {dflash_report_acc: maybe}\n"),
    "dflash_float_coerced": (
        "recipe",
        DFLASH + "dflash: {dflash_loss_decay_factor: '4', dflash_dpace_alpha: 1}\n",
    ),
    "dflash_float_wrong": ("recipe", DFLASH + "dflash: {dflash_loss_decay_factor: [4]}\n"),
    "dflash_literal_wrong": (
        "recipe",
        DFLASH + "dflash: {dflash_loss_objective: linear, dflash_draft_attention: Causal}\n",
    ),
    "dflash_dpace_alpha_zero": ("recipe", DFLASH + "dflash: {dflash_dpace_alpha: 0}\n"),
    "dflash_dpace_alpha_nan": ("recipe", DFLASH + "dflash: {dflash_dpace_alpha: .nan}\n"),
    "dflash_bounds": (
        "recipe",
        DFLASH + "dflash: {dflash_lambda_base_start: 1.5, dflash_lambda_base_decay_ratio: 0,\n"
        "  dflash_ce_loss_alpha: -1, dflash_l1_loss_alpha: -0.1, "
        "dflash_confidence_head_alpha: -2}\n",
    ),
    "dflash_bounds_edges": (
        "recipe",
        DFLASH + "dflash: {dflash_lambda_base_start: 0, dflash_lambda_base_decay_ratio: 1,\n"
        "  dflash_ce_loss_alpha: 0}\n",
    ),
    "dflash_swa_smaller_than_block": (
        "recipe",
        DFLASH + "dflash: {dflash_swa_window_size: 4, dflash_block_size: 8}\n",
    ),
    "dflash_swa_equal_block": (
        "recipe",
        DFLASH + "dflash: {dflash_swa_window_size: 16, dflash_block_size: 16}\n",
    ),
    "dflash_dict_wrong": (
        "recipe",
        DFLASH + "dflash: {dflash_architecture_config: [1], dflash_export_rope_scaling: x}\n",
    ),
    "dflash_dict_any_content": (
        "recipe",
        DFLASH + "dflash:\n  dflash_architecture_config: {num_hidden_layers: 2, 3: [a, {b: null}]}\n",
    ),
    "dflash_optional_str_wrong": (
        "recipe",
        DFLASH + "dflash: {dflash_init_checkpoint: 5, dflash_mask_token_id: null}\n",
    ),
    "dflash_offline_derived": (
        "recipe",
        DFLASH + "data: {offline_data_path: /data/hidden}\ndflash: {dflash_offline: false}\n",
    ),
    "dflash_offline_ignored": ("recipe", DFLASH + "dflash: {dflash_offline: true}\n"),
    "dflash_section_null": ("recipe", DFLASH + "dflash:\n"),
    "dflash_section_list": ("recipe", DFLASH + "dflash: [1]\n"),
    "dflash_missing_section": ("recipe", DFLASH + "data: {}\n"),
    "dflash_foreign_section": ("recipe", DFLASH + "dflash: {}\neagle: {}\n"),
    # A recipe naming its class in a schema header (ModelOpt's config loader imports it).
    "header_dflash_recipe": (
        "recipe",
        "# modelopt-schema: modelopt.recipe.config.ModelOptDFlashRecipe\n"
        + DFLASH
        + "dflash: {dflash_block_size: 4}\n",
    ),
    "header_medusa_recipe_wrong": (
        "recipe",
        "# modelopt-schema: modelopt.recipe.config.ModelOptMedusaRecipe\n"
        + MEDUSA
        + "medusa: {medusa_num_heads: x}\n",
    ),
    # RecipeMetadataConfig of a speculative recipe
    "metadata_extra_key": (
        "recipe",
        "metadata: {recipe_type: speculative_dflash, version: 2}\ndflash: {}\n",
    ),
    "metadata_description_number": (
        "recipe",
        "metadata: {recipe_type: speculative_medusa, description: 3}\nmedusa: {}\n",
    ),
    # DataArguments
    "data_unknown_key": ("recipe", DFLASH + "data: {dat_path: /x}\ndflash: {}\n"),
    "data_ambiguous": (
        "recipe",
        DFLASH + "data: {offline_data_path: /a, streaming_server_url: 'http://h'}\ndflash: {}\n",
    ),
    "data_streaming_without_model": (
        "recipe",
        DFLASH + "data: {streaming_server_url: 'http://h'}\ndflash: {}\n",
    ),
    "data_streaming_empty_model": (
        "recipe",
        DFLASH + "data: {streaming_server_url: 'http://h', streaming_model_name: ''}\n"
        "dflash: {}\n",
    ),
    "data_streaming": (
        "recipe",
        DFLASH + "data: {streaming_server_url: 'http://h', streaming_model_name: m}\ndflash: {}\n",
    ),
    "data_sample_size_zero": ("recipe", DFLASH + "data: {sample_size: 0}\ndflash: {}\n"),
    "data_sample_size_below": ("recipe", DFLASH + "data: {sample_size: -2}\ndflash: {}\n"),
    "data_sample_size_coerced": (
        "recipe",
        DFLASH + "data: {sample_size: '100', lazy_preprocess: 'false'}\ndflash: {}\n",
    ),
    "data_mode_wrong": ("recipe", DFLASH + "data: {mode: onlin}\ndflash: {}\n"),
    "data_mode_recomputed": ("recipe", DFLASH + "data: {mode: offline}\ndflash: {}\n"),
    "data_str_wrong": ("recipe", DFLASH + "data: {data_path: 12, chat_template: [a]}\ndflash: {}\n"),
    "data_section_null": ("recipe", DFLASH + "data:\ndflash: {}\n"),
    # ModelArguments
    "model_unknown_key": ("recipe", DFLASH + "model: {model_path: x}\ndflash: {}\n"),
    "model_fields": (
        "recipe",
        DFLASH + "model: {model_name_or_path: null, trust_remote_code: 'yes', "
        "use_fake_base_for_offline: 0}\ndflash: {}\n",
    ),
    "model_bool_wrong": ("recipe", DFLASH + "model: {trust_remote_code: 2}\ndflash: {}\n"),
    # TrainingArguments (extra keys allowed and kept)
    "training_extras": (
        "recipe",
        DFLASH + "training:\n  learning_rate: 1.0e-5\n  my_flag: [1, 2]\n"
        "  training_seq_len: '4096'\n  dp_shard_size: null\n  output_dir: out\ndflash: {}\n",
    ),
    "training_int_wrong": (
        "recipe",
        DFLASH + "training: {cp_size: 1.5, ar_validate_steps: x, estimate_ar: maybe}\ndflash: {}\n",
    ),
    "training_section_list": ("recipe", DFLASH + "training: [1]\ndflash: {}\n"),
    # EagleConfig
    "eagle_defaults": ("recipe", EAGLE + "eagle: {}\n"),
    "eagle_unknown_key": ("recipe", EAGLE + "eagle: {eagle_ttt_step: 3}\n"),
    "eagle_coerced": (
        "recipe",
        EAGLE + "eagle: {eagle_ttt_steps: '4', eagle_loss_decay_factor: '0.5', "
        "eagle_base_lora: 'true', eagle_base_lora_start_layer: 17.0}\n",
    ),
    "eagle_types_wrong": (
        "recipe",
        EAGLE + "eagle: {eagle_decoder_type: 1, eagle_base_lora_rank: r, "
        "eagle_base_lora_target_modules: q_proj}\n",
    ),
    "eagle_lora_targets": (
        "recipe",
        EAGLE + "eagle: {eagle_base_lora_target_modules: [q_proj, 3], "
        "eagle_base_lora_start_layer: null}\n",
    ),
    "eagle_rope_conflict": (
        "recipe",
        EAGLE + "eagle:\n  eagle_architecture_config: {rope_scaling: {rope_type: yarn}}\n",
    ),
    "eagle_rope_conflict_type_key": (
        "recipe",
        EAGLE + "eagle:\n  eagle_architecture_config: {rope_scaling: {type: linear}}\n",
    ),
    "eagle_rope_default_ok": (
        "recipe",
        EAGLE + "eagle:\n  eagle_architecture_config: {rope_scaling: {rope_type: default}}\n",
    ),
    "eagle_rope_no_export": (
        "recipe",
        EAGLE + "eagle:\n  eagle_export_rope_scaling: {}\n"
        "  eagle_architecture_config: {rope_scaling: {rope_type: yarn}}\n",
    ),
    "eagle_rope_scaling_null": (
        "recipe",
        EAGLE + "eagle:\n  eagle_architecture_config: {rope_scaling: null}\n",
    ),
    "eagle_rope_scaling_not_mapping": (
        "recipe",
        EAGLE + "eagle:\n  eagle_architecture_config: {rope_scaling: yarn}\n",
    ),
    "eagle_seq_len_warning": (
        "recipe",
        EAGLE + "eagle:\n  eagle_export_rope_scaling: {rope_type: yarn, factor: 2.0, "
        "original_max_position_embeddings: 4096}\n",
    ),
    "eagle_seq_len_match": (
        "recipe",
        EAGLE + "training: {training_seq_len: 4096}\neagle:\n  eagle_export_rope_scaling: "
        "{original_max_position_embeddings: 4096.0}\n",
    ),
    "eagle_offline_derived": (
        "recipe",
        EAGLE + "data: {offline_data_path: /d}\neagle: {eagle_offline: false}\n",
    ),
    # MedusaConfig
    "medusa_defaults": ("recipe", MEDUSA + "medusa: {}\n"),
    "medusa_fields": ("recipe", MEDUSA + "medusa: {medusa_num_heads: '3', medusa_num_layers: 2}\n"),
    "medusa_wrong": ("recipe", MEDUSA + "medusa: {medusa_num_heads: two, medusa_layers: 1}\n"),
    # AutoQuantize sections
    "aq_minimal": ("recipe", AQ),
    "aq_score_size_wrong": ("recipe", AQ + "  score_size: many\n"),
    "aq_score_size_coerced": ("recipe", AQ + "  score_size: '64'\n  auto_quantize_method: kl_div\n"),
    "aq_method_wrong": ("recipe", AQ + "  auto_quantize_method: hessian\n"),
    "aq_unknown_key": ("recipe", AQ + "  scor_size: 1\n"),
    "aq_effective_bits_range": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n"
        "  constraints: {effective_bits: 20}\n  candidate_formats: [{quant_cfg: []}]\n",
    ),
    "aq_cost": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n"
        "  constraints: {effective_bits: '5', cost_model: active_moe, "
        "cost: {active_moe_expert_ratio: 0.125}}\n  candidate_formats: [{quant_cfg: []}]\n",
    ),
    "aq_cost_ratio_zero": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n"
        "  constraints: {cost_model: active_moe, cost: {active_moe_expert_ratio: 0}}\n"
        "  candidate_formats: [{quant_cfg: []}]\n",
    ),
    "aq_cost_model_wrong": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n"
        "  constraints: {cost_model: flops}\n  candidate_formats: [{quant_cfg: []}]\n",
    ),
    "aq_constraints_missing": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n"
        "  candidate_formats: [{quant_cfg: []}]\n",
    ),
    "aq_no_search_space": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nauto_quantize:\n  constraints: {}\n",
    ),
    "aq_space_empty_patterns": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nquantize: {quant_cfg: []}\nauto_quantize:\n"
        "  constraints: {}\n  module_search_spaces:\n"
        "    - {module_name_patterns: [], candidate_formats: [{quant_cfg: []}]}\n",
    ),
    "aq_space_fields": (
        "recipe",
        "metadata: {recipe_type: auto_quantize}\nquantize: {quant_cfg: []}\nauto_quantize:\n"
        "  constraints: {}\n  disabled_layers: ['*lm_head*']\n  module_search_spaces:\n"
        "    - {module_name_patterns: ['*mlp*'], candidate_formats: [{quant_cfg: []}], "
        "allow_no_quant: 'no'}\n",
    ),
    "aq_layers_wrong": ("recipe", AQ + "  disabled_layers: [1]\n  cost_excluded_layers: x\n"),
    # DMDConfig (fastgen distillation; load_dmd_config)
    "dmd_empty": ("dmd", "{}\n"),
    "dmd_unknown_key": ("dmd", "pred_typ: flow\n"),
    "dmd_literal_wrong": ("dmd", "pred_type: eps2\nstudent_sample_type: euler\n"),
    "dmd_coerced": (
        "dmd",
        "guidance_scale: '5'\nstudent_sample_steps: 2.0\nnum_train_timesteps: '1000'\n"
        "student_sample_type: sde\nfake_score_pred_type: null\ngan_use_same_t_noise: 'yes'\n",
    ),
    "dmd_types_wrong": (
        "dmd",
        "guidance_scale: high\nstudent_update_freq: 2.5\nbackward_simulation: maybe\n",
    ),
    "dmd_gan_r1_without_gan": ("dmd", "gan_r1_reg_weight: 100\n"),
    "dmd_gan": ("dmd", "gan_r1_reg_weight: 100\ngan_loss_weight_gen: 0.03\n"),
    "dmd_backward_one_step": (
        "dmd",
        "backward_simulation: true\nsample_t_cfg: {t_list: [0.9, 0.0]}\n",
    ),
    "dmd_backward_no_t_list": ("dmd", "backward_simulation: true\nstudent_sample_steps: 2\n"),
    "dmd_backward": (
        "dmd",
        "backward_simulation: true\nstudent_sample_steps: 2\nsample_t_cfg: {t_list: [0.9, 0]}\n",
    ),
    "dmd_sample_t_unknown_key": ("dmd", "sample_t_cfg: {mint: 0.1}\n"),
    "dmd_sample_t_bounds": ("dmd", "sample_t_cfg: {min_t: 0.5, max_t: 0.4}\n"),
    "dmd_sample_t_negative": ("dmd", "sample_t_cfg: {min_t: -0.1}\n"),
    "dmd_shift_small": ("dmd", "sample_t_cfg: {shift: 0.5}\n"),
    "dmd_t_list_short": ("dmd", "sample_t_cfg: {t_list: [0.0]}\n"),
    "dmd_t_list_last": ("dmd", "sample_t_cfg: {t_list: [0.9, 0.1]}\n"),
    "dmd_t_list_item_wrong": ("dmd", "sample_t_cfg: {t_list: [a, 0.0]}\n"),
    "dmd_t_list_not_list": ("dmd", "sample_t_cfg: {t_list: 0.5}\n"),
    "dmd_time_dist_wrong": ("dmd", "sample_t_cfg: {time_dist_type: gaussian}\n"),
    "dmd_sample_t_null": ("dmd", "sample_t_cfg:\n"),
    "dmd_ema_defaults": ("dmd", "ema: {}\n"),
    "dmd_ema_fields": (
        "dmd",
        "ema: {type: power, dtype: null, rampup_ratio: null, batch_size: '8', fsdp2: 0}\n",
    ),
    "dmd_ema_wrong": ("dmd", "ema: {type: linear, mode: shard, dtype: fp8, decay: x, extra: 1}\n"),
    "dmd_not_mapping": ("dmd", "- pred_type: flow\n"),
}

DSPARK = (
    "models/nvidia/NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16/speculative_decoding/"
    "dspark_warmstart.yaml"
)


def reproducer_cases() -> dict[str, tuple[str, str]]:
    """issue 20's three reproducers: copies of 0.47's dspark_warmstart.yaml, one edit each."""
    text = (TREE / DSPARK).read_text()

    def edit(pattern: str, replacement: str) -> str:
        out, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
        assert n == 1, pattern
        return out

    return {
        "dspark_warmstart_dflash_unknown_key": (
            "recipe",
            edit(r"^dflash:\n", "dflash:\n  dflash_blocksize: 8\n"),
        ),
        "dspark_warmstart_block_size_not_int": (
            "recipe",
            edit(r"^(  dflash_block_size:) *\S+", r"\1 eight"),
        ),
        "dspark_warmstart_data_unknown_key": (
            "recipe",
            edit(r"^data:\n", "data:\n  data_paths: /tmp/corpus.jsonl\n"),
        ),
    }


def install_shim(wheel: Path) -> None:
    sys.path.insert(0, str(wheel))
    torch = types.ModuleType("torch")
    torch.serialization = types.SimpleNamespace(add_safe_globals=lambda classes: None)
    sys.modules["torch"] = torch
    packages = [
        "modelopt",
        "modelopt.recipe",
        "modelopt.torch",
        "modelopt.torch.opt",
        "modelopt.torch.quantization",
        "modelopt.torch.utils",
        "modelopt.torch.speculative",
        "modelopt.torch.speculative.eagle",
        "modelopt.torch.speculative.dflash",
        "modelopt.torch.speculative.plugins",
        "modelopt.torch.fastgen",
    ]
    for name in packages:
        module = types.ModuleType(name)
        module.__path__ = [str(wheel.joinpath(*name.split(".")))]
        sys.modules[name] = module
    sys.modules["modelopt"].__version__ = "0.47.0"  # read by modelopt_recipes/__init__.py
    network = types.ModuleType("modelopt.torch.utils.network")
    network.ConstructorLike = Callable | tuple  # the one name quantization/config.py imports
    sys.modules["modelopt.torch.utils.network"] = network


def jsonable(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


QC = {"__quantize_config__": True}


def mask_quantize_configs(dump: dict) -> dict:
    """QuantizeConfig contents are checked by the QuantizeConfig conformance suites; here they
    are only marked, so that this golden says where ModelOpt validated one."""
    if dump.get("quantize") is not None:
        dump["quantize"] = QC
    aq = dump.get("auto_quantize")
    if isinstance(aq, dict):
        aq["candidate_formats"] = [QC for _ in aq["candidate_formats"]]
        if aq.get("kv_cache") is not None:
            aq["kv_cache"] = QC
        for space in aq["module_search_spaces"]:
            space["candidate_formats"] = [QC for _ in space["candidate_formats"]]
    return dump


def record(path: Path, loader: str) -> dict:
    from pydantic import ValidationError

    from modelopt.recipe.loader import load_recipe
    from modelopt.torch.fastgen.loader import load_dmd_config

    result: dict = {"loader": loader}
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        try:
            obj = load_recipe(str(path)) if loader == "recipe" else load_dmd_config(str(path))
            result["ok"] = True
            result["class"] = type(obj).__name__
            result["model_dump"] = mask_quantize_configs(jsonable(obj.model_dump()))
        except Exception as e:  # noqa: BLE001 - what ModelOpt raises is the decision recorded
            result["ok"] = False
            # ModelOpt's config loader re-raises a ValidationError as a ValueError naming the
            # file; the pydantic errors are its cause.
            cause = e if isinstance(e, ValidationError) else e.__cause__
            if isinstance(cause, ValidationError):
                result["errors"] = [
                    {"loc": jsonable(list(err["loc"])), "type": err["type"], "msg": err["msg"]}
                    for err in cause.errors()
                ]
            else:
                result["exception"] = f"{type(e).__name__}: {e}".replace(str(REPO) + "/", "")
    result["warnings"] = sorted({str(w.message) for w in caught})
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, required=True, help="unpacked nvidia-modelopt 0.47.0")
    args = ap.parse_args()
    install_shim(args.wheel.resolve())
    cases_dir = OUT / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    for old in cases_dir.rglob("*.yaml"):
        old.unlink()
    golden: dict = {}
    os.chdir(REPO)
    for rel, loader in TREE_FILES:
        golden[f"tests/modelopt/recipes/{rel}"] = record(TREE / rel, loader)
    for name, (loader, text) in {**OWN_CASES, **reproducer_cases()}.items():
        # qcfg (like ModelOpt's tooling) knows a distillation file by its place in the tree.
        rel = f"general/distillation/{name}.yaml" if loader == "dmd" else f"{name}.yaml"
        case = cases_dir / rel
        case.parent.mkdir(parents=True, exist_ok=True)
        case.write_text(text)
        golden[f"tests/modelopt/recipe_sections/cases/{rel}"] = record(case, loader)
    doc = {
        "about": "ModelOpt 0.47.0's own decisions (tools/modelopt/record_recipe_cases.py): "
        "model_dump() of what it accepts, pydantic's errors (loc, type) or the exception "
        "of what it rejects, the warnings it emits",
        "cases": golden,
    }
    (OUT / "golden.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    accepted = sum(1 for r in golden.values() if r["ok"])
    print(f"{len(golden)} cases, {accepted} accepted, {len(golden) - accepted} rejected")


if __name__ == "__main__":
    main()
