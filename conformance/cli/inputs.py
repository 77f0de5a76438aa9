"""Command-line inputs: files, directories (every ``*.xml`` below, sorted) and ``-`` (stdin)."""
from __future__ import annotations

import os
from collections.abc import Iterable


def expand(args: Iterable[str], suffix: str = ".xml") -> list[str]:
    """The files named or found below the directories named, in a stable order.

    Names that are neither (missing files, ``-``) are kept as given: reading
    them reports the located error. A directory without any is an input error.
    """
    from virtconform.engine.errors import InputError
    out: list[str] = []
    for arg in args:
        if arg != "-" and os.path.isdir(arg):
            found = []
            for root, dirs, files in os.walk(arg):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in files if f.endswith(suffix))
            if not found:
                raise InputError(f"directory has no *{suffix} documents", path=arg, line=0, column=0)
            out.extend(sorted(found))
        else:
            out.append(arg)
    return out
