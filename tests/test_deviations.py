"""Every row of docs/deviations.md holds: ours as stated, libvirt as stated, and they differ.

The table is the only place where virtconform may differ from libvirt 0.8.3 on purpose.
libvirt's side is checked against its own code (../shared/oracle, in single and in batch
mode) or its own 2010 schema (../shared/libvirt-0.8.3/schemas) when those are present; ours
always. The crosscheck must see every row: the kinds of disagreement a row's witness shows
are what it counts as deliberate.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from virtconform.conformance.crosscheck import deviations
from virtconform.conformance.crosscheck.answers import CRASH, HANG, HOST, OK, Answer
from virtconform.conformance.crosscheck.deviations import Claim, Row
from virtconform.conformance.crosscheck.documents import pin_random
from virtconform.conformance.crosscheck.protocol import Oracle
from virtconform.conformance.suites.shared import libvirt_schema, oracle_command

CLI = [sys.executable, "-m", "virtconform.conformance.cli"]
ROWS = deviations.rows()
DOCUMENT_RUNS = ("xml2xml", "argv")
#: a `hangs` row's witness keeps libvirt busy for hours (quadratic work) or for ever; no
#: answer in this much CPU time is that claim (a witness of a hang is chosen far beyond the edge)
HANG_SECONDS = 3.0


@dataclass
class Result:
    outcome: str
    output: str

    def satisfies(self, claim: Claim) -> bool:
        if self.outcome != claim.outcome:
            return False
        return claim.text is None or claim.text in self.output


def _flags(spec: str) -> list[str]:
    from virtconform.engine.caps.flags import resolve
    return sorted(resolve(spec))


def ours(row: Row) -> Result:
    if row.mode == "schema":
        p = subprocess.run([*CLI, "validate", str(row.witness)], capture_output=True, text=True)
        return Result("accepts" if p.returncode == 0 else "rejects", p.stderr)
    cmd = [*CLI, "argv", "--caps", row.caps, str(row.witness)] if row.mode == "argv" else \
        [*CLI, row.mode, str(row.witness)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode in (0, 1), f"{row.id}: exit {p.returncode}: {p.stderr}"
    return Result("builds", p.stdout) if p.returncode == 0 else Result("refuses", p.stderr)


def _oracle() -> Oracle:
    cmd = oracle_command()
    if cmd is None:
        pytest.skip("../shared/oracle is not present")
    return Oracle(str(cmd), hang_seconds=HANG_SECONDS)


def _as_result(a: Answer) -> Result:
    return Result({OK: "builds", CRASH: "crashes", HANG: "hangs", HOST: "depends"}.get(a.status, "refuses"), a.text)


def libvirt(row: Row) -> Result:
    if row.mode == "schema":
        path = libvirt_schema()
        if path is None:
            pytest.skip("libvirt's 2010 schema (../shared) is not present")
        rng = etree.RelaxNG(etree.parse(str(path)))
        doc = etree.parse(str(row.witness), etree.XMLParser(resolve_entities=False, no_network=True))
        ok = rng.validate(doc)
        return Result("accepts" if ok else "rejects", str(rng.error_log))
    flags = _flags(row.caps) if row.mode == "argv" else None
    return _as_result(_oracle().single(row.mode, str(row.witness), flags))


def test_table_is_well_formed() -> None:
    assert ROWS, "docs/deviations.md has no rows"
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    for r in ROWS:
        assert r.witness.is_file(), f"{r.id}: witness {r.witness} is missing"
        assert r.mode in deviations.RUNS, r.run
        assert r.rule and r.why, f"{r.id}: a row says its rule and why"
        if r.mode == "argv":
            assert _flags(r.caps) is not None, r.run


@pytest.mark.parametrize("row", [r for r in ROWS if r.mode in DOCUMENT_RUNS], ids=lambda r: r.id)
def test_witness_is_a_domain_with_its_random_values_pinned(row: Row) -> None:
    """A witness libvirt answers with dice (no <uuid>, a NIC without <mac>) proves nothing."""
    text = row.witness.read_text(encoding="utf-8")
    root = etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "domain", f"{row.id}: the witness is not a domain"
    assert pin_random(text) == text, f"{row.id}: give the witness a <uuid> and every NIC a <mac>"


@pytest.mark.parametrize("row", [r for r in ROWS if r.mode == "argv2xml"], ids=lambda r: r.id)
def test_argv2xml_witness_is_one_command_line(row: Row) -> None:
    text = row.witness.read_text(encoding="utf-8")
    assert text.endswith("\n") and text.count("\n") == 1, f"{row.id}: an .args witness is one line"


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row_holds(row: Row) -> None:
    mine = ours(row)
    assert mine.satisfies(row.ours), f"{row.id}: ours is {mine.outcome}: {mine.output[-400:]}"
    theirs = libvirt(row)
    assert theirs.satisfies(row.libvirt), f"{row.id}: libvirt is {theirs.outcome}: {theirs.output[-400:]}"
    assert (mine.outcome, mine.output) != (theirs.outcome, theirs.output), \
        f"{row.id}: no longer deviates from libvirt; remove the row"


def test_libvirt_answers_every_row_alike_in_batch_mode() -> None:
    """The crosscheck asks the oracle in batch mode: every row's claim holds there too."""
    oracle = _oracle()
    for r in [r for r in ROWS if r.mode != "schema"]:
        flags = _flags(r.caps) if r.mode == "argv" else None
        got = oracle.batch(r.mode, [str(r.witness)], flags)[str(r.witness)]
        assert _as_result(got).satisfies(r.libvirt), f"{r.id}: in batch mode libvirt is {got.status}: {got.text}"


def test_crosscheck_sees_every_row(tmp_path: Path) -> None:
    """Each row's witness shows at least one kind of disagreement the row is about (which the
    crosscheck then counts as deliberate), unless libvirt's result depends on the host
    (counted apart anyway) or libvirt crashes (always a finding of its own)."""
    from virtconform.conformance.crosscheck.checker import Checker
    from virtconform.conformance.crosscheck.run import deviation_kinds
    with Checker(_oracle(), tmp_path, jobs=1) as checker:
        kinds, notes = deviation_kinds(checker, deviations.TABLE)
    for r in ROWS:
        if r.mode == "schema" or r.libvirt.outcome in ("depends", "crashes", "hangs"):
            continue
        assert kinds.get(r.id), f"{r.id}: the crosscheck sees no disagreement the row is about ({notes})"
