#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each one for a bounded time (docs/reliability.md).
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 25 s, every target
# Targets: front_end validator safetensors plan_reader. Corpora grow in $build/corpus/<target>; crashes,
# leaks and timeouts are written to $build/artifacts/<target>/ and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-25}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(front_end validator safetensors plan_reader)
build=${QCFG_FUZZ_BUILD_DIR:-build-fuzz}

if [[ ! -f "$build/build.ninja" ]]; then
  CXX=clang++ meson setup "$build" -Dfuzz=true -Dtests=disabled -Dtorch=disabled -Dcuda=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" $(printf 'fuzz/fuzz_%s ' "${targets[@]}") >/dev/null
python3 fuzz/make_seeds.py "$build/seeds" >/dev/null

# UBSan reports are errors (a fuzzer must stop on them); ASan checks leaks at exit.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
status=0
for t in "${targets[@]}"; do
  dict=fuzz/config.dict
  [[ $t == safetensors ]] && dict=fuzz/safetensors.dict
  [[ $t == plan_reader ]] && dict=fuzz/plan.dict
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  log="$build/fuzz-$t.log"
  dirs=("$build/corpus/$t" "$build/seeds/$t")
  [[ -d fuzz/regressions/$t ]] && dirs+=("fuzz/regressions/$t")
  set +e
  nice -n 10 "$build/fuzz/fuzz_$t" "${dirs[@]}" \
    -dict="$dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$t: ${runs:-?} executions in ${seconds}s, exit $rc"
  if ((rc != 0)); then
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
    status=1
  fi
done
exit "$status"
