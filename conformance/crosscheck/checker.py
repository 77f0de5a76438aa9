"""Many (document, mode, capability set) probes through both sides at once.

The oracle gets one batch per mode and flag set (run in threads: it mostly
waits on its own children); meanwhile our engine answers in worker processes,
each document parsed once and built for every flag set. argv2xml probes read
the command line the oracle printed for that document and flag set, so they
run once those batches are back. Both the whole run and every minimization
round go through ``Checker.check``.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from .answers import HANG, OK, Answer
from .compare import AGREE, DIFFERENT, Verdict, judge
from .ours import Ours
from .protocol import Oracle

T = TypeVar("T")
R = TypeVar("R")
MODES = ("xml2xml", "argv", "argv2xml")


@dataclass(frozen=True)
class Probe:
    text: str
    mode: str                       # xml2xml, argv or argv2xml
    caps: str = ""                  # the capability set's name ("" for xml2xml and a given line)
    flags: frozenset[str] = frozenset()

    @property
    def given_line(self) -> bool:
        """argv2xml of ``text`` itself, a command line (not of the oracle's line for a document)."""
        return self.mode == "argv2xml" and not self.caps


@dataclass(frozen=True)
class Result:
    probe: Probe
    ours: Answer
    theirs: Answer
    verdict: Verdict
    line: str = ""                  # argv2xml: the oracle's command line both sides read


class Checker:
    """Runs probes on our engine and on the oracle; ``jobs`` worker processes for ours.
    ``ours``: our side (default: the engine with ``profile``); one that reuses what a
    campaign already computed of its documents answers the same, for less."""

    def __init__(self, oracle: Oracle, workdir: Path, *, jobs: int = 0, profile: str = "libvirt-test",
                 ours: Ours | None = None) -> None:
        self.oracle = oracle
        self.workdir = Path(workdir)
        self.jobs = jobs or os.cpu_count() or 1
        self.profile = profile
        self.ours = ours if ours is not None else Ours(profile)
        self._pool: Executor | None = None
        self._written: list[Path] = []

    # ---------------------------------------------------------------- workers
    def __enter__(self) -> Checker:
        """Fork the workers now, before any thread runs: a fork while the oracle's threads
        hold locks can leave a worker deadlocked."""
        if self.jobs > 1 and self._pool is None:
            _warm(self.profile)  # the workers inherit the loaded profile and schema
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=get_context("fork"))
            self._pool.submit(int).result()  # a fork context starts every worker on the first task
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` in the worker processes (in-process outside ``with``, with one
        job, or for a few items)."""
        if self._pool is None or len(items) < 8:
            return [fn(x) for x in items]
        return list(self._pool.map(fn, items, chunksize=max(1, min(64, len(items) // (self.jobs * 4)))))

    # ---------------------------------------------------------------- probes
    def _file(self, text: str, suffix: str) -> str:
        path = self.workdir / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}{suffix}"
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            self._written.append(path)
        return str(path)

    def discard_files(self) -> None:
        """Remove the files written for the oracle so far (a campaign's run for hours: its
        documents would fill the scratch directory, which is memory)."""
        written, self._written = self._written, []
        for path in written:
            path.unlink(missing_ok=True)

    def check(self, probes: Sequence[Probe]) -> list[Result | None]:
        """A result per probe; None for an argv2xml probe when the oracle built no command line."""
        if any(p.given_line for p in probes):
            lines = [p for p in probes if p.given_line]
            rest = [p for p in probes if not p.given_line]
            read = iter(self.check_lines([p.text for p in lines]))
            built = iter(self.check(rest) if rest else [])
            return [next(read) if p.given_line else next(built) for p in probes]
        texts = list(dict.fromkeys(p.text for p in probes))
        files = {t: self._file(t, ".xml") for t in texts}
        want_xml = {p.text for p in probes if p.mode == "xml2xml"}
        oracle_argv: dict[frozenset[str], set[str]] = {}   # flags -> texts the oracle builds for
        our_argv: dict[str, dict[str, frozenset[str]]] = {t: {} for t in texts}
        for p in probes:
            if p.mode in ("argv", "argv2xml"):
                oracle_argv.setdefault(p.flags, set()).add(p.text)
            if p.mode == "argv":
                our_argv[p.text][p.caps] = p.flags
        t0 = int(time.time())
        # ours first: a document we refuse for the implied-controllers bound is one libvirt
        # does not answer (its row's test shows it): not asked, answered HANG
        tasks = [(t, t in want_xml, sorted(our_argv[t].items()), t0, self.ours) for t in texts
                 if t in want_xml or our_argv[t]]
        mine = dict(zip([task[0] for task in tasks], self.map(_ours_task, tasks), strict=True))
        unasked = {t for t, m in mine.items()
                   if (m[0] is not None and _hangs_libvirt(m[0])) or any(_hangs_libvirt(a) for a in m[1].values())}
        with ThreadPoolExecutor(max(1, len(oracle_argv) + 1)) as threads:
            xml_job = threads.submit(self.oracle.batch, "xml2xml",
                                     [files[t] for t in texts if t in want_xml and t not in unasked]) \
                if want_xml else None
            argv_jobs = {fl: threads.submit(self.oracle.batch, "argv",
                                            [files[t] for t in texts if t in ts and t not in unasked], fl)
                         for fl, ts in oracle_argv.items()}
            their_xml = xml_job.result() if xml_job else {}
            their_argv = {fl: job.result() for fl, job in argv_jobs.items()}
        for t in unasked:
            their_xml[files[t]] = _NOT_ASKED
            for answers in their_argv.values():
                answers[files[t]] = _NOT_ASKED
        t1 = int(time.time())
        lines = {their_argv[p.flags][files[p.text]].text for p in probes
                 if p.mode == "argv2xml" and their_argv[p.flags][files[p.text]].built}
        back = self._read_back(sorted(lines))
        pairs: list[tuple[Probe, Answer, Answer, str] | None] = []
        for p in probes:
            f = files[p.text]
            if p.mode == "xml2xml":
                pairs.append((p, mine[p.text][0], their_xml[f], ""))
            elif p.mode == "argv":
                pairs.append((p, mine[p.text][1][p.caps], their_argv[p.flags][f], ""))
            else:
                line = their_argv[p.flags][f]
                pairs.append((p, *back[line.text], line.text) if line.built else None)
        # the same text agrees at once; the others are compared in the workers
        hard = [(q[0].mode, q[1], q[2]) for q in pairs if q is not None and not _same(q[1], q[2])]
        verdicts = iter(self.map(_judge_task, hard))
        out: list[Result | None] = []
        for q in pairs:
            if q is None:
                out.append(None)
                continue
            p, ours, theirs, line = q
            verdict = Verdict(AGREE) if _same(ours, theirs) else next(verdicts)
            if p.mode == "argv" and verdict.outcome == DIFFERENT and mine[p.text][2]:
                ours, verdict = self._other_second(p, theirs, t0, t1, ours, verdict)
            out.append(Result(p, ours, theirs, verdict, line))
        return out

    def _read_back(self, lines: Sequence[str]) -> dict[str, tuple[Answer, Answer]]:
        """argv2xml of command lines: (ours, theirs) per line."""
        lines = list(dict.fromkeys(lines))
        if not lines:
            return {}
        files = {ln: self._file(ln, ".args") for ln in lines}
        ours = self.map(_argv2xml_task, [(ln, self.ours) for ln in lines])
        asked = [files[ln] for ln, o in zip(lines, ours, strict=True) if not _hangs_libvirt(o)]
        theirs = self.oracle.batch("argv2xml", asked) if asked else {}
        return {ln: (o, theirs.get(files[ln], _NOT_ASKED)) for ln, o in zip(lines, ours, strict=True)}

    def check_lines(self, lines: Sequence[str]) -> list[Result]:
        """argv2xml of given command lines (``.args`` texts), both sides."""
        back = self._read_back(lines)
        return [Result(Probe(ln, "argv2xml"), *back[ln], judge("argv2xml", *back[ln]), ln) for ln in lines]

    def _other_second(self, p: Probe, theirs: Answer, t0: int, t1: int, ours: Answer,
                      verdict: Verdict) -> tuple[Answer, Verdict]:
        """offset='variable': the oracle read its clock while its batch ran; try each second of
        it and keep the one with the fewest kinds of difference (none, when only the clock differed)."""
        dom = self.ours.load(p.text, "<doc>")
        best = (ours, verdict)
        for now in range(t0 + 1, t1 + 2):
            again = self.ours.build(dom, p.flags, now)
            v = judge("argv", again, theirs)
            if v.agrees:
                return again, v
            if len(v.kinds) < len(best[1].kinds):
                best = (again, v)
        return best


#: our refusal for the implied-controllers bound (docs/deviations.md): libvirt's listing of
#: them is quadratic and does not end in useful time, so the oracle is not asked
_NOT_ASKED = Answer(HANG, "not asked: libvirt hangs where we refuse for the implied-controllers bound")


def _hangs_libvirt(ours: Answer) -> bool:
    from virtconform.engine.defaults import TOO_MANY_CONTROLLERS
    return not ours.built and TOO_MANY_CONTROLLERS in ours.text


def _same(ours: Answer, theirs: Answer) -> bool:
    return ours.status == theirs.status == OK and ours.text == theirs.text


# ---------------------------------------------------------------- worker side
def _judge_task(task: tuple[str, Answer, Answer]) -> Verdict:
    return judge(*task)


def _warm(profile: str) -> None:
    from virtconform.engine import schema
    from virtconform.engine.xmlio import parse_bytes
    Ours(profile).profile.capabilities  # noqa: B018 - parsed once, before the fork
    schema.validate(parse_bytes(b"<domain/>", "<warm>"))


def _ours_task(task: tuple[str, bool, list[tuple[str, frozenset[str]]], int, Ours]) -> Any:
    text, want_xml, sets, now, ours = task
    return ours.argv(text, sets, now=now, with_xml=want_xml)


def _argv2xml_task(task: tuple[str, Ours]) -> Answer:
    line, ours = task
    return ours.argv2xml(line)


def probes_for(texts: Iterable[str], sets: dict[str, frozenset[str]], modes: Iterable[str] = MODES) -> list[Probe]:
    """Every mode for every text: xml2xml once, argv and argv2xml per capability set."""
    modes = list(modes)
    out: list[Probe] = []
    for t in texts:
        if "xml2xml" in modes:
            out.append(Probe(t, "xml2xml"))
        for name, flags in sets.items():
            out += [Probe(t, m, name, flags) for m in ("argv", "argv2xml") if m in modes]
    return out
