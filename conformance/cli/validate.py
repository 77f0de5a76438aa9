"""``virtconform validate FILE|DIR|- ...``: RELAX NG validation per ../shared/CONTRACT.md.

Files, directories (every ``*.xml`` below, sorted) and ``-`` (standard input, named
``<stdin>`` in diagnostics) are checked against one compiled schema. Many files are
split into chunks handed to worker processes forked after the schema is loaded and
the first chunk checked (so they inherit warm diagnostic caches); results are printed
in input order, so the output is the same with any ``--jobs``. Exit 0 when all are
valid, 1 when some are invalid, 2 when some cannot be read (2 wins).

The workers are plain ``os.fork`` children talking over pipes (chunk numbers in,
marshalled results out): multiprocessing's pool costs more start-up, threads and
pickling than validating a few hundred documents.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator

from virtconform.engine import fastvalid
from virtconform.engine.errors import DocumentError, InputError
from virtconform.engine.xmlbytes import read_bytes

from .inputs import STDIN, STDIN_NAME, expand, read_input

#: below this many files a worker costs more than it saves
_PARALLEL_FROM = 64
#: documents per chunk: small enough to balance the workers at the end, large enough
#: that the pipes cost nothing next to the validation
_CHUNK_MIN, _CHUNK_MAX = 8, 48
#: chunk numbers a worker holds at once (one running, one waiting: it never idles on the parent)
_IN_FLIGHT = 2

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


def jobs_default() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def results(files: list[str], jobs: int) -> Iterator[Result]:
    """Results in input order; forked workers when there are many files."""
    if jobs <= 1 or len(files) < _PARALLEL_FROM or not hasattr(os, "fork"):
        for f in files:
            yield check_one(f)
        return
    size = max(_CHUNK_MIN, min(_CHUNK_MAX, -(-len(files) // (jobs * 16))))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    # the first chunk here: the workers, forked after it, inherit the warm caches
    yield from (check_one(f) for f in chunks[0])
    if len(chunks) > 1:
        yield from _Workers(chunks, jobs).results(1)


# ---------------------------------------------------------------- worker processes
_HEADER = 8  # frame: payload length, chunk number (4 bytes each, little endian)
_FAILED = 0xFFFFFFFF  # chunk number of a frame that reports a worker's own failure


def _compact(r: Result) -> Compact:
    return None if r[1] == 0 else (r[1], r[2], r[3])


def _expanded(path: str, c: Compact) -> Result:
    if c is None:
        return (STDIN_NAME if path == STDIN else path), 0, [], []
    name = STDIN_NAME if path == STDIN else path
    return name, c[0], c[1], c[2]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes:
    parts = []
    while n:
        got = os.read(fd, n)
        if not got:
            return b""
        parts.append(got)
        n -= len(got)
    return b"".join(parts)


class _Workers:
    """``jobs`` forked workers; the parent hands out chunk numbers and orders the results."""

    def __init__(self, chunks: list[list[str]], jobs: int) -> None:
        self.chunks = chunks
        self.jobs = max(1, min(jobs, len(chunks) - 1))
        self.pids: list[int] = []
        self.tasks: dict[int, int] = {}     # result pipe -> task pipe of the same worker
        self.pending: dict[int, int] = {}   # result pipe -> chunks handed out, not yet back

    def _worker(self, task_r: int, result_w: int) -> None:
        import marshal
        import signal
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
            while True:
                token = _read_exactly(task_r, 4)
                if not token:
                    break
                k = int.from_bytes(token, "little")
                payload = marshal.dumps([_compact(check_one(p)) for p in self.chunks[k]])
                _write_all(result_w, len(payload).to_bytes(4, "little") + token + payload)
        except BaseException as e:  # noqa: BLE001 - reported by the parent as an internal error
            msg = f"{type(e).__name__}: {' '.join(str(e).split())}".encode("utf-8", "replace")
            try:
                _write_all(result_w, len(msg).to_bytes(4, "little") + _FAILED.to_bytes(4, "little") + msg)
            finally:
                os._exit(1)
        os._exit(0)

    def _start(self) -> None:
        import gc
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the children share the parent's objects without copying their pages
        for _ in range(self.jobs):
            task_r, task_w = os.pipe()
            result_r, result_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child keeps only its own two ends
                try:
                    os.close(task_w)
                    os.close(result_r)
                    for fd in list(self.tasks) + list(self.tasks.values()):
                        os.close(fd)
                finally:
                    self._worker(task_r, result_w)
            os.close(task_r)
            os.close(result_w)
            self.pids.append(pid)
            self.tasks[result_r] = task_w
            self.pending[result_r] = 0

    def results(self, first: int) -> Iterator[Result]:
        import marshal
        import select
        self._start()
        done: dict[int, list[Compact]] = {}
        nxt = first  # next chunk to hand out
        want = first  # next chunk to yield
        finished = False
        try:
            for r in self.tasks:  # prime every worker
                for _ in range(_IN_FLIGHT):
                    nxt = self._hand_out(r, nxt)
            while want < len(self.chunks):
                while want in done:
                    for path, c in zip(self.chunks[want], done.pop(want), strict=True):
                        yield _expanded(path, c)
                    want += 1
                if want >= len(self.chunks):
                    break
                ready, _, _ = select.select(list(self.pending), [], [])
                for r in ready:
                    head = _read_exactly(r, _HEADER)
                    if not head:
                        raise RuntimeError("a validation worker process ended unexpectedly")
                    size = int.from_bytes(head[:4], "little")
                    k = int.from_bytes(head[4:], "little")
                    payload = _read_exactly(r, size) if size else b""
                    if k == _FAILED:
                        raise RuntimeError(payload.decode("utf-8", "replace"))
                    done[k] = marshal.loads(payload)
                    self.pending[r] -= 1
                    nxt = self._hand_out(r, nxt)
            finished = True
        finally:
            self._stop(finished)

    def _hand_out(self, r: int, nxt: int) -> int:
        """Send chunk ``nxt`` to the worker reading ``r``'s task pipe (if any are left)."""
        if nxt < len(self.chunks):
            _write_all(self.tasks[r], nxt.to_bytes(4, "little"))
            self.pending[r] += 1
            return nxt + 1
        return nxt

    def _stop(self, finished: bool) -> None:
        """Close the pipes (a worker exits when no more chunks come) and reap the workers;
        after an error or an interruption they are terminated instead of awaited."""
        import gc
        import signal
        for task_w in self.tasks.values():
            os.close(task_w)
        for r in self.tasks:
            os.close(r)
        for pid in self.pids:
            try:
                if not finished:
                    os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        gc.unfreeze()


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
    jobs = args.jobs if getattr(args, "jobs", None) else jobs_default()
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
