"""One worker of a fuzz campaign: properties over generated documents until a deadline.

Documents come from the generator (``generate``'s documents: one 64-bit seed each, drawn
from a stream seeded by ``--seed`` and the job number, so a campaign is reproducible).
Each document is checked by every selected property of its kind (plain or hostile values),
so loading and building a document is paid once for all of them (properties.analysis).
Hypothesis is not in this loop: a seed is one draw, which Hypothesis can neither shrink nor
steer, and its per-example bookkeeping cost as much as checking four properties; failures
are minimized by campaign/minimize.py instead. What Hypothesis gives a campaign is its
example database (a directory, or Redis shared by many machines; database.py): a failure,
minimized, goes there and every other worker replays it first, at start-up and as soon as
it polls; documents that reach something new (a schema path, a skip reason, a builder
refusal) go to its corpus, which every worker replays when it starts (a running worker
does not check again what a peer running the same code just checked). Counts: ``examples`` are generated documents a property
checked; ``skipped`` ones it did not apply to (with the reason); ``replayed`` ones that came
from the database. ``samples`` give the campaign's shape over time: examples, coverage
(distinct features reached, database or not) and failures, about SAMPLES times per budget.
"""
from __future__ import annotations

import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import database as dbkeys
from .catalogue import PROPERTIES
from .minimize import minimize, signature
from .properties import Property, Skip, analysis, set_name, skip_reason

#: a batch of documents closes after this many seconds or this many documents of each kind
#: (properties with a batch form pay process starts per batch, not per document: the
#: oracle's cost per document of a batch of 25 is twice that of a batch of 100)
BATCH_SECONDS = 3.0
BATCH_MAX = 100
#: how often a worker looks for what the others put into the database
POLL_SECONDS = 2.0
#: the share of a worker's budget that replaying the database's corpus may take (failures
#: are always replayed, first): a large shared corpus would otherwise eat a short campaign;
#: corpus documents replay in chunks of this many
REPLAY_SHARE = 0.25
REPLAY_CHUNK = 25
#: samples of a campaign's counts over its time budget (the shape of ``--html``'s charts)
SAMPLES = 60
GROUPS = {"plain": False, "hostile": True}


@dataclass
class PropertyStats:
    examples: int = 0
    skipped: int = 0
    failures: int = 0
    replayed: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"examples": self.examples, "skipped": self.skipped, "failures": self.failures,
                "replayed": self.replayed, "skip_reasons": dict(self.skip_reasons.most_common())}


