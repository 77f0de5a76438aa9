"""Commands that take several inputs: files, directories (recursive) and ``-`` (stdin).

One input's failure is reported as its located line and the others still run; the exit
status is the worst one (2 unreadable > 1 invalid/refused > 0). With more than one input
each result is preceded by ``==> NAME <==`` (the convention of head and tail), unless the
command prints one JSON object per line, which names its input itself.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

STDIN = "-"
STDIN_NAME = "<stdin>"


def expand(paths: list[str], pattern: str = "*.xml") -> list[str]:
    """Files as given, directories replaced by their files matching ``pattern`` (sorted).

    Names that are neither (missing files, ``-``) are kept as given: reading them
    reports the located error. A directory without any match is an input error."""
    import fnmatch
    import os

    from virtconform.engine.errors import InputError

    out: list[str] = []
    for p in paths:
        if p != STDIN and os.path.isdir(p):
            # os.walk's directory entries know their type: no stat per file (rglob's cost)
            found = sorted(os.path.join(root, f) for root, _dirs, files in os.walk(p)
                           for f in fnmatch.filter(files, pattern))
            if not found:
                raise InputError(f"no {pattern} files in this directory", path=p, line=0, column=0)
            out += found
        else:
            out.append(p)
    return out


def read_input(path: str) -> tuple[str, bytes]:
    """(display name, bytes) of one input; ``-`` reads standard input (size-limited)."""
    from virtconform.engine.errors import DocumentError
    from virtconform.engine.xmlio import MAX_BYTES, read_bytes

    if path != STDIN:
        return path, read_bytes(path)
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DocumentError(f"document is larger than the limit of {MAX_BYTES} bytes",
                            path=STDIN_NAME, line=1, column=1)
    return STDIN_NAME, data


def for_each(paths: list[str], pattern: str, handle: Callable[[str, bytes], str], *,
             json_lines: bool = False) -> int:
    """Run ``handle(name, data)`` on every input, writing what it returns to stdout."""
    from virtconform.engine.errors import VirtconformError

    files = expand(paths, pattern)
    several = len(files) > 1
    worst = 0
    out = sys.stdout
    for path in files:
        try:
            name, data = read_input(path)
            text = handle(name, data)
        except VirtconformError as e:
            e.located(STDIN_NAME if path == STDIN else path)
            out.flush()
            print(e.format(), file=sys.stderr)
            worst = max(worst, e.exit_status)
            continue
        if several and not json_lines:
            out.write(f"==> {name} <==\n")
        out.write(text)
    return worst
