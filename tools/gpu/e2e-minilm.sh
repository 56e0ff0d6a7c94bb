#!/usr/bin/env bash
# Device run of the runtime: all-MiniLM-L6-v2 (fp16 copy) through qcfg ptq on the GPU, FP8 and
# NVFP4 weight-only fake quant (and export), then sentence embeddings compared in PyTorch.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${QCFG_SRC:-$here/../..}
TORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
if [[ ! -x /tmp/bg/tools/qcfg/qcfg ]]; then
  meson setup /tmp/bg "$src" -Dtorch_dir="$TORCH" -Dgpu_archs=90 -Dtests=enabled >/tmp/setup.log 2>&1 || { tail -30 /tmp/setup.log; exit 1; }
fi
ninja -C /tmp/bg -j16 tools/qcfg/qcfg tools/qcfg/qcfg-runtime ${EXTRA_TARGETS:-} 2>&1 | grep -E "error|FAILED" -A5 | head -40
q=/tmp/bg/tools/qcfg/qcfg
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
rm -rf /tmp/e2e && mkdir -p /tmp/e2e
for r in fp8_weight_only nvfp4_w4a16; do
  for dev in cuda cpu; do
    /usr/bin/time -f "$r $dev: %e s, %M KiB max RSS" $q ptq "$src/recipes/ptq/$r.yaml" --model "${MINILM_DIR:?set MINILM_DIR to an all-MiniLM-L6-v2 checkpoint directory}" \
      --out /tmp/e2e/$r-$dev --mode fake --device $dev --quiet || echo "FAILED $r $dev"
  done
  cmp -s /tmp/e2e/$r-cuda/model.safetensors /tmp/e2e/$r-cpu/model.safetensors && echo "$r: cuda output == cpu output (bytes)" || echo "$r: cuda and cpu outputs DIFFER"
  $q ptq "$src/recipes/ptq/$r.yaml" --model "${MINILM_DIR:?set MINILM_DIR to an all-MiniLM-L6-v2 checkpoint directory}" --out /tmp/e2e/$r-export --mode export --device cuda --quiet || echo "FAILED export $r"
  ls -la /tmp/e2e/$r-export | head -20
done
python3 "$here/embed_compare.py" "${MINILM_DIR:?set MINILM_DIR to an all-MiniLM-L6-v2 checkpoint directory}" /tmp/e2e/fp8_weight_only-cuda /tmp/e2e/nvfp4_w4a16-cuda 2>&1 | grep -v Warning
python3 - <<'PY'
import json
from safetensors import safe_open
for r in ["fp8_weight_only", "nvfp4_w4a16"]:
    p = f"/tmp/e2e/{r}-export"
    with safe_open(p + "/model.safetensors", "pt") as f:
        keys = list(f.keys())
        k = [x for x in keys if "attention.self.query" in x]
        print(r, "export tensors:", len(keys), {x: (str(f.get_tensor(x).dtype), tuple(f.get_tensor(x).shape)) for x in k})
    print(json.dumps(json.load(open(p + "/hf_quant_config.json")))[:400])
PY
