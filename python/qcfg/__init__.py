"""qcfg: compiler, linter and runtime for NVIDIA ModelOpt ``quant_cfg`` recipes.

The compiler and the runtime are the ``qcfg`` executables; this package drives them from Python.
``qcfg.torch`` (needs PyTorch) quantizes a live ``torch.nn.Module`` as ModelOpt's
``mtq.quantize`` does and exports through the C++ runtime. See docs/python.md.
"""

__version__ = "0.1.0"

from qcfg._native import QcfgError, QcfgWarning, run_qcfg, qcfg_executable  # noqa: F401
