#!/usr/bin/env bash
# Downloads the wheels the GPU machine lacks for the ModelOpt 0.47 harness into <repo>/.whl
# (ignored through .git/info/exclude; carried to the device with `carry: [".whl"]`).
#
# The device image already has torch 2.11, transformers 5.17, safetensors, numpy, scipy, tqdm,
# rich, regex, packaging, pyyaml, nvidia-ml-py, ninja, setuptools, typing-extensions
# (/work/.library/device/KINDS.md, "Python packages already there"). nvidia-modelopt 0.47.0
# needs on top of them: omegaconf, pulp, pydantic (+ pydantic-core, annotated-types,
# typing-inspection). One version of each; `--no-deps` everywhere (run.sh installs with
# --no-deps too). omegaconf 2.4 no longer needs antlr4.
#
# typing_extensions goes to .whl/fallback/: run.sh installs it only if pydantic fails to import
# with the machine's own copy (pydantic 2.11 needs typing-extensions >= 4.12.2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$repo"
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> "$(git rev-parse --git-common-dir)/info/exclude"
mkdir -p .whl .whl/fallback
plat=(--only-binary=:all: --python-version 3.12 --implementation cp
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
      --platform manylinux1_x86_64)
pkgs=(
  nvidia-modelopt==0.47.0
  omegaconf==2.4.0
  pulp==3.3.2
  pydantic==2.11.9
  pydantic-core==2.33.2
  annotated-types==0.7.0
  typing-inspection==0.4.1
)
for p in "${pkgs[@]}"; do
  python3 -m pip download -q --no-deps "${plat[@]}" -d .whl "$p"
done
python3 -m pip download -q --no-deps "${plat[@]}" -d .whl/fallback typing-extensions==4.15.0
# pulp's wheel bundles CBC solver binaries for six platforms (16 MB of the 21): ModelOpt imports
# pulp at import time (modelopt/torch/opt/searcher.py) but only auto_quantize's LP search runs CBC,
# which the harness never calls. Dropped so that .whl and a model fit the device tool's 64 MiB carry.
if command -v zip >/dev/null; then zip -q -d .whl/pulp-*.whl 'pulp/solverdir/cbc/*' || true; fi
ls -l .whl .whl/fallback
du -sh .whl
