#!/usr/bin/env bash
# Builds qcfg and runs the whole test suite (unit tests, conformance against ../shared).
# QCFG_SANITIZE=1: the same suite in build-asan, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (LibTorch and CUDA off: Debian's libtorch is not instrumented).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
setup_args=()
label=tests
if [[ ${QCFG_SANITIZE:-0} == 1 ]]; then
  export QCFG_BUILD_DIR=${QCFG_BUILD_DIR:-build-asan}
  setup_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dtorch=disabled -Dcuda=disabled
              -Doptimization=1 -Ddebug=true)
  # Any report fails the test that triggered it; leaks included.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
  label="sanitizer tests"
  # The exhaustive rounding proofs are pure arithmetic over 2^31 inputs: the plain build already
  # runs them, and under the sanitizers they would take a large part of CI's time.
  # Instrumented code runs several times slower than the plain build the tests' timeouts were
  # set for (test_kernels took over its 30 s on a loaded machine).
  set -- --no-suite exhaustive --timeout-multiplier 4 "$@"
fi
tools/build.sh "${setup_args[@]}"
build_dir=${QCFG_BUILD_DIR:-build}
set +e
meson test -C "$build_dir" --print-errorlogs "$@" | tee "$build_dir/test-summary.txt"
status=${PIPESTATUS[0]}
set -e
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$build_dir/test-summary.txt" | tail -1)
echo "$label: ${ok:-0} passed, ${fail:-0} failed, ${skip:-0} skipped" |
  tee "$build_dir/test-summary.line"
exit "$status"
