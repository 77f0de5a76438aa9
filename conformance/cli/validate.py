"""``virtconform validate FILE|DIR|- ...``: RELAX NG validation per ../shared/CONTRACT.md.

Files, directories (every ``*.xml`` below, sorted) and ``-`` (standard input, named
``<stdin>`` in diagnostics) are checked against one compiled schema. Many files are
split into chunks handed to worker processes (conformance/parallel.py) forked after the
schema is loaded and the first chunk checked (so they inherit warm diagnostic caches);
results are printed in input order, so the output is the same with any ``--jobs``.
Exit 0 when all are valid, 1 when some are invalid, 2 when some cannot be read (2 wins).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from virtconform.engine import fastvalid
from virtconform.engine.errors import DocumentError, InputError
from virtconform.engine.xmlbytes import read_bytes

from ..parallel import default_jobs, ordered_map
from .inputs import STDIN, STDIN_NAME, expand, read_input

Result = tuple[str, int, list[str], list[dict[str, object]]]  # path, status, lines, errors
# what a worker sends per document: None when valid, else (status, lines, errors)
Compact = tuple[int, list[str], list[dict[str, object]]] | None

_SCHEMA: str | None = None
_STDIN: bytes | None = None
#: the shipped schema through libxml2's C API (valid documents never import lxml), if usable
_FAST: fastvalid.FastSchema | None = None


def check_one(path: str) -> Result:
    """One document: (path, 0 valid / 1 invalid / 2 unreadable, printed lines, JSON errors)."""
    try:
        if path == STDIN:
            path = STDIN_NAME
            data = _STDIN or b""
        else:
            data = read_bytes(path)
        verdict = _FAST.verdict(data) if _FAST is not None else fastvalid.UNDECIDED
        if verdict == fastvalid.VALID:
            return path, 0, [], []
        from virtconform.engine import schema
        from virtconform.engine.xmlio import parse_bytes
        doc = parse_bytes(data, path)
        problems = schema.validate(doc, _SCHEMA, rejected=verdict == fastvalid.REJECTED)
        if not problems:
            return path, 0, [], []
        return (path, 1, [p.format(path) for p in problems], [p.as_dict() for p in problems])
    except (InputError, DocumentError) as e:
        e.located(path=path)
        status = 2 if isinstance(e, InputError) else 1
        return path, status, [e.format()], [{"line": e.line or 0, "column": e.column or 0,
                                             "message": e.message}]


def _compact(path: str) -> Compact:
    """What a worker sends back for one document: None when valid."""
    r = check_one(path)
    return None if r[1] == 0 else (r[1], r[2], r[3])


def results(files: list[str], jobs: int) -> Iterator[Result]:
    """Results in input order; forked workers when there are many files."""
    for path, c in zip(files, ordered_map(_compact, files, jobs), strict=True):
        name = STDIN_NAME if path == STDIN else path
        yield (name, 0, [], []) if c is None else (name, c[0], c[1], c[2])


def run(args: argparse.Namespace) -> int:
    global _SCHEMA, _STDIN, _FAST
    _SCHEMA = args.schema
    _FAST = fastvalid.shipped() if args.schema is None else None
    if _FAST is None:
        from virtconform.engine import schema
        schema.load_schema(args.schema)  # bad --schema: exit 2 before any file
    files = expand(args.files, "*.xml")
    if files.count(STDIN) > 1:
        from virtconform.engine.errors import UsageError
        raise UsageError("standard input (-) can be read only once")
    if STDIN in files:
        _STDIN = read_input(STDIN)[1]
    report: list[dict[str, object]] = []
    unreadable = invalid = valid = 0
    err = sys.stderr
    jobs = args.jobs if getattr(args, "jobs", None) else default_jobs()
    for path, status, lines, errors in results(files, jobs):
        for line in lines:
            err.write(line + "\n")
        unreadable += status == 2
        invalid += status != 0
        valid += status == 0
        if args.json:
            report.append({"path": path, "valid": status == 0, "errors": errors})
    if args.json:
        import json
        json.dump({"files": report, "valid": valid, "invalid": invalid}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if unreadable:
        return 2
    return 1 if invalid else 0
