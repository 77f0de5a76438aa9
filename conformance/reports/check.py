"""The page of ``check``: documents x targets, and every finding with its diff.

Input: the ``--format json`` report of ``check`` (gatekeeping/reports.as_json) and, as
``locked_refusals``, the lock file's refusals (a target that refuses a document *holds*
when the lock says it refuses, but a reader of the matrix wants to see it). Each cell is
one of: pass, refused (as locked), drift (differs from the lock), not locked, invalid
document, internal error; skipped cells (behind an invalid document) say so.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .html import Cell, Html, Page, figure, file_href, h, join, number, table, tag
from .svg import Segment, stacked_bars

#: state -> (mark, words, css class, fill, failing)
STATES = {
    "pass": ("✓", "pass", "s-pass", "#b9ecc6", False),
    "refused": ("⊘", "refused (locked)", "s-refused", "#fff3a8", False),
    "drift": ("≠", "drift", "s-drift", "#ffc7c2", True),
    "changed": ("≠", "ABI changed", "s-drift", "#ffb59e", True),
    "unchecked": ("?", "ABI not checked", "s-drift", "#f5c2d8", True),
    "unlocked": ("+", "not locked", "s-drift", "#ffb3c6", True),
    "invalid": ("✗", "invalid", "s-invalid", "#ff9e99", True),
    "error": ("!", "internal error", "s-error", "#e07b7b", True),
    "skipped": ("–", "skipped", "s-skipped", "#eef1f4", False),
}
TARGET = "target "
ABI = "guest ABI"


def data(outcome: Any, lockfile: Path | None, root: str | None = None) -> dict[str, Any]:
    """The JSON report, the refusals the lock file holds for the documents checked, and the
    directory the document names are relative to (``root``: the page links the documents)."""
    from virtconform.conformance.gatekeeping.reports import as_json
    out: dict[str, Any] = json.loads(as_json(outcome))
    refusals: dict[str, dict[str, str]] = {}
    if lockfile is not None and lockfile.is_file():
        from virtconform.conformance.gatekeeping.lockfile import REFUSED, read_lock
        docs = {r["document"] for r in out["results"]}
        for (doc, target), lines in read_lock(lockfile).items():
            if doc in docs and lines and lines[0].startswith(REFUSED):
                refusals.setdefault(doc, {})[target] = lines[0][len(REFUSED):]
    out["locked_refusals"] = refusals
    out["root"] = root
    return out


def _root(config: Any) -> str | None:
    root = getattr(config, "root", None)
    return str(root) if root is not None else None


def write(out_dir: str, outcome: Any, config: Any) -> Path:
    """``check --html DIR``: the page and report.json (called once by the command)."""
    from . import write_html
    return write_html(out_dir, "check", data(outcome, getattr(config, "lockfile", None), _root(config)))


def cell_state(check: dict[str, Any] | None, valid: dict[str, Any] | None, refused: bool) -> str:
    if valid is not None and valid["status"] == "failed":
        return "error" if valid.get("message", "").startswith("virtconform: internal") else "invalid"
    if check is None or check["status"] == "skipped":
        return "skipped"
    if check["status"] == "failed":
        return "unlocked" if check.get("message", "").startswith("not in the lock") else "drift"
    return "refused" if refused else "pass"


def abi_state(check: dict[str, Any], valid: dict[str, Any]) -> str:
    """The guest-ABI column: the gate's verdict against the base revision (a change the
    configuration does not allow, or no target building both versions, fails it)."""
    state = cell_state(check, valid, False)
    if state != "drift":
        return state
    return "unchecked" if check.get("message", "").startswith("guest ABI NOT CHECKED") else "changed"


def matrix_rows(d: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(document, {column: state}) for every document: one column per target, and the
    guest ABI when it was checked."""
    refusals = d.get("locked_refusals", {})
    rows = []
    for r in d["results"]:
        checks = {c["name"]: c for c in r["checks"]}
        valid = checks.get("valid")
        if valid is None:
            continue  # not a document (the lock file's stale entries)
        states = {t: cell_state(checks.get(TARGET + t), valid, t in refusals.get(r["document"], {}))
                  for t in d["targets"]}
        if ABI in checks:
            states[ABI] = abi_state(checks[ABI], valid)
        rows.append((r["document"], states))
    return rows


def _cell(state: str, detail: str = "", href: str | None = None) -> Cell:
    mark, words, cls, _, _ = STATES[state]
    content: object = join([tag("span", mark, class_="mark", aria_hidden="true"), " ", words])
    if href:
        content = tag("a", content, href=href)
    return Cell(content, cls=cls, attrs={"data_state": state, "title": detail or None})


