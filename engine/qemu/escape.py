"""Values that reach a QEMU option string must never inject options.

QEMU's option parser reads ``,,`` as a literal comma, so commas are doubled;
characters that no quoting can carry through a command line (newline, CR,
NUL) are refused. libvirt 0.8.3 did neither; no reference case changes.
"""
from __future__ import annotations

import re

from ..errors import Refused

_UNSAFE = re.compile("[\n\r\x00]")


def check_value(value: str, what: str) -> str:
    """Refuse values that cannot be passed safely at all."""
    m = _UNSAFE.search(value)
    if m:
        raise Refused(f"cannot be passed to QEMU safely: {what} contains {m.group()!r}")
    return value


def c_str(value: object) -> str:
    """What C's printf makes of a string argument: glibc prints a NULL one as '(null)',
    and libvirt 0.8.3 passes NULLs where a document leaves an optional part out."""
    return "(null)" if value is None else str(value)


def opt(value: str, what: str = "value") -> str:
    """A value placed inside a comma-separated QEMU option: commas doubled."""
    return check_value(value, what).replace(",", ",,")


def split_options(value: str) -> list[str]:
    """The inverse: split an option string as QEMU does (``,`` separates, ``,,`` is a comma)."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == ",":
            if value[i + 1:i + 2] == ",":
                cur.append(",")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts
