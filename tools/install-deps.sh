#!/usr/bin/env bash
# Installs qcfg's build dependencies from Debian packages (idempotent; run as root).
set -euo pipefail
packages=(g++ meson ninja-build pkg-config libyaml-cpp-dev nlohmann-json3-dev libfmt-dev
          doctest-dev libtorch-dev python3-jsonschema python3-yaml)
# simdjson: the fast readers of inventories, safetensors headers and shard indexes.
packages+=(libsimdjson-dev)
# tests/packaging/pre_commit_test.sh makes a virtualenv (Debian's python3 needs python3-venv for it).
packages+=(python3-venv)
# The Python package's tests (tests/python): Debian's torch for /usr/bin/python3, the same 1.13 as
# libtorch-dev (23 s to install with its dependencies, 2026-12-02).
packages+=(python3-torch)
# The fuzz targets (fuzz/run.sh): clang with libFuzzer and the sanitizer runtimes.
packages+=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
