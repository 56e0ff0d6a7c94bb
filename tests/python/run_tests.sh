#!/usr/bin/env bash
# Runs the Python package's tests (tests/python/test_*.py, unittest) with an interpreter that has
# torch: $QCFG_TEST_PYTHON, else the first of python3 and /usr/bin/python3 (Debian's
# python3-torch) that imports it. Without one, or without the op library, exits 77 (meson: skip)
# saying why.  usage: run_tests.sh SRC_PYTHON_DIR OPS_LIBRARY QCFG_EXE TEST_DIR
set -u
src=$1 ops=$2 exe=$3 tests=$4
py=""
for cand in ${QCFG_TEST_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import torch' 2>/dev/null; then
    py=$cand
    break
  fi
done
if [ -z "$py" ]; then
  echo "SKIP: no Python with torch (install python3-torch, or set QCFG_TEST_PYTHON)"
  exit 77
fi
if [ ! -f "$ops" ]; then
  echo "SKIP: the op library $ops was not built (configure with LibTorch)"
  exit 77
fi
echo "python: $py ($("$py" -c 'import torch; print("torch", torch.__version__)'))"
export PYTHONPATH="$src${PYTHONPATH:+:$PYTHONPATH}" QCFG_TORCH_OPS=$ops QCFG_EXECUTABLE=$exe
export PYTHONDONTWRITEBYTECODE=1
exec "$py" -m unittest discover -s "$tests" -p 'test_*.py' -v
