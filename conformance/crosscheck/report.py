"""The crosscheck's report: a data structure first (JSON, and later HTML), text second.

- the agreement table: per mode x capability set, how many compared, agreed;
  where libvirt builds, how often ours is identical; where libvirt refuses,
  how often we refuse too. Deliberate deviations (rows of docs/deviations.md),
  host-dependent documents and libvirt crashes are counted apart;
- the groups of disagreement, one per kind, with counts and a minimized witness;
- libvirt's crashes, with minimized reproducers;
- the deliberate groups, each with its row of the deviation table.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .answers import OK, REFUSED
from .checker import Probe, Result
from .compare import HOST_DEPENDENT, LIBVIRT_CRASH


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 2) if d else None


@dataclass
class Cell:
    """One row of the agreement table."""

    mode: str
    caps: str
    compared: int = 0          # neither deliberate, host-dependent nor crashed
    agree: int = 0
    libvirt_built: int = 0
    identical: int = 0
    libvirt_refused: int = 0
    refused_too: int = 0
    deliberate: int = 0
    host: int = 0
    crashes: int = 0

    def add(self, r: Result, deliberate: bool) -> None:
        v = r.verdict
        if v.outcome == HOST_DEPENDENT:
            self.host += 1
        elif v.outcome == LIBVIRT_CRASH:
            self.crashes += 1
        elif deliberate:
            self.deliberate += 1
        else:
            self.compared += 1
            self.agree += v.agrees
            if r.theirs.status == OK:
                self.libvirt_built += 1
                self.identical += v.agrees
            else:
                self.libvirt_refused += 1
                self.refused_too += r.ours.status == REFUSED

    def merge(self, other: Cell) -> None:
        for k in ("compared", "agree", "libvirt_built", "identical", "libvirt_refused", "refused_too",
                  "deliberate", "host", "crashes"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "caps": self.caps, "compared": self.compared, "agree": self.agree,
                "agree_percent": _pct(self.agree, self.compared),
                "libvirt_built": self.libvirt_built, "identical": self.identical,
                "identical_percent": _pct(self.identical, self.libvirt_built),
                "libvirt_refused": self.libvirt_refused, "refused_too": self.refused_too,
                "refused_percent": _pct(self.refused_too, self.libvirt_refused),
                "deliberate": self.deliberate, "host_dependent": self.host, "libvirt_crashes": self.crashes}


@dataclass
class Group:
    """Every disagreement of one kind, and the witness that shows it."""

    kind: str
    mode: str
    outcome: str
    count: int = 0
    documents: set[str] = field(default_factory=set)
    caps: Counter[str] = field(default_factory=Counter)
    deviation: str | None = None   # the deviation row id, when deliberate
    example: str = ""              # document and capability set of the first one seen
    detail: str = ""               # what differs there
    witness: str = ""              # a document showing the kind: the smallest seen, then minimized
    witness_caps: str = ""
    witness_detail: str = ""
    witness_ours: str = ""
    witness_libvirt: str = ""
    witness_state: str = "smallest seen"  # or "minimized" (no single deletion keeps the kind), "partly minimized"
    families: list[str] = field(default_factory=list)  # the device families it is attributed to
    attributed_by: str = ""                            # what decided that (families.attribute)
    probe: Probe | None = field(default=None, repr=False, compare=False)  # the witness as checked

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mode": self.mode, "outcome": self.outcome, "count": self.count,
                "documents": len(self.documents), "caps": dict(self.caps.most_common()),
                "deviation": self.deviation, "example": self.example, "detail": self.detail,
                "witness": self.witness, "witness_caps": self.witness_caps,
                "witness_detail": self.witness_detail, "witness_ours": self.witness_ours,
                "witness_libvirt": self.witness_libvirt, "witness_state": self.witness_state,
                "families": self.families, "attributed_by": self.attributed_by}


@dataclass
class Report:
    oracle: str
    source: str
    documents: int
    sets: dict[str, list[str]]
    modes: list[str]
    cells: list[Cell] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)      # disagreements, largest first
    crashes: list[Group] = field(default_factory=list)     # libvirt died on a signal
    deliberate: list[Group] = field(default_factory=list)  # kinds of the deviation table's rows
    deviation_rows: dict[str, list[str]] = field(default_factory=dict)  # row id -> its kinds
    notes: list[str] = field(default_factory=list)
    command_lines: int = 0     # given as such (``*.args``), read back by both sides
    seconds: float = 0.0
    minimize_seconds: float = 0.0
    families: dict[str, Any] = field(default_factory=dict)  # the matrix family x column (families.matrix)
    family_tally: Any = field(default=None, repr=False)      # what it is counted from (families.Tally)

    @property
    def disagreements(self) -> int:
        return sum(c.compared - c.agree for c in self.cells)

    @property
    def exit_status(self) -> int:
        return 1 if self.groups or self.crashes else 0

    def totals(self) -> list[Cell]:
        """One row per mode over every capability set."""
        out: dict[str, Cell] = {}
        for c in self.cells:
            out.setdefault(c.mode, Cell(c.mode, "all")).merge(c)
        return list(out.values())

    def to_dict(self) -> dict[str, Any]:
        return {"oracle": self.oracle, "source": self.source, "documents": self.documents,
                "command_lines": self.command_lines,
                "capability_sets": self.sets, "modes": self.modes,
                "table": [c.to_dict() for c in self.cells], "totals": [c.to_dict() for c in self.totals()],
                "disagreements": self.disagreements, "groups": [g.to_dict() for g in self.groups],
                "crashes": [g.to_dict() for g in self.crashes],
                "deliberate": [g.to_dict() for g in self.deliberate],
                "deviation_rows": self.deviation_rows, "families": self.families, "notes": self.notes,
                "seconds": round(self.seconds, 2), "minimize_seconds": round(self.minimize_seconds, 2),
                "exit_status": self.exit_status}

    # ---------------------------------------------------------------- text
    def render(self) -> str:
        lines = f", {self.command_lines} command lines" if self.command_lines else ""
        out = [f"crosscheck: {self.documents} documents{lines} ({self.source}), {len(self.sets)} capability "
               f"set(s), modes {', '.join(self.modes)}; oracle {self.oracle}; {self.seconds:.1f}s", ""]
        out += _table(self.cells, self.totals())
        out.append("")
        if self.families:
            out += _family_lines(self.families)
        if self.groups:
            out.append(f"disagreements: {self.disagreements} in {len(self.groups)} kinds")
            out += _groups(self.groups)
        else:
            out.append("disagreements: none")
        if self.crashes:
            out += ["", f"libvirt crashes: {sum(g.count for g in self.crashes)} in {len(self.crashes)} kinds"]
            out += _groups(self.crashes)
        if self.deliberate:
            out += ["", "deliberate (rows of docs/deviations.md, counted apart):"]
            for g in self.deliberate:
                out.append(f"  {g.count:6d}  {g.kind}   [{g.deviation}]")
        for n in self.notes:
            out.append(f"note: {n}")
        out.append("")
        verdict = "agree" if not self.exit_status else "disagree"
        out.append(f"result: {verdict} ({self.disagreements} disagreements in {len(self.groups)} kinds, "
                   f"{sum(g.count for g in self.crashes)} libvirt crashes)")
        return "\n".join(out) + "\n"


def _fmt(n: int, d: int) -> str:
    return f"{n}/{d} ({100.0 * n / d:5.1f}%)" if d else "-"


def _table(cells: list[Cell], totals: list[Cell]) -> list[str]:
    head = ("mode", "capability set", "agree", "libvirt builds: identical", "libvirt refuses: we refuse",
            "deliberate", "host", "crashes")
    rows = [head]
    for c in [*cells, *totals]:
        rows.append((c.mode, c.caps, _fmt(c.agree, c.compared), _fmt(c.identical, c.libvirt_built),
                     _fmt(c.refused_too, c.libvirt_refused), str(c.deliberate), str(c.host), str(c.crashes)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(2 + len(cells), "  ".join("-" * w for w in widths))
    return lines


def _family_lines(m: dict[str, Any]) -> list[str]:
    """The cells of the matrix family x column that drift, one line each."""
    labels = {c["id"]: c["label"] if c["mode"] == "argv" else c["mode"] for c in m["columns"]}
    drifting = [c for c in m["cells"] if c["drift"]]
    if not drifting:
        return ["drift by device family: none", ""]
    out = ["drift by device family (drift / compared):"]
    width = max(len(c["family"]) for c in drifting)
    for c in drifting:
        out.append(f"  {c['family']:<{width}}  {labels[c['column']]}: {c['drift']}/{c['compared']}")
    return [*out, ""]


def _groups(groups: list[Group]) -> list[str]:
    out: list[str] = []
    for n, g in enumerate(groups, 1):
        sets = ", ".join(k for k in g.caps if k) or "-"
        out.append(f"#{n:<3d} {g.count:5d} x in {len(g.documents)} documents [{sets}]")
        out.append(f"     {g.kind}")
        if g.families:
            out.append(f"     family: {', '.join(g.families)} ({g.attributed_by})")
        if g.example:
            out.append(f"     e.g. {g.example}: {_one_line(g.detail)}")
        out.append(f"     witness ({g.witness_state}{', ' + g.witness_caps if g.witness_caps else ''}): "
                   f"{_one_line(g.witness_detail)}")
        out += ["       " + ln for ln in g.witness.rstrip("\n").splitlines()]
    return out


def _one_line(text: str, limit: int = 240) -> str:
    s = " | ".join(ln.strip() for ln in text.splitlines() if ln.strip())
    return s if len(s) <= limit else s[:limit] + "..."
