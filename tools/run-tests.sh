#!/usr/bin/env bash
# Builds qcfg and runs the whole test suite (unit tests, conformance against ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
build_dir=${QCFG_BUILD_DIR:-build}
set +e
meson test -C "$build_dir" --print-errorlogs "$@" | tee "$build_dir/test-summary.txt"
status=${PIPESTATUS[0]}
set -e
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
echo "tests: ${ok:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$status"
