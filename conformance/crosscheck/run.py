"""One crosscheck: documents x modes x capability sets through both sides, tallied,
grouped by kind, the groups' witnesses minimized, and the report."""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import deviations, families
from .checker import MODES, Checker, Probe, Result, probes_for
from .compare import HOST_DEPENDENT, LIBVIRT_CRASH
from .documents import Document, generated_one, inputs, pin_random
from .minimize import Target, minimize
from .protocol import Oracle
from .report import Cell, Group, Report


@dataclass
class Options:
    oracle: str
    caps: list[str] = field(default_factory=list)   # specs; none: every named set
    count: int | None = None
    seed: int = 0
    files: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=lambda: list(MODES))
    jobs: int = 0
    minimize_seconds: float = 20.0
    profile: str = "libvirt-test"
    deviations: Path | None = deviations.TABLE
    hang_seconds: float = 10.0
    mutants: int = 0   # value mutants of each document given (generators/edgevalues.py)


def mutants_of(docs: list[Document], k: int, seed: int) -> list[Document]:
    """``k`` value mutants of each document, named after it, random values pinned."""
    from virtconform.conformance.generators.edgevalues import value_mutants
    return [Document(f"{d.name} ~{i + 1}", pin_random(m))
            for d in docs for i, m in enumerate(value_mutants(d.text, k, seed))]


def line_mutants_of(lines: list[Document], k: int, seed: int) -> list[Document]:
    """``k`` value mutants of each command line given, named after it."""
    from virtconform.conformance.generators.edgevalues import line_mutants
    return [Document(f"{d.name} ~{i + 1}", m) for d in lines for i, m in enumerate(line_mutants(d.text, k, seed))]


def capability_sets(specs: list[str]) -> dict[str, frozenset[str]]:
    """Each spec (a named set, flag names, or both) under its own name; none: every named set."""
    from virtconform.engine.caps.flags import NAMED_SETS, resolve
    if not specs:
        return {name: frozenset(flags) for name, flags in NAMED_SETS.items()}
    return {spec: frozenset(resolve(spec)) for spec in dict.fromkeys(specs)}


def crosscheck(opts: Options, progress: Callable[[str], None] | None = None) -> Report:
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    sets = capability_sets(opts.caps)
    oracle = Oracle(opts.oracle, hang_seconds=opts.hang_seconds)
    with tempfile.TemporaryDirectory(prefix="virtconform-crosscheck-", dir=scratch_dir()) as tmp, \
            Checker(oracle, Path(tmp), jobs=opts.jobs, profile=opts.profile) as checker:
        lines: list[Document] = []
        if opts.files:
            docs, lines = inputs(opts.files)
            source = f"{len(opts.files)} path(s)"
            if opts.mutants:
                docs += mutants_of(docs, opts.mutants, opts.seed)
                lines += line_mutants_of(lines, opts.mutants, opts.seed)
                source += f" and {opts.mutants} value mutant(s) of each document (seed {opts.seed})"
        else:
            count = opts.count or 0
            say(f"generating {count} documents (seed {opts.seed})")
            docs = checker.map(_generated, [(opts.seed, k) for k in range(count)])
            source = f"generated, seed {opts.seed}"
        names: dict[str, str] = {}
        for d in docs + lines:
            names.setdefault(d.text, d.name)
        kinds_of_rows, notes = deviation_kinds(checker, opts.deviations)
        deliberate = deviations.Deliberate(kinds_of_rows, table_rows(opts.deviations))
        probes = probes_for(list(dict.fromkeys(d.text for d in docs)), sets, opts.modes)
        if "argv2xml" in opts.modes:  # a command line given is read back as it is
            probes += [Probe(t, "argv2xml") for t in dict.fromkeys(ln.text for ln in lines)]
        say(f"checking {len(docs)} documents, {len(lines)} command lines: {len(probes)} probes")
        t = time.monotonic()
        results = checker.check(probes)
        say(f"checked in {time.monotonic() - t:.1f}s")
        report = tally(results, names, sets, opts.modes, deliberate, given_lines=any(p.given_line for p in probes))
        distinct_docs, distinct_lines = len({d.text for d in docs}), len({ln.text for ln in lines})
        report.oracle, report.source, report.documents = oracle.label, source, distinct_docs
        report.command_lines = distinct_lines
        if distinct_docs + distinct_lines < len(docs) + len(lines):
            report.notes.append(f"{len(docs) + len(lines) - distinct_docs - distinct_lines} input(s) identical "
                                "to another, counted once")
        report.deviation_rows = kinds_of_rows
        report.notes += notes
        if oracle.batch_only_crashes:
            report.notes.append(f"{oracle.batch_only_crashes} batch crash(es) that no single run reproduced")
        work = [g for g in report.groups + report.crashes if g.probe is not None]
        if work and opts.minimize_seconds > 0:
            say(f"minimizing {len(work)} witnesses ({opts.minimize_seconds:g}s at most)")
            t = time.monotonic()
            targets = [Target(g.kind, g.probe) for g in work if g.probe is not None]
            minimize(checker, targets, t + opts.minimize_seconds)
            for g, target in zip(work, targets, strict=True):
                g.probe = target.probe
                g.witness_state = "minimized" if target.done else "partly minimized"
            report.minimize_seconds = time.monotonic() - t
            say(f"minimized in {report.minimize_seconds:.1f}s")
        describe_witnesses(checker, work)
    attribute_families(report)
    report.seconds = time.monotonic() - started
    return report


def scratch_dir() -> str | None:
    """Where the files for the oracle go: memory (/dev/shm) when there is one; tens of
    thousands of small files on a busy disk cost more than both conversions."""
    import os
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _generated(task: tuple[int, int]) -> Document:
    return generated_one(*task)