class Worker:
    """One process' share of a campaign."""

    def __init__(self, job: int, seconds: float, seed: int, names: list[str], database: str | None,
                 out: Path, progress: bool, max_examples: int | None = None) -> None:
        self.job, self.seconds, self.names = job, seconds, names
        self.max_examples = max_examples
        self.rng = random.Random(seed * 7919 + job)
        self.db = dbkeys.open_database(database)
        self.out = out
        self.progress = progress and sys.stderr.isatty()
        self.stats = {n: PropertyStats() for n in names}
        self.groups = {g: [PROPERTIES[n] for n in names if g in PROPERTIES[n].kinds] for g in GROUPS}
        self.failures: list[dict[str, str]] = []
        self.seen_errors: set[tuple[str, str]] = set()
        self.seen_docs: set[bytes] = set()
        self.features: set[str] = set()
        self.corpus_saved = 0
        self.duplicates = 0
        self.minimizing = self.replaying = 0.0
        self.start = self.deadline = self.last_report = 0.0
        self.every = self.next_sample = 0.0
        self.samples: list[dict[str, float | int]] = []
        self.helper: ThreadPoolExecutor | None = None
        self.waiting: tuple[Future[Any], list[str], list[set[str]], str] | None = None

    # ------------------------------------------------------------ checking
    def check(self, docs: list[str], props: list[Property], group: str, replay: bool = False) -> None:
        """Every property of ``props`` on each document (see check_each and finish)."""
        self.finish(docs, [self.check_each(xml, props, replay) for xml in docs], props, group, replay)

    def check_each(self, xml: str, props: list[Property], replay: bool = False) -> set[str]:
        """The properties without a batch form on one document, and the batched ones'
        ``warm``; what it reached (outcomes, schema paths, build outcomes: computed while
        its shared analysis is cached)."""
        new: set[str] = set()
        for prop in props:
            if prop.batch is not None:
                if prop.warm is not None:
                    try:
                        prop.warm(xml)
                    except Exception:  # noqa: BLE001 - the batch meets it again and records it
                        pass
                continue
            try:
                prop.check(xml)
                outcome: BaseException | None = None
            except Exception as e:  # noqa: BLE001 - every outcome is recorded
                outcome = e
            new.add(self.record(prop, xml, outcome, replay))
        if not replay:
            new |= _features(xml)
        self.tick()
        return new

    def finish(self, docs: list[str], reached: list[set[str]], props: list[Property], group: str,
               replay: bool = False) -> None:
        """The properties with a batch form on all ``docs`` at once; then documents that
        reached something new go to the corpus. Generated batches are handed to the helper
        thread (run): their outcomes are recorded when the next batch is handed over."""
        batched = [p for p in props if p.batch is not None] if docs else []
        if batched and self.helper is not None and not replay:
            self.collect()
            self.waiting = (self.helper.submit(_outcomes, batched, docs), docs, reached, group)
            return
        self.settle(_outcomes(batched, docs), docs, reached, group, replay)

    def collect(self) -> None:
        """Record the outcomes of the batch the helper thread is working on, if any."""
        if self.waiting is not None:
            future, docs, reached, group = self.waiting
            self.waiting = None
            self.settle(future.result(), docs, reached, group)

    def settle(self, outcomes: list[tuple[Property, list[BaseException | None]]], docs: list[str],
               reached: list[set[str]], group: str, replay: bool = False) -> None:
        for prop, results in outcomes:
            for xml, new, outcome in zip(docs, reached, results, strict=True):
                new.add(self.record(prop, xml, outcome, replay))
        if replay:
            return
        for xml, new in zip(docs, reached, strict=True):
            new -= self.features
            if new:
                self.features |= new
                if self.db is not None:
                    self.seen_docs.add(_digest(xml))
                    self.db.save(dbkeys.corpus_key(group), xml.encode())
                    self.corpus_saved += 1

    def record(self, prop: Property, xml: str, outcome: BaseException | None, replay: bool) -> str:
        """Count one outcome of ``prop`` on ``xml`` (a failure is minimized and saved); the
        feature it reached."""
        st = self.stats[prop.name]
        if replay:
            st.replayed += 1
        if isinstance(outcome, Skip):
            reason = skip_reason(outcome)
            if not replay:
                st.skipped += 1
                st.skip_reasons[reason] += 1
            return f"{prop.name}:skip:{reason}"
        st.examples += not replay
        if outcome is not None:
            self.fail(prop, xml, outcome, "database" if replay else "generated")
            return f"{prop.name}:fail"
        return f"{prop.name}:ok"

    def fail(self, prop: Property, xml: str, e: BaseException, source: str) -> None:
        error = f"{type(e).__name__}: {e}"
        key = (prop.name, signature(error))
        if key in self.seen_errors:
            self.duplicates += 1
            return
        self.seen_errors.add(key)
        small = xml
        # a failure from the database was minimized where it was found; minimizing may take
        # at most a quarter of the budget in all, so failures do not eat the campaign
        budget = min(max(2.0, min(30.0, 0.2 * self.seconds)), 0.25 * self.seconds - self.minimizing)
        if source != "database" and budget > 0:
            t0 = time.monotonic()
            small = minimize(xml, prop.check, t0 + budget)
            self.minimizing += time.monotonic() - t0
        if small != xml:
            try:
                prop.check(small)
            except Exception as again:  # noqa: BLE001 - the minimized failure's own message
                error = f"{type(again).__name__}: {again}"
        self.stats[prop.name].failures += 1
        from .reproducers import write_reproducer
        path = write_reproducer(self.out, f"{prop.name}-{self.job}-{len(self.failures) + 1:03d}",
                                {"property": prop.name, "error": error, "xml": small})
        self.failures.append({"property": prop.name, "error": error, "xml": small, "source": source,
                              "reproducer": str(path)})
        if self.db is not None:
            self.db.save(dbkeys.failures_key(prop.name), small.encode())
            self.seen_docs.add(_digest(small))
        print(f"[job {self.job}] FAIL {prop.name}: {error.splitlines()[0][:200]}\n"
              f"  reproducer: {path}", file=sys.stderr)

    # ------------------------------------------------------------ sharing
    def replay(self, corpus: bool = True) -> None:
        """What the database holds that this worker has not run: failures first, then (at
        start-up) the corpus."""
        if self.db is None:
            return
        for group, props in self.groups.items():
            for prop in props:
                key = dbkeys.failures_key(prop.name)
                for value in list(self.db.fetch(key)):
                    if not self._new(value):
                        continue
                    xml = value.decode("utf-8", "replace")
                    try:
                        passed = _passes(prop, xml)
                    except Exception as e:  # noqa: BLE001
                        self.stats[prop.name].replayed += 1
                        self.fail(prop, xml, e, "database")
                        continue
                    self.stats[prop.name].replayed += 1
                    if passed:  # fixed since: the database forgets it, as Hypothesis does
                        self.db.delete(key, value)
            if props and corpus:
                fresh = [v for v in list(self.db.fetch(dbkeys.corpus_key(group))) if _digest(v) not in self.seen_docs]
                for i in range(0, len(fresh), REPLAY_CHUNK):
                    if time.monotonic() >= self.deadline or self.replaying >= REPLAY_SHARE * self.seconds:
                        break  # what is left stays for later polls (and other workers)
                    chunk = [v for v in fresh[i:i + REPLAY_CHUNK] if self._new(v)]
                    t0 = time.monotonic()
                    self.check([v.decode("utf-8", "replace") for v in chunk], props, group, replay=True)
                    self.replaying += time.monotonic() - t0

    def _new(self, value: bytes) -> bool:
        d = _digest(value)
        if d in self.seen_docs:
            return False
        self.seen_docs.add(d)
        return True

    # ------------------------------------------------------------ the loop
    def run(self) -> dict[str, Any]:
        from ..generators.domaingen import generate_domain_text

        start = self.start = time.monotonic()
        self.deadline = start + self.seconds
        self.replay()
        # the oracle's properties wait on an outside process for most of their time: a
        # helper thread runs them on one batch while this one generates and checks the next
        with ThreadPoolExecutor(1, thread_name_prefix="batch") as helper:
            self.helper = helper
            try:
                self._loop(start, generate_domain_text)
                self.collect()
            finally:
                self.helper = None
        if self.progress:
            sys.stderr.write("\n")
        self.sample(time.monotonic() - start)
        return {"stats": {n: s.to_json() for n, s in self.stats.items()}, "failures": self.failures,
                "seconds": time.monotonic() - start, "corpus_saved": self.corpus_saved,
                "duplicate_failures": self.duplicates, "samples": self.samples}

    def _loop(self, start: float, generate_domain_text: Callable[..., str]) -> None:
        last_poll = time.monotonic()
        groups = [(g, GROUPS[g], props) for g, props in self.groups.items() if props]
        self.every, self.next_sample = self.seconds / SAMPLES, start
        while groups and time.monotonic() < self.deadline and not self.enough():
            # a batch: documents of each kind in turn, for BATCH_SECONDS (or BATCH_MAX of them),
            # then what takes documents in batches (the oracle's properties) gets them all
            pending: dict[str, tuple[list[str], list[set[str]]]] = {g: ([], []) for g, _, _ in groups}
            closes = min(time.monotonic() + BATCH_SECONDS, self.deadline)
            while time.monotonic() < closes and len(pending[groups[0][0]][0]) < BATCH_MAX and not self.enough():
                for group, hostile, props in groups:
                    xml = generate_domain_text(self.rng.getrandbits(64), hostile=hostile)
                    pending[group][0].append(xml)
                    pending[group][1].append(self.check_each(xml, props))
            for group, _, props in groups:
                self.finish(*pending[group], props, group)
            now = time.monotonic()
            if now - last_poll >= POLL_SECONDS:
                last_poll = now
                self.collect()
                self.replay(corpus=False)

    def enough(self) -> bool:
        """Whether the worker has checked the examples it was asked for (``--examples``)."""
        return self.max_examples is not None and \
            sum(s.examples for s in self.stats.values()) >= self.max_examples

    def tick(self) -> None:
        """After each document: a sample of the campaign's shape, progress on a terminal."""
        now = time.monotonic()
        if now >= self.next_sample:
            self.sample(now - self.start)
            self.next_sample = now + self.every
        if self.progress and now - self.last_report >= 1.0:
            self.last_report = now
            self._report(now - self.start)

    def sample(self, elapsed: float) -> None:
        """The counts so far: examples checked, features reached (schema paths, build
        outcomes: the campaign's coverage), failures found."""
        counts = {"examples": sum(s.examples for s in self.stats.values()),
                  "coverage": len(self.features), "failures": len(self.failures)}
        last = self.samples[-1] if self.samples else None
        if last and elapsed - last["seconds"] < self.seconds / SAMPLES and \
                all(last[k] == v for k, v in counts.items()):
            self.samples.pop()  # the end, just after the last sample: one point, not two
        self.samples.append({"seconds": round(elapsed, 3), **counts})

    def _report(self, elapsed: float) -> None:
        total = sum(s.examples for s in self.stats.values())
        skipped = sum(s.skipped for s in self.stats.values())
        sys.stderr.write(f"\r[job {self.job}] {elapsed:5.1f}s  {total} examples ({total / max(elapsed, 1e-9):.0f}/s)"
                         f"  {skipped} skipped  {len(self.failures)} failure(s)  ")
        sys.stderr.flush()


