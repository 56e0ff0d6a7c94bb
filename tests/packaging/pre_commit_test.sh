#!/usr/bin/env bash
# The real pre-commit (from PyPI) against a clone of this project in a scratch git repository:
# the hooks install (pre-commit builds and installs qcfg with pip, language: python), a file with
# findings fails the commit with file:line:col output, a clean tree passes. Everything it writes
# is under one scratch directory, removed at the end. Usage: tests/packaging/pre_commit_test.sh
set -euo pipefail
project=$(cd "$(dirname "$0")/../.." && pwd)
"$project/tools/install-deps.sh"
scratch=$(mktemp -d /tmp/qcfg-pre-commit.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export PRE_COMMIT_HOME=$scratch/cache PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
fail() { echo "pre-commit test: $*" >&2; exit 1; }

python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q pre-commit
pre_commit=$scratch/venv/bin/pre-commit

# pre-commit clones the hook repository at a commit: a clean clone of this project's HEAD.
git clone -q "$project" "$scratch/qcfg"
rev=$(git -C "$scratch/qcfg" rev-parse HEAD)

repo=$scratch/user-repo
git init -q "$repo"
cd "$repo"
git config user.email ci@example.invalid
git config user.name ci
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $scratch/qcfg
    rev: $rev
    hooks:
      - id: qcfg-lint
      - id: qcfg-migrate-check
YAML
mkdir quant_cfgs
# A legacy dict (QC001, migrate --check fails) whose num_bits is a string ModelOpt rejects.
printf 'quant_cfg:\n  "*weight_quantizer":\n    num_bits: eight\n' > quant_cfgs/bad.yaml
git add -A
"$pre_commit" install >/dev/null
if out=$(git commit -q -m bad 2>&1); then fail "a commit with findings passed: $out"; fi
echo "$out" | grep -Eq 'quant_cfgs/bad.yaml:[0-9]+:[0-9]+: ' ||
  fail "no file:line:col finding in the hook output: $out"
echo "$out" | grep -E 'quant_cfgs/bad.yaml:[0-9]+:[0-9]+: ' | head -3

cat > quant_cfgs/bad.yaml <<'YAML'
quant_cfg:
  - quantizer_name: '*'
    enable: false
  - quantizer_name: '*weight_quantizer'
    cfg:
      num_bits: 8
      axis: 0
YAML
git add -A
out=$("$pre_commit" run --all-files 2>&1) || fail "a clean tree failed: $out"
git commit -q -m good || fail "the clean commit failed"
echo "pre-commit test: hooks installed by pre-commit, findings fail with file:line:col, a clean tree passes"