def table_rows(table: Path | None) -> list[deviations.Row]:
    return deviations.rows(table) if table is not None and table.is_file() else []


def deviation_kinds(checker: Checker, table: Path | None) -> tuple[dict[str, list[str]], list[str]]:
    """The kinds of disagreement each row's witness shows (row id -> kinds), and notes."""
    if table is None or not table.is_file():
        return {}, []
    from virtconform.engine.caps.flags import resolve
    rows = [r for r in deviations.rows(table) if r.mode in MODES and r.witness.is_file()]
    notes: list[str] = []
    out: dict[str, list[str]] = {}
    for r in rows:
        if r.libvirt.outcome == "hangs":
            out[r.id] = []  # never sent: libvirt would not answer (the row's test shows it)
    rows = [r for r in rows if r.id not in out]
    docs = [r for r in rows if r.mode != "argv2xml"]
    results: list[Result | None] = list(checker.check(
        [Probe(pin_random(r.witness.read_text(encoding="utf-8")), r.mode, r.caps,
               frozenset(resolve(r.caps)) if r.mode == "argv" else frozenset()) for r in docs]))
    lines = [r for r in rows if r.mode == "argv2xml"]
    results += checker.check_lines([r.witness.read_text(encoding="utf-8") for r in lines])
    for row, res in zip(docs + lines, results, strict=True):
        if res is not None and res.verdict.outcome == HOST_DEPENDENT and row.libvirt.outcome == "depends":
            out[row.id] = []  # host-dependent documents are counted apart anyway
            continue
        if res is None or res.verdict.agrees:
            notes.append(f"deviation row {row.id} no longer deviates")
            continue
        covered = deviations.covered_kinds(row, list(res.verdict.kinds))
        if not covered and row.libvirt.outcome == "crashes":
            out[row.id] = []  # a crash stays a finding (deviations.covered_kinds)
            continue
        if not covered:
            notes.append(f"deviation row {row.id}: none of its witness' differences is what the row names")
        out[row.id] = covered
    return out, notes


#: the agreement table's row of the command lines given as such (argv2xml, no capability set)
GIVEN_LINES = "given lines"


def tally(results: list[Result | None], names: dict[str, str], sets: dict[str, frozenset[str]],
          modes: list[str], deliberate: deviations.Deliberate, *, given_lines: bool = False) -> Report:
    cells: dict[tuple[str, str], Cell] = {}
    for mode in MODES:
        if mode not in modes:
            continue
        for caps in ([""] if mode == "xml2xml" else list(sets)):
            cells[(mode, caps)] = Cell(mode, caps or "-")
        if mode == "argv2xml" and given_lines:
            cells[(mode, "")] = Cell(mode, GIVEN_LINES)
    groups: dict[str, Group] = {}
    seen = families.Tally()
    for r in results:
        if r is None:
            continue
        p, v = r.probe, r.verdict
        apart = bool(v.kinds) and all(k in deliberate for k in v.kinds)
        cells[(p.mode, p.caps)].add(r, apart)
        how = families.HOST if v.outcome == HOST_DEPENDENT else families.CRASH if v.outcome == LIBVIRT_CRASH \
            else families.DELIBERATE if apart else families.COMPARED
        seen.add(p.mode, p.caps, p.text, how, [k for k in v.kinds if k not in deliberate])
        name = names.get(p.text, "?")
        for k in v.kinds:
            g = groups.get(k)
            if g is None:
                g = groups[k] = Group(k, p.mode, v.outcome, deviation=deliberate.row(k),
                                      example=f"{name}{' @ ' + p.caps if p.caps else ''}", detail=v.detail)
            g.count += 1
            g.documents.add(name)
            g.caps[p.caps] += 1
            if g.probe is None or len(p.text) < len(g.probe.text):
                g.probe = p
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.kind))
    report = Report(oracle="", source="", documents=0, sets={k: sorted(v) for k, v in sets.items()},
                    modes=[m for m in MODES if m in modes], cells=list(cells.values()))
    report.family_tally = seen
    report.deliberate = [g for g in ordered if g.deviation]
    report.crashes = [g for g in ordered if not g.deviation and g.outcome == LIBVIRT_CRASH]
    report.groups = [g for g in ordered if not g.deviation and g.outcome != LIBVIRT_CRASH]
    for g in report.deliberate:
        g.probe = None  # deliberate: nothing to minimize
    return report


def describe_witnesses(checker: Checker, groups: list[Group]) -> None:
    """Run every witness once more: what each side answers on it, shown in the report."""
    probes = [g.probe for g in groups if g.probe is not None]
    results = checker.check(probes) if probes else []
    for g, r in zip([g for g in groups if g.probe is not None], results, strict=True):
        assert g.probe is not None
        g.witness = g.probe.text
        g.witness_caps = g.probe.caps
        if r is None:
            continue
        g.witness_detail = r.verdict.detail
        g.witness_ours = _short(r.ours.text)
        g.witness_libvirt = _short(r.theirs.text)
        if g.kind not in r.verdict.kinds:  # not reproducible (e.g. the oracle's clock moved on)
            g.witness_state += " (kind not shown again)"


def attribute_families(report: Report) -> None:
    """Each group's device family (by what its kind names, else by its witness), and the
    matrix family x column of the whole run."""
    attributions = {}
    for g in report.groups + report.crashes:
        a = families.attribute(g.kind, g.witness or None, g.witness_state)
        g.families, g.attributed_by = list(a.families), a.basis
        attributions[g.kind] = a
    cols = families.columns(report.modes, report.sets)
    report.families = families.matrix(report.family_tally, cols, attributions)


def _short(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
