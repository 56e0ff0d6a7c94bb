#!/usr/bin/env python3
"""Makes DEST a directory of symlinks to each entry of a PyTorch wheel's include/ except fmt/.

Why: the wheel's headers must come before /usr/include (where Debian's libtorch-dev puts the
1.13 headers of the same names: building a 2.x op library against those links to symbols the
wheel's libtorch does not have), but the wheel's bundled {fmt} must not shadow the system {fmt}
that the rest of qcfg is built and linked against. -isystem DEST gives both.
Usage: torch_include_overlay.py WHEEL_INCLUDE DEST"""
import os
import sys

src, dest = sys.argv[1], sys.argv[2]
os.makedirs(dest, exist_ok=True)
for name in os.listdir(src):
    if name == "fmt":
        continue
    link = os.path.join(dest, name)
    target = os.path.join(src, name)
    if os.path.islink(link) and os.readlink(link) == target:
        continue
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(target, link)