def _outcomes(props: list[Property], docs: list[str]) -> list[tuple[Property, list[BaseException | None]]]:
    return [(p, p.outcomes(docs)) for p in props]


def _passes(prop: Property, xml: str) -> bool:
    try:
        prop.check(xml)
    except Skip:
        return False
    return True


def _digest(xml: str | bytes) -> bytes:
    return hashlib.blake2b(xml.encode() if isinstance(xml, str) else xml, digest_size=16).digest()


_SET_NAMES: dict[frozenset[str], str] = {}


def _features(xml: str) -> set[str]:
    """What a document reaches: its schema paths and each capability set's outcome
    (computed for every document: the campaign's coverage over time)."""
    from ..grammar.coverage import document_paths
    a = analysis(xml)
    out = document_paths(a.root)
    for flags, outcome in a.outcomes().items():
        name = _SET_NAMES.get(flags) or _SET_NAMES.setdefault(flags, set_name(flags))
        out.add(f"build {name}: built" if hasattr(outcome, "argv")
                else f"build {name}: {signature(outcome.message)}")
    return out


def run_worker(job: int, seconds: float, seed: int, names: list[str], database: str | None,
               out: str, progress: bool, max_examples: int | None = None) -> dict[str, Any]:
    """Entry point for a process of ``fuzz --jobs N``."""
    return Worker(job, seconds, seed, names, database, Path(out), progress, max_examples).run()
