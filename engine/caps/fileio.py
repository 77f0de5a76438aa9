"""Reading small text inputs (help dumps, qemu.conf) without importing lxml.

Why: ``virtconform caps`` and profile lookups run once per file in CI; the XML
reader pulls in lxml, which these plain-text inputs do not need. Errors follow
xmlio.read_bytes: unreadable is InputError (exit 2), oversized DocumentError.
"""
from __future__ import annotations

import os

from ..errors import DocumentError, InputError


def read_small(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``."""
    if path == "-":
        raise InputError("reading standard input is not supported", path=path)
    try:
        if os.path.isdir(path):
            raise InputError("is a directory", path=path)
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror}", path=path) from None
    if len(data) > limit:
        raise DocumentError(f"file is larger than the limit of {limit} bytes", path=path,
                            line=1, column=1)
    return data
