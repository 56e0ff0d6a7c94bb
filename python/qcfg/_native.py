"""Where the package finds its native parts: the ``qcfg`` executable and the op library.

Installed (pip), both sit with the package: ``qcfg`` among the scripts on PATH, the op library
``libqcfg_torch_ops.so`` beside this file. From a build tree the test suite points at them with
``QCFG_EXECUTABLE`` and ``QCFG_TORCH_OPS``.

The runtime's commands (``qcfg ptq``, ``qcfg apply``) run inside this process through the op
library (``torch.ops.qcfg.run_command``), on the process's CUDA context and caching allocator;
only where the op library is missing do they run as a ``qcfg`` subprocess (run_runtime).
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


def _ops_path():
    return os.environ.get("QCFG_TORCH_OPS") or os.path.join(os.path.dirname(__file__), _OPS_NAME)


def load_ops():
    """Loads torch.ops.qcfg (once) and returns it."""
    global _ops_loaded
    import torch

    if not _ops_loaded:
        path = _ops_path()
        if not os.path.exists(path):
            raise QcfgError(
                f"the qcfg op library is not at {path}: the package was built without LibTorch "
                "(build it where torch is installed: docs/python.md), or set QCFG_TORCH_OPS")
        torch.ops.load_library(path)
        _ops_loaded = True
    return torch.ops.qcfg


_raw_fold = []


def raw_fold_amax():
    """The op library's C entry of the per-tensor amax fold on CUDA (ops/fold_amax_raw.cpp) as a
    ctypes function f(x_ptr, numel, dtype_code, acc_ptr, device, stream) -> cudaError_t, or None
    where the library was built without the CUDA kernels."""
    if not _raw_fold:
        import ctypes

        load_ops()
        fn = getattr(ctypes.CDLL(_ops_path()), "qcfg_fold_amax_raw", None)
        if fn is not None:
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p,
                           ctypes.c_int, ctypes.c_void_p]
        _raw_fold.append(fn)
    return _raw_fold[0]


class _Completed:
    """What run_runtime returns: the exit code and the captured stderr (stdout stays empty), as
    subprocess.CompletedProcess has them."""

    def __init__(self, args, returncode, stderr):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, "", stderr


def runtime_op():
    """torch.ops.qcfg.run_command, or None where the op library is absent (or older)."""
    try:
        ops = load_ops()
    except (QcfgError, ImportError, OSError):
        return None
    try:
        return ops.run_command
    except (AttributeError, RuntimeError):
        return None


def run_runtime(args, quiet=False, in_process=None):
    """Runs ``qcfg ARGS`` for a runtime command (ptq, apply): in this process through the op
    library when it is there (in_process=None) or when asked (True: an error without it), else
    as a subprocess (run_qcfg). Raises QcfgError with the diagnostics when it fails."""
    op = runtime_op() if in_process is not False else None
    if op is None:
        if in_process:
            raise QcfgError("the runtime cannot run in this process: the qcfg op library is "
                            "missing or predates torch.ops.qcfg.run_command (docs/python.md)")
        return run_qcfg(args, quiet=quiet)
    argv = [str(a) for a in args]
    code, err = op(argv)
    if not quiet and err:
        sys.stderr.write(err)
    if code != 0:
        raise QcfgError(f"qcfg {argv[0]} failed (exit {code}):\n{err.strip()}")
    return _Completed(argv, code, err)
