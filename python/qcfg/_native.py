"""Where the package finds its native parts: the ``qcfg`` executable and the op library.

Installed (pip), both sit with the package: ``qcfg`` among the scripts on PATH, the op library
``libqcfg_torch_ops.so`` beside this file. From a build tree the test suite points at them with
``QCFG_EXECUTABLE`` and ``QCFG_TORCH_OPS``.
"""

import os
import shutil
import subprocess
import sys

_OPS_NAME = "libqcfg_torch_ops.so"
_ops_loaded = False


class QcfgError(RuntimeError):
    """A qcfg command or check failed; the message is what to fix."""


class QcfgWarning(UserWarning):
    """A finding about the recipe against the model (an entry that matches nothing, QC007)."""


def qcfg_executable():
    path = os.environ.get("QCFG_EXECUTABLE")
    if path:
        if not os.access(path, os.X_OK):
            raise QcfgError(f"QCFG_EXECUTABLE={path}: not an executable file")
        return path
    scripts = os.path.join(os.path.dirname(sys.executable), "qcfg")
    for candidate in (scripts, shutil.which("qcfg")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise QcfgError("the qcfg executable was not found: install the package (pip install .) "
                    "or set QCFG_EXECUTABLE to build/tools/qcfg/qcfg")


def run_qcfg(args, quiet=False):
    """Runs ``qcfg ARGS``; raises QcfgError with its diagnostics when it exits non-zero."""
    cmd = [qcfg_executable()] + [str(a) for a in args]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not quiet and done.stderr:
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise QcfgError(f"qcfg {args[0]} failed (exit {done.returncode}):\n{done.stderr.strip()}")
    return done


def load_ops():
    """Loads torch.ops.qcfg (once) and returns it."""
    global _ops_loaded
    import torch

    if not _ops_loaded:
        path = os.environ.get("QCFG_TORCH_OPS") or os.path.join(os.path.dirname(__file__), _OPS_NAME)
        if not os.path.exists(path):
            raise QcfgError(
                f"the qcfg op library is not at {path}: the package was built without LibTorch "
                "(build it where torch is installed: docs/python.md), or set QCFG_TORCH_OPS")
        torch.ops.load_library(path)
        _ops_loaded = True
    return torch.ops.qcfg
