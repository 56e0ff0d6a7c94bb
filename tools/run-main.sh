#!/usr/bin/env bash
# The main job on the bundled inputs, the whole product in order:
#   1. check and lint every recipe of recipes/ (what ModelOpt rejects, and what it silently
#      accepts but is wrong);
#   2. compile one recipe against a small bundled checkpoint (a Llama made with transformers'
#      LlamaForCausalLM.save_pretrained, tests/modelopt/checkpoints/llama) and explain one quantizer;
#   3. quantize that checkpoint on the CPU (`qcfg ptq`, NVFP4 weight-only export) into
#      build/main-job/out and show what was written.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
qcfg=${QCFG_BUILD_DIR:-build}/tools/qcfg/qcfg
model=tests/modelopt/checkpoints/llama
recipe=recipes/ptq/nvfp4_w4a16.yaml
work=${QCFG_BUILD_DIR:-build}/main-job
mapfile -t recipes < <(find recipes -name '*.yaml' | sort)

echo "== 1. check and lint ${#recipes[@]} recipes"
"$qcfg" check "${recipes[@]}"
"$qcfg" lint "${recipes[@]}"

echo "== 2. compile $recipe for $model"
"$qcfg" compile "$recipe" --model "$model" --format text
echo "== explain the quantizer of one layer's down_proj"
"$qcfg" explain "$recipe" --model "$model" '*layers.0.mlp.down_proj.weight_quantizer'

echo "== 3. ptq (export, CPU) into $work/out"
rm -rf "$work"  # only the main job's own output directory
mkdir -p "$work"
"$qcfg" ptq "$recipe" --model "$model" --out "$work/out" --mode export --device cpu --quiet
echo "-- tensors written (first layer)"
python3 - "$work/out/model.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
for name, t in sorted(header.items()):
    if "layers.0.mlp" in name:
        print(f"  {name:48} {t['dtype']:8} {t['shape']}")
PY
echo "-- $work/out/hf_quant_config.json"
cat "$work/out/hf_quant_config.json"
