"""Every row of docs/deviations.md holds: ours as stated, libvirt as stated, and they differ.

The table is the only place where virtconform may differ from libvirt 0.8.3 on purpose.
libvirt's side is checked against its own code (../shared/oracle) or its own 2010 schema
(../shared/libvirt-0.8.3/schemas) when those are present; ours always.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import oracle_command, reference_suite

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "docs" / "deviations.md"
WITNESSES = REPO / "docs" / "deviations"
CLI = [sys.executable, "-m", "virtconform.conformance.cli"]
OUTCOMES = ("builds", "refuses", "crashes", "host", "accepts", "rejects")


@dataclass
class Claim:
    outcome: str
    text: str | None

    @classmethod
    def parse(cls, cell: str) -> Claim:
        m = re.fullmatch(r"(\w+)(?:\s+`(.*)`)?", cell.strip())
        assert m and m.group(1) in OUTCOMES, f"bad claim {cell!r}"
        return cls(m.group(1), m.group(2))


@dataclass
class Row:
    id: str
    witness: Path
    run: str
    libvirt: Claim
    ours: Claim


@dataclass
class Result:
    outcome: str
    output: str

    def satisfies(self, claim: Claim) -> bool:
        if self.outcome != claim.outcome:
            return False
        return claim.text is None or claim.text in self.output


def rows() -> list[Row]:
    out = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or cells[0] in ("id", "---"):
            continue
        ident, _rule, witness, run, libvirt, ours, _why = cells
        out.append(Row(ident, WITNESSES / witness, run, Claim.parse(libvirt), Claim.parse(ours)))
    return out


def _flags(spec: str) -> list[str]:
    from virtconform.engine.caps.flags import resolve
    return sorted(resolve(spec))


def ours(row: Row) -> Result:
    mode, _, arg = row.run.partition(" ")
    if mode == "schema":
        p = subprocess.run([*CLI, "validate", str(row.witness)], capture_output=True, text=True)
        return Result("accepts" if p.returncode == 0 else "rejects", p.stderr)
    if mode == "argv":
        cmd = [*CLI, "argv", "--caps", arg, str(row.witness)]
    else:
        cmd = [*CLI, mode, str(row.witness)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode in (0, 1), f"{row.id}: exit {p.returncode}: {p.stderr}"
    return Result("builds", p.stdout) if p.returncode == 0 else Result("refuses", p.stderr)


def libvirt(row: Row) -> Result:
    mode, _, arg = row.run.partition(" ")
    if mode == "schema":
        suite = reference_suite()
        if suite is None:
            pytest.skip("../shared/libvirt-0.8.3 is not present")
        from lxml import etree
        rng = etree.RelaxNG(etree.parse(str(suite / "schemas" / "domain.rng")))
        doc = etree.parse(str(row.witness), etree.XMLParser(resolve_entities=False, no_network=True))
        ok = rng.validate(doc)
        return Result("accepts" if ok else "rejects", str(rng.error_log))
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    env = dict(os.environ, LIBVIRT083_ORACLE_EMULATOR_REQUIRED="1")
    if mode == "argv":
        cmd = [str(oracle), "xml2argv", "--exact-flags", ",".join(_flags(arg)) or "none", str(row.witness)]
    else:
        cmd = [str(oracle), mode, str(row.witness)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode in (2, 3):
        pytest.skip(f"the oracle cannot run here: {p.stderr.strip()[-200:]}")
    if p.returncode < 0 or p.returncode >= 128:
        return Result("crashes", p.stderr)
    if p.returncode == 4:  # the result depends on the host: libvirt's code is not run
        return Result("host", p.stderr)
    return Result("builds", p.stdout) if p.returncode == 0 else Result("refuses", p.stderr)


ROWS = rows()


def test_table_is_well_formed() -> None:
    assert ROWS, "docs/deviations.md has no rows"
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    for r in ROWS:
        assert r.witness.is_file(), f"{r.id}: witness {r.witness} is missing"
        assert r.run.split(" ")[0] in ("xml2xml", "argv", "argv2xml", "schema"), r.run


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row_holds(row: Row) -> None:
    mine = ours(row)
    assert mine.satisfies(row.ours), f"{row.id}: ours is {mine.outcome}: {mine.output[-400:]}"
    theirs = libvirt(row)
    assert theirs.satisfies(row.libvirt), f"{row.id}: libvirt is {theirs.outcome}: {theirs.output[-400:]}"
    assert (mine.outcome, mine.output) != (theirs.outcome, theirs.output), \
        f"{row.id}: no longer deviates from libvirt; remove the row"
