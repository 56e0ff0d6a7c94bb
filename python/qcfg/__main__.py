"""`python -m qcfg calibrate ...` (needs torch and transformers); any other command is handed to
the `qcfg` executable, so `python -m qcfg lint ...` works as `qcfg lint ...`."""

import os
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "calibrate":
        from qcfg.calibrate_cli import main as calibrate_main
        return calibrate_main(argv[1:])
    from qcfg._native import QcfgError, qcfg_executable
    try:
        exe = qcfg_executable()
    except QcfgError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    os.execv(exe, [exe] + list(argv))


if __name__ == "__main__":
    sys.exit(main())
