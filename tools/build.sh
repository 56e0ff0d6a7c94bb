#!/usr/bin/env bash
# Configures (once) and builds qcfg in build/ (or $QCFG_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${QCFG_BUILD_DIR:-build}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  meson setup "$build_dir" "$@" >/dev/null
fi
ninja -C "$build_dir" >/dev/null
