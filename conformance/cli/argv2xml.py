"""`virtconform argv2xml`: the domain XML a QEMU command line describes (domxml-from-native)."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def converter(args: argparse.Namespace) -> Callable[[str, bytes], str]:
    """(name, bytes) -> the domain XML; raises located VirtconformErrors."""
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.qemu.argvparse import argv_to_xml

    caps = get_profile(args.profile).capabilities
    return lambda name, data: argv_to_xml(_text(name, data), caps, name)


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.cli.inputs import for_each
    return for_each(args.files, "*.args", converter(args))


def _text(path: str, data: bytes) -> str:
    """The command line as text: no NUL, valid UTF-8, not empty (located errors)."""
    from virtconform.engine.errors import DocumentError

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
    return text
