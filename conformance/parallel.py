"""Many small independent jobs on forked worker processes, results in input order.

`validate` and `check` run one cheap function over hundreds of documents. A
multiprocessing pool costs more than that work for a few hundred documents: its
imports, handler threads, pickling. Here the parent forks plain ``os.fork`` workers
after it has run the first chunk itself (so they inherit warm caches), hands out
chunk numbers over pipes, and reads back each chunk's results marshalled; it yields
them in input order, so the output does not depend on the number of workers.
The function must return values ``marshal`` can write (None, numbers, strings,
bytes, tuples, lists, dicts, sets).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # typing itself costs `validate` start-up
if TYPE_CHECKING:
    from typing import Any

_HEADER = 8  # frame: payload length, chunk number (4 bytes each, little endian)
_FAILED = 0xFFFFFFFF  # chunk number of a frame that reports a worker's own failure
#: chunk numbers a worker holds at once (one running, one waiting: it never idles on the parent)
_IN_FLIGHT = 2


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """Workers for a run the user gave no ``--jobs``: the cores other work does not keep
    busy right now, at least one -- like ``make -l``, but read from the scheduler's count
    of runnable tasks (``/proc/loadavg``) rather than the 1-minute average, which still
    holds the run before this one for a minute after it ended.

    On a saturated machine a second worker does not run beside the first: the kernel
    shares busy cores per session (autogroup), so the workers together get about one
    process's share, and they still pay for forking, copied pages and each other's
    caches (measured on 2 busy cores: the same wall time, ~30% more CPU time)."""
    n = cores()
    busy = _busy_elsewhere()
    return max(1, min(n, int(n - busy + 0.5)))


def _busy_elsewhere() -> float:
    """Tasks running or waiting to run on this machine now, this process excluded; the
    1-minute load average where the kernel does not say (not Linux)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        return float(max(0, running - 1))
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average
        return 0.0


def ordered_map(fn: Callable[[Any], Any], items: list[Any], jobs: int, *, parallel_from: int = 64,
                chunk_min: int = 8, chunk_max: int = 48) -> Iterator[Any]:
    """``fn(item)`` for every item, in order; on ``jobs`` forked workers when there are at
    least ``parallel_from`` items (below that a worker costs more than it saves).

    Chunks are small enough to balance the workers at the end, large enough that the
    pipes cost nothing next to the work. A worker's exception ends the run with a
    RuntimeError naming it."""
    if jobs <= 1 or len(items) < parallel_from or not hasattr(os, "fork"):
        for item in items:
            yield fn(item)
        return
    size = max(chunk_min, min(chunk_max, -(-len(items) // (jobs * 16))))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    # the first chunk here: the workers, forked after it, inherit the warm caches
    for item in chunks[0]:
        yield fn(item)
    if len(chunks) > 1:
        yield from _Workers(fn, chunks, jobs).results(1)


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

    def __init__(self, fn: Callable[[Any], Any], chunks: list[list[Any]], jobs: int) -> None:
        self.fn = fn
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
                payload = marshal.dumps([self.fn(item) for item in self.chunks[k]])
                _write_all(result_w, len(payload).to_bytes(4, "little") + token + payload)
        except BaseException as e:  # noqa: BLE001 - reported by the parent
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

    def results(self, first: int) -> Iterator[Any]:
        import marshal
        import select
        self._start()
        done: dict[int, list[Any]] = {}
        nxt = first  # next chunk to hand out
        want = first  # next chunk to yield
        finished = False
        try:
            for r in self.tasks:  # prime every worker
                for _ in range(_IN_FLIGHT):
                    nxt = self._hand_out(r, nxt)
            while want < len(self.chunks):
                while want in done:
                    yield from done.pop(want)
                    want += 1
                if want >= len(self.chunks):
                    break
                ready, _, _ = select.select(list(self.pending), [], [])
                for r in ready:
                    head = _read_exactly(r, _HEADER)
                    if not head:
                        raise RuntimeError("a worker process ended unexpectedly")
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
            try:
                _write_all(self.tasks[r], nxt.to_bytes(4, "little"))
            except BrokenPipeError:  # the worker failed and is gone: its result pipe says why
                return nxt
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