class _Renderer:
    def __init__(self, d: dict[str, Any], out_dir: str) -> None:
        self.d, self.out_dir = d, out_dir
        self.rows = matrix_rows(d)
        self.columns = list(d["targets"]) + ([ABI] if any(ABI in s for _, s in self.rows) else [])
        self.findings = [(r["document"], c) for r in d["results"] for c in r["checks"] if c["status"] == "failed"]
        self.finding_id = {(doc, c["name"]): f"f-{n}" for n, (doc, c) in enumerate(self.findings, 1)}

    def doc_link(self, doc: str) -> object:
        root = self.d.get("root")
        if not root or not (Path(root) / doc).is_file():
            return doc
        return tag("a", doc, href=file_href(str(Path(root) / doc), self.out_dir))

    def counts(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {c: Counter() for c in self.columns}
        for _, states in self.rows:
            for col, st in states.items():
                out[col][st] += 1
        return out

    def summary(self) -> Html:
        counts = self.counts()
        used = [s for s in STATES if any(counts[c][s] for c in self.columns)]
        rows = [[col, *[Cell(number(counts[col][s]), attrs={"data_target": col, "data_state": s}) for s in used]]
                for col in self.columns]
        numbers = table("Documents per target and result", ["target", *[STATES[s][1] for s in used]], rows,
                        numeric=range(1, len(used) + 1), id="per-target")
        chart = stacked_bars(
            "chart-targets", "Results per target",
            "; ".join(f"{col}: " + ", ".join(f"{counts[col][s]} {STATES[s][1]}" for s in used)
                      for col in self.columns),
            [(col, [Segment(STATES[s][1], counts[col][s], STATES[s][3], hatch=STATES[s][4]) for s in used])
             for col in self.columns], label_width=160)
        return figure(chart, numbers)

    def matrix(self) -> Html:
        refusals = self.d.get("locked_refusals", {})

        def row(doc: str, states: dict[str, str]) -> list[object]:
            cells: list[object] = [Cell(self.doc_link(doc), header=True, cls="mono")]
            for col in self.columns:
                st = states.get(col, "skipped")
                name = "valid" if st in ("invalid", "error") else (ABI if col == ABI else TARGET + col)
                fid = self.finding_id.get((doc, name))
                detail = refusals.get(doc, {}).get(col, "") if st == "refused" else ""
                c = _cell(st, detail, f"#{fid}" if fid else None)
                c.attrs.update(data_doc=doc, data_target=col)
                cells.append(c)
            return cells

        failing = [(d, s) for d, s in self.rows if any(STATES[x][4] for x in s.values())]
        holding = [(d, s) for d, s in self.rows if not any(STATES[x][4] for x in s.values())]
        out = []
        cols = ["document", *self.columns]
        if failing:
            out.append(table(f"{len(failing):,} documents with a failure (a failing cell links to its finding)",
                             cols, [row(d, s) for d, s in failing], id="matrix-failing", cls="matrix"))
        if holding:
            out.append(table(f"{len(holding):,} documents that hold on every target", cols,
                             [row(d, s) for d, s in holding], id="matrix-holding", cls="matrix"))
        return join(out)

    def finding(self, doc: str, c: dict[str, Any]) -> Html:
        where = f"{doc}:{c['line']}:{c['column']}" if c.get("line") else doc
        details = c.get("details", [])
        body: list[object] = [tag("h3", tag("code", where), " — ", c["name"]), tag("p", c.get("message", ""))]
        if details:
            if any(x.lstrip().startswith(("- ", "+ ")) for x in details):
                lines = [tag("del", x + "\n") if x.lstrip().startswith("- ") else
                         tag("ins", x + "\n") if x.lstrip().startswith("+ ") else h(x + "\n")
                         for x in details]
                body.append(tag("pre", tag("code", *lines, class_="diff"), aria_label="differences from the lock file"))
            else:
                body.append(tag("pre", tag("code", "\n".join(details))))
        return tag("article", *body, class_="group", id=self.finding_id[(doc, c["name"])],
                   data_doc=doc, data_check=c["name"])

    def page(self) -> str:
        d = self.d
        failed_docs = len(d["failed"])
        verdict = "all hold" if d["passed"] else "failed"
        page = Page(title="Check of the domain repository", kind="check",
                    lede="Every document validated and built for every target, the result held to the lock "
                         "file" + ("; the guest ABI gated against the base revision" if ABI in self.columns else "")
                         + ".")
        rate = d["documents"] * len(d["targets"]) / d["seconds"] if d["seconds"] else 0
        page.facts = [
            ("result", tag("span", verdict, class_=f"verdict {'s-pass' if d['passed'] else 's-fail'}")),
            ("documents", tag("span", number(d["documents"]), data_key="documents")),
            ("targets", join([tag("span", number(len(d["targets"])), data_key="targets"), ": ",
                              ", ".join(d["targets"])])),
            ("failed", join([tag("span", number(failed_docs), data_key="failed"), " documents, ",
                             tag("a", f"{len(self.findings):,} findings", href="#findings")])),
            ("time", f"{d['seconds']:.2f} s ({rate:,.0f} document-targets/s)"
                     + ("; lock file written" if d["lock_written"] else "")),
        ]
        page.add("summary", "Per target", self.summary())
        legend = tag("ul", *[tag("li", tag("span", STATES[s][0], class_=f"mark {STATES[s][2]}"), " ", STATES[s][1])
                             for s in STATES], class_="legend", aria_label="what the cells say")
        page.add("matrix", "Documents × targets", legend, tag("div", self.matrix(), class_="scroll"))
        page.add("findings", f"Findings ({len(self.findings):,})",
                 join(self.finding(doc, c) for doc, c in self.findings) if self.findings
                 else tag("p", "None: every check holds."))
        return page.render()


def render(data: dict[str, Any], out_dir: str) -> str:
    return _Renderer(data, out_dir).page()
