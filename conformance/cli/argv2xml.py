"""`virtconform argv2xml`: the domain XML a QEMU command line describes (domxml-from-native)."""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.errors import DocumentError
    from virtconform.engine.qemu.argvparse import argv_to_xml
    from virtconform.engine.xmlio import read_bytes

    path = args.file
    data = read_bytes(path)
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise DocumentError("NUL byte in command line", path=path, line=line, column=col)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DocumentError("command line is not valid UTF-8", path=path, line=line, column=col) from None
    if not text.strip():
        raise DocumentError("command line is empty", path=path, line=1, column=1)
    profile = get_profile(args.profile)
    sys.stdout.write(argv_to_xml(text, profile.capabilities, path))
    return 0
