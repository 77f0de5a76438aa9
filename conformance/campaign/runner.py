"""One worker of a fuzz campaign: properties over generated documents until a deadline.

Documents come from the generator (``generate``'s documents: one 64-bit seed each, drawn
from a stream seeded by ``--seed`` and the job number, so a campaign is reproducible).
Each document is checked by every selected property of its kind (plain or hostile values),
so loading and building a document is paid once for all of them (properties.analysis).
Hypothesis is not in this loop: a seed is one draw, which Hypothesis can neither shrink nor
steer, and its per-example bookkeeping cost as much as checking four properties; failures
are minimized by campaign/minimize.py instead. What Hypothesis gives a campaign is its
example database (a directory, or Redis shared by many machines; database.py): a failure,
minimized, goes there and every other worker replays it first; documents that reach
something new (a schema path, a skip reason, a builder refusal) go to its corpus and are
replayed by the others too. Counts: ``examples`` are generated documents a property
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import database as dbkeys
from .minimize import minimize, signature
from .properties import PROPERTIES, Property, Skip, analysis, set_name, skip_reason

#: documents of each kind between looks at the clock and the database
BATCH = 10
#: how often a worker looks for what the others put into the database
POLL_SECONDS = 2.0
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
                 out: Path, progress: bool) -> None:
        self.job, self.seconds, self.names = job, seconds, names
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
        self.minimizing = 0.0
        self.deadline = 0.0
        self.samples: list[dict[str, float | int]] = []

    # ------------------------------------------------------------ checking
    def check(self, xml: str, props: list[Property], group: str, replay: bool = False) -> None:
        """Every property of ``props`` on one document; new coverage goes to the corpus."""
        new: set[str] = set()
        for prop in props:
            st = self.stats[prop.name]
            if replay:
                st.replayed += 1
            try:
                prop.check(xml)
            except Skip as e:
                reason = skip_reason(e)
                new.add(f"{prop.name}:skip:{reason}")
                if not replay:
                    st.skipped += 1
                    st.skip_reasons[reason] += 1
                continue
            except Exception as e:  # noqa: BLE001 - every other outcome is a failure
                st.examples += not replay
                self.fail(prop, xml, e, "database" if replay else "generated")
                continue
            st.examples += not replay
            new.add(f"{prop.name}:ok")
        if replay:
            return
        new |= _features(xml)
        new -= self.features
        if new:
            self.features |= new
            if self.db is not None:
                self.seen_docs.add(_digest(xml))
                self.db.save(dbkeys.corpus_key(group), xml.encode())
                self.corpus_saved += 1

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
    def replay(self) -> None:
        """What the database holds that this worker has not run: failures first, then corpus."""
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
            if props:
                for value in list(self.db.fetch(dbkeys.corpus_key(group))):
                    if self._new(value) and time.monotonic() < self.deadline:
                        self.check(value.decode("utf-8", "replace"), props, group, replay=True)

    def _new(self, value: bytes) -> bool:
        d = hashlib.blake2b(value, digest_size=16).digest()
        if d in self.seen_docs:
            return False
        self.seen_docs.add(d)
        return True

    # ------------------------------------------------------------ the loop
    def run(self) -> dict[str, Any]:
        from ..generators.domaingen import generate_domain_text

        start = time.monotonic()
        self.deadline = start + self.seconds
        self.replay()
        last_poll = last_report = time.monotonic()
        groups = [(g, GROUPS[g], props) for g, props in self.groups.items() if props]
        every, next_sample = self.seconds / SAMPLES, start
        while groups and time.monotonic() < self.deadline:
            for _ in range(BATCH):
                for group, hostile, props in groups:
                    self.check(generate_domain_text(self.rng.getrandbits(64), hostile=hostile), props, group)
                    if (now := time.monotonic()) >= next_sample:
                        self.sample(now - start)
                        next_sample = now + every
            now = time.monotonic()
            if now - last_poll >= POLL_SECONDS:
                last_poll = now
                self.replay()
            if self.progress and now - last_report >= 1.0:
                last_report = now
                self._report(now - start)
        if self.progress:
            sys.stderr.write("\n")
        self.sample(time.monotonic() - start)
        return {"stats": {n: s.to_json() for n, s in self.stats.items()}, "failures": self.failures,
                "seconds": time.monotonic() - start, "corpus_saved": self.corpus_saved,
                "duplicate_failures": self.duplicates, "samples": self.samples}

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


def _passes(prop: Property, xml: str) -> bool:
    try:
        prop.check(xml)
    except Skip:
        return False
    return True


def _digest(xml: str) -> bytes:
    return hashlib.blake2b(xml.encode(), digest_size=16).digest()


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
               out: str, progress: bool) -> dict[str, Any]:
    """Entry point for a process of ``fuzz --jobs N``."""
    return Worker(job, seconds, seed, names, database, Path(out), progress).run()
