"""The table of deliberate deviations from libvirt 0.8.3 (``docs/deviations.md``).

One row per deliberate difference: id, rule, witness (a file in
``docs/deviations/``), run (``xml2xml``, ``argv SPEC``, ``argv2xml`` or
``schema``), libvirt's result, ours, why. ``tests/test_deviations.py`` holds
every row true; the crosscheck runs every row's witness through both sides and
counts disagreements of the same kinds as *deliberate*, apart from the others.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from virtconform.conformance.suites.shared import REPO

TABLE = REPO / "docs" / "deviations.md"
#: ``depends``: libvirt's result depends on the host (the oracle does not run the document)
OUTCOMES = ("builds", "refuses", "crashes", "hangs", "depends", "accepts", "rejects")
RUNS = ("xml2xml", "argv", "argv2xml", "schema")


@dataclass(frozen=True)
class Claim:
    """A cell of the libvirt/ours columns: an outcome, and text the output (or message) contains."""

    outcome: str
    text: str | None

    @classmethod
    def parse(cls, cell: str) -> Claim:
        m = re.fullmatch(r"(\w+)(?:\s+`(.*)`)?", cell.strip())
        if not m or m.group(1) not in OUTCOMES:
            raise ValueError(f"bad claim {cell!r} (want one of {', '.join(OUTCOMES)}, then optional `TEXT`)")
        return cls(m.group(1), m.group(2))


@dataclass(frozen=True)
class Row:
    id: str
    rule: str
    witness: Path
    run: str
    libvirt: Claim
    ours: Claim
    why: str

    @property
    def mode(self) -> str:
        return self.run.split(" ")[0]

    @property
    def caps(self) -> str:
        """The capability spec of an ``argv`` row (flag names and/or named sets)."""
        return self.run.partition(" ")[2].strip()


def rows(table: Path = TABLE) -> list[Row]:
    """The rows of the table (every line of seven cells but the header and its rule)."""
    out = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if not line.strip().startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or cells[0] == "id" or set(cells[0]) <= {"-", ":"}:
            continue
        ident, rule, witness, run, libvirt, ours, why = cells
        out.append(Row(ident, rule, table.parent / "deviations" / witness, run,
                       Claim.parse(libvirt), Claim.parse(ours), why))
    return out


#: outcome kinds (compare.judge) and the claims of a row that make them deliberate; a
#: crash of libvirt is never deliberate (one kind for every crash: a row would hide the
#: next, unrelated one), the report lists each as a finding
_OUTCOME_KINDS = {"we build, libvirt refuses": ("refuses", "builds"),
                  "we refuse, libvirt builds": ("builds", "refuses")}
_CRASH_KIND = "libvirt crashes"


def covered_kinds(row: Row, kinds: list[str]) -> list[str]:
    """The kinds of disagreement of a row's witness that the row is about.

    A witness may show more than its row's rule (another difference the engine has
    not fixed yet): only kinds that touch what the row's claims name count as
    deliberate. An output kind is covered when what it is about (``name=``, ``-boot``,
    ``<memballoon``, ``compare.kind_subject``) appears in the row's libvirt or ours
    text; a refusal kind when the row claims that outcome; a crash kind never.
    """
    from .compare import DOUBLED_COMMAS, kind_subject

    texts = [c.text for c in (row.libvirt, row.ours) if c.text]
    out = []
    for kind in kinds:
        if kind == DOUBLED_COMMAS:  # the row is about doubled commas when ours shows some
            if row.ours.text and ",," in row.ours.text and ",," not in (row.libvirt.text or ""):
                out.append(kind)
            continue
        rest = kind.partition(": ")[2]
        if rest.startswith(_CRASH_KIND):
            continue
        outcome = next((o for o in _OUTCOME_KINDS if rest.startswith(o)), None)
        if outcome is not None:
            libvirt, ours = _OUTCOME_KINDS[outcome]
            if row.libvirt.outcome == libvirt and (ours is None or row.ours.outcome == ours):
                out.append(kind)
            continue
        subject = kind_subject(kind)
        if subject and any(subject in t for t in texts):
            out.append(kind)
    return out


class Deliberate:
    """Which kinds of disagreement the deviation table makes deliberate, and by which row.

    The kinds each row's witness shows (``covered_kinds``), and beyond them the refusals a
    row is about whatever value brought them: a row where one side refuses with a message
    its claim names (``refuses `TEXT```) covers every refusal of that side, in that mode,
    whose message carries TEXT (newline-in-value: a newline in the name, a path or a
    channel name is the same rule)."""

    def __init__(self, kinds_of_rows: dict[str, list[str]], rows: list[Row]) -> None:
        from virtconform.conformance.campaign.minimize import signature
        self.exact = {k: row for row, kinds in kinds_of_rows.items() for k in kinds}
        self.messages: list[tuple[str, str, str]] = []  # (kind prefix, message text, row id)
        for r in rows:
            if r.libvirt.outcome == "hangs" and r.ours.outcome == "refuses" and r.ours.text:
                # never sent to the oracle (tests/test_deviations.py shows the hang): it covers
                # our refusals with its message where libvirt hangs, in every mode of a document
                for mode in (("xml2xml", "argv") if r.mode in ("xml2xml", "argv") else (r.mode,)):
                    self.messages.append((f"{mode}: libvirt hangs, we refuse: ", signature(r.ours.text), r.id))
                continue
            if not kinds_of_rows.get(r.id):
                continue  # no longer deviating (or not seen): it excuses nothing
            if r.ours.outcome == "refuses" and r.libvirt.outcome == "builds" and r.ours.text:
                self.messages.append((f"{r.mode}: we refuse, libvirt builds: ", signature(r.ours.text), r.id))
            if r.libvirt.outcome == "refuses" and r.ours.outcome == "builds" and r.libvirt.text:
                self.messages.append((f"{r.mode}: we build, libvirt refuses: ", signature(r.libvirt.text), r.id))

    def row(self, kind: str) -> str | None:
        """The id of the row that makes ``kind`` deliberate, else None."""
        found = self.exact.get(kind)
        if found is not None:
            return found
        for prefix, text, ident in self.messages:
            if kind.startswith(prefix) and text in kind[len(prefix):]:
                return ident
        return None

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and self.row(kind) is not None
