#!/usr/bin/env bash
# The main job on the bundled inputs: check and lint every recipe of recipes/, then print the
# canonical form of each.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
qcfg=${QCFG_BUILD_DIR:-build}/tools/qcfg/qcfg
mapfile -t recipes < <(find recipes -name '*.yaml' | sort)
"$qcfg" check "${recipes[@]}"
"$qcfg" lint "${recipes[@]}"
for r in "${recipes[@]}"; do
  echo "== $r"
  "$qcfg" normalize --mode auto --format yaml "$r"
done
