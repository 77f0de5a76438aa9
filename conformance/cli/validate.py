"""``virtconform validate FILE|DIR|- ...``: RELAX NG validation per ../shared/CONTRACT.md.

Files, directories (every ``*.xml`` below, sorted) and ``-`` (standard input, named
``<stdin>`` in diagnostics)
are checked against one compiled schema. Many files are split over worker
processes forked after the schema is loaded (each keeps its own caches);
results are printed in input order, so the output is the same with any
``--jobs``. Exit 0 when all are valid, 1 when some are invalid, 2 when some
cannot be read (2 wins).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator

from virtconform.engine import schema
from virtconform.engine.errors import DocumentError, InputError
from virtconform.engine.xmlio import parse_bytes, read_document

from .inputs import STDIN, STDIN_NAME, expand, read_input

#: below this many files a pool costs more than it saves
_PARALLEL_FROM = 64
_CHUNK = 48

Result = tuple[str, int, list[str], list[dict[str, object]]]  # path, status, lines, errors

_SCHEMA: str | None = None
_STDIN: bytes | None = None


def check_one(path: str) -> Result:
    """One document: (path, 0 valid / 1 invalid / 2 unreadable, printed lines, JSON errors)."""
    try:
        if path == STDIN:
            path = STDIN_NAME
            doc = parse_bytes(_STDIN or b"", path)
        else:
            doc = read_document(path)
        problems = schema.validate(doc, _SCHEMA)
        return (path, 1 if problems else 0, [p.format(path) for p in problems],
                [p.as_dict() for p in problems])
    except (InputError, DocumentError) as e:
        e.located(path=path)
        status = 2 if isinstance(e, InputError) else 1
        return path, status, [e.format()], [{"line": e.line or 0, "column": e.column or 0,
                                             "message": e.message}]


def _check_chunk(paths: list[str]) -> list[Result]:
    return [check_one(p) for p in paths]


def jobs_default() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def results(files: list[str], jobs: int) -> Iterator[Result]:
    """Results in input order; forked workers when there are many files."""
    if jobs <= 1 or len(files) < _PARALLEL_FROM or "fork" not in _start_methods():
        for f in files:
            yield check_one(f)
        return
    import multiprocessing
    chunks = [files[i:i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    # the first chunk here: the workers, forked after it, inherit the warm caches
    yield from _check_chunk(chunks[0])
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for batch in pool.imap(_check_chunk, chunks[1:]):
            yield from batch


def _start_methods() -> list[str]:
    import multiprocessing
    return multiprocessing.get_all_start_methods()


def run(args: argparse.Namespace) -> int:
    global _SCHEMA, _STDIN
    _SCHEMA = args.schema
    cs = schema.load_schema(args.schema)  # bad --schema: exit 2 before any file
    del cs
    files = expand(args.files, "*.xml")
    if files.count(STDIN) > 1:
        from virtconform.engine.errors import UsageError
        raise UsageError("standard input (-) can be read only once")
    if STDIN in files:
        _STDIN = read_input(STDIN)[1]
    report: list[dict[str, object]] = []
    unreadable = invalid = valid = 0
    err = sys.stderr
    jobs = args.jobs if getattr(args, "jobs", None) else jobs_default()
    for path, status, lines, errors in results(files, jobs):
        for line in lines:
            err.write(line + "\n")
        unreadable += status == 2
        invalid += status != 0
        valid += status == 0
        report.append({"path": path, "valid": status == 0, "errors": errors})
    if args.json:
        json.dump({"files": report, "valid": valid, "invalid": invalid}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if unreadable:
        return 2
    return 1 if invalid else 0
