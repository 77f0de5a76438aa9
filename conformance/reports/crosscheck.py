"""The page of ``crosscheck``: the agreement matrix and the witnesses of every disagreement.

Input: ``crosscheck.report.Report.to_dict()``. The matrix is mode x capability set, each
cell "agree/compared" and its share, coloured by band; a cell links to the list of the
kinds of disagreement seen there, each kind to its group: counts, where it occurs, and
the minimized witness (escaped), with our output and libvirt's as a diff. libvirt's
crashes and the deliberate deviations are listed apart.
"""
from __future__ import annotations

from typing import Any

from .html import (
    Cell,
    Html,
    Page,
    band,
    band_legend,
    figure,
    join,
    line_diff,
    number,
    plural,
    pre,
    slug,
    table,
    tag,
)
from .svg import MatrixCell, matrix

ANY = "-"      # the capability-set column of modes that have none (xml2xml)
ANY_LABEL = "(no set)"
ALL = "all"    # the totals column


def cell_id(mode: str, caps: str) -> str:
    return f"cell-{slug(mode)}-{slug(caps)}"


def _ratio(c: dict[str, Any], part: str, whole: str) -> str:
    return f"{c[part]:,}/{c[whole]:,}"


def _pct(p: float | None) -> str:
    return "–" if p is None else f"{p:.1f}%"


def _columns(d: dict[str, Any]) -> list[str]:
    cols = [c["caps"] for c in d["table"]]
    ordered = ([ANY] if ANY in cols else []) + [s for s in d["capability_sets"] if s in cols]
    return ordered + [c for c in dict.fromkeys(cols) if c not in ordered]


def _group_caps(g: dict[str, Any]) -> dict[str, int]:
    """A group's occurrences by capability-set column (xml2xml has none: the ``-`` column)."""
    return {(k or ANY): n for k, n in g["caps"].items()}


class _Renderer:
    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d
        self.cells = {(c["mode"], c["caps"]): c for c in d["table"]}
        self.totals = {c["mode"]: c for c in d["totals"]}
        self.modes = [m for m in d["modes"] if any(c["mode"] == m for c in d["table"])] or list(d["modes"])
        self.cols = _columns(d)

    # ------------------------------------------------------------ matrix
    def matrix_chart(self) -> Html:
        cells: dict[tuple[str, str], MatrixCell] = {}
        for (mode, caps), c in self.cells.items():
            _, fill = band(c["agree_percent"])
            cells[(mode, caps)] = MatrixCell(
                _ratio(c, "agree", "compared"), _pct(c["agree_percent"]), fill,
                href=f"#{cell_id(mode, caps)}" if c["compared"] > c["agree"] else None,
                label=f"{mode} x {caps}: {c['agree']} of {c['compared']} agree")
        for mode, c in self.totals.items():
            _, fill = band(c["agree_percent"])
            cells[(mode, ALL)] = MatrixCell(_ratio(c, "agree", "compared"), _pct(c["agree_percent"]), fill,
                                            label=f"{mode}, every capability set: {c['agree']} of "
                                                  f"{c['compared']} agree")
        desc = "; ".join(f"{m} with {caps}: {c['agree']} of {c['compared']} agree"
                         for (m, caps), c in self.cells.items())
        cells = {(m, ANY_LABEL if c == ANY else c): v for (m, c), v in cells.items()}
        cols = [ANY_LABEL if c == ANY else c for c in self.cols]
        return matrix("chart-matrix", "Agreement with the oracle, mode by capability set", desc,
                      self.modes, [*cols, ALL], cells)

    def matrix_table(self) -> Html:
        rows = []
        for c in [*self.d["table"], *self.d["totals"]]:
            cls, _ = band(c["agree_percent"])
            total = c["caps"] == "all"
            link = c["compared"] > c["agree"] and not total
            agree = tag("a", _ratio(c, "agree", "compared"), href=f"#{cell_id(c['mode'], c['caps'])}") \
                if link else _ratio(c, "agree", "compared")
            key = {"data_mode": c["mode"], "data_caps": ALL if total else c["caps"]}
            caps = "every set" if total else ANY_LABEL if c["caps"] == ANY else c["caps"]
            rows.append([Cell(c["mode"], header=True, attrs=key), Cell(caps, cls="nowrap"),
                         Cell(agree, cls=cls, attrs={**key, "data_col": "agree"}),
                         Cell(_pct(c["agree_percent"]), cls=cls),
                         Cell(_ratio(c, "identical", "libvirt_built"), attrs={**key, "data_col": "identical"}),
                         Cell(_ratio(c, "refused_too", "libvirt_refused"), attrs={**key, "data_col": "refused"}),
                         Cell(number(c["deliberate"]), attrs={**key, "data_col": "deliberate"}),
                         Cell(number(c["host_dependent"]), attrs={**key, "data_col": "host"}),
                         Cell(number(c["libvirt_crashes"]), attrs={**key, "data_col": "crashes"})])
        return table("Agreement per mode and capability set (the totals last)",
                     ["mode", "capability set", "agree / compared", "share", "libvirt builds: identical",
                      "libvirt refuses: we refuse", "deliberate", "host-dependent", "libvirt crashed"],
                     rows, numeric=range(2, 9), id="agreement")

    # ------------------------------------------------------------ groups
    def group_ids(self, groups: list[dict[str, Any]], prefix: str) -> list[str]:
        return [f"{prefix}-{n}" for n in range(1, len(groups) + 1)]

    def by_cell(self) -> Html:
        """Per cell with disagreements: the kinds seen there, linked to their groups. A panel
        shows when its cell is clicked (CSS ``:target``); printed, all of them show."""
        ids = self.group_ids(self.d["groups"], "g")
        out = []
        for (mode, caps), c in self.cells.items():
            differ = c["compared"] - c["agree"]
            if differ <= 0:
                continue
            kinds = [(n, g, _group_caps(g).get(caps, 0)) for n, g in enumerate(self.d["groups"])
                     if g["mode"] == mode and _group_caps(g).get(caps, 0)]
            kinds.sort(key=lambda t: -t[2])
            rows = [[Cell(tag("a", f"#{n + 1}", href=f"#{ids[n]}"), header=True), g["kind"],
                     Cell(number(here), attrs={"data_col": "here"})] for n, g, here in kinds]
            name = ANY_LABEL if caps == ANY else caps
            out.append(tag("section", tag("h3", f"{mode} × {name}: {differ:,} of {c['compared']:,} disagree"),
                           table(f"Kinds of disagreement in {mode} × {name}", ["#", "kind", "here"], rows,
                                 numeric=(2,)) if rows else tag("p", "No group names this cell.", class_="muted"),
                           tag("p", tag("a", "back to the matrix", href="#matrix"), class_="noprint"),
                           id=cell_id(mode, caps), class_="cellkinds", data_mode=mode, data_caps=caps))
        return join(out)

    def group(self, g: dict[str, Any], gid: str, n: int, what: str) -> Html:
        caps = _group_caps(g)
        where = join([tag("span", f"{k} × {v:,}", class_="tag") for k, v in caps.items()])
        facts = [("mode", g["mode"]), ("outcome", g["outcome"]),
                 ("occurrences", join([tag("span", number(g["count"]), data_col="count"), " in ",
                                       tag("span", number(g["documents"]), data_col="documents"),
                                       " document" if g["documents"] == 1 else " documents"])),
                 ("capability sets", where)]
        if g.get("deviation"):
            facts.append(("deviation row", tag("code", g["deviation"])))
        if g["example"]:
            facts.append(("first seen", join([tag("code", g["example"]), ": ", g["detail"]])))
        body: list[object] = [
            tag("h3", f"{what} #{n}: ", tag("span", g["kind"], class_="kind")),
            tag("dl", *[join([tag("dt", k), tag("dd", v)]) for k, v in facts], class_="facts"),
        ]
        if g["witness"]:
            state = g["witness_state"] + (f", capability set {g['witness_caps']}" if g["witness_caps"] else "")
            body += [tag("p", tag("strong", "On the witness: "), g["witness_detail"]),
                     tag("div", tag("div", tag("h4", f"Witness document ({state})"),
                                    pre(g["witness"], label="the witness document")),
                         tag("div", self.outputs(g)), class_="two")]
        return tag("article", *body, class_="group", id=gid, data_kind=g["kind"])

    def outputs(self, g: dict[str, Any]) -> Html:
        ours, theirs = g.get("witness_ours") or "", g.get("witness_libvirt") or ""
        if not ours and not theirs:
            return Html("")
        split = _options if g["mode"] == "argv" else _lines
        return join([tag("h4", "Ours against libvirt's, on the witness"),
                     line_diff(split(theirs), split(ours), "libvirt 0.8.3", "virtconform")])

    def groups(self, groups: list[dict[str, Any]], prefix: str, what: str) -> Html:
        ids = self.group_ids(groups, prefix)
        return join(self.group(g, gid, n, what) for n, (g, gid) in enumerate(zip(groups, ids, strict=True), 1))

    def index(self, groups: list[dict[str, Any]], prefix: str, caption: str) -> Html:
        ids = self.group_ids(groups, prefix)
        rows = [[Cell(tag("a", f"#{n}", href=f"#{gid}"), header=True), g["kind"], g["mode"],
                 Cell(number(g["count"]), attrs={"data_col": "count"}),
                 Cell(number(g["documents"]), attrs={"data_col": "documents"}),
                 ", ".join(_group_caps(g))]
                for n, (g, gid) in enumerate(zip(groups, ids, strict=True), 1)]
        return table(caption, ["#", "kind", "mode", "occurrences", "documents", "capability sets"], rows,
                     numeric=(3, 4), id=f"{prefix}-index", cls="wide")

    # ------------------------------------------------------------ page
    def page(self) -> str:
        d = self.d
        crashes = sum(g["count"] for g in d["crashes"])
        verdict = "agree" if not d["exit_status"] else "disagree"
        page = Page(title="Crosscheck against the oracle", kind="crosscheck",
                    lede="The same documents through virtconform and through another implementation of "
                         "libvirt 0.8.3's QEMU driver: the same command line, the same XML, or both refuse.")
        page.facts = [
            ("result", tag("span", verdict, class_=f"verdict {'s-pass' if verdict == 'agree' else 's-fail'}")),
            ("oracle", tag("code", d["oracle"])),
            ("documents", join([tag("span", number(d["documents"]), data_key="documents"), f" ({d['source']})"])),
            ("capability sets", ", ".join(d["capability_sets"]) or "–"),
            ("modes", ", ".join(d["modes"])),
            ("disagreements", join([tag("span", number(d["disagreements"]), data_key="disagreements"),
                                    f" in {plural(len(d['groups']), 'kind')}"])),
            ("libvirt crashes", join([tag("span", number(crashes), data_key="crashes"),
                                      f" in {plural(len(d['crashes']), 'kind')}"])),
            ("time", f"{d['seconds']:.1f} s (minimizing {d['minimize_seconds']:.1f} s)"),
        ]
        page.add("matrix", "Agreement matrix",
                 tag("p", "Each cell: documents that agree / documents compared (deliberate deviations, "
                          "host-dependent documents and libvirt's crashes are counted apart). A cell with "
                          "disagreements links to their kinds.", class_="muted"),
                 band_legend(), figure(self.matrix_chart(), tag("div", self.matrix_table(), class_="scroll"),
                                       stacked=True),
                 self.by_cell())
        if d["groups"]:
            page.add("kinds", f"Disagreements ({plural(len(d['groups']), 'kind')})",
                     self.index(d["groups"], "g", "Kinds of disagreement, most frequent first"),
                     self.groups(d["groups"], "g", "Disagreement"))
        else:
            page.add("kinds", "Disagreements", tag("p", "None: every comparison agrees."))
        page.add("crashes", f"libvirt crashes ({plural(len(d['crashes']), 'kind')})",
                 join([self.index(d["crashes"], "c", "Documents on which the oracle died, by kind"),
                       self.groups(d["crashes"], "c", "Crash")]) if d["crashes"]
                 else tag("p", "The oracle never crashed."))
        if d["deliberate"]:
            rows = [[Cell(g["deviation"] or "–", header=True, cls="mono"), g["kind"], g["mode"],
                     Cell(number(g["count"]), attrs={"data_col": "count"})] for g in d["deliberate"]]
            page.add("deliberate", "Deliberate deviations (counted apart)",
                     table("Differences that are rows of the deviation table",
                           ["deviation row", "kind", "mode", "occurrences"], rows, numeric=(3,), id="deliberate-table"))
        if d["notes"]:
            page.add("notes", "Notes", tag("ul", *[tag("li", n) for n in d["notes"]]))
        return page.render()


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text else []


def _options(text: str) -> list[str]:
    """A command line, one option (with its values) per line, so a diff names the options;
    the environment and the binary stay together on the first line."""
    out: list[str] = []
    for line in _lines(text):
        cur: list[str] = []
        for w in line.split(" "):
            if w.startswith("-") and cur:
                out.append(" ".join(cur))
                cur = []
            cur.append(w)
        if cur:
            out.append(" ".join(cur))
    return out


def render(data: dict[str, Any], out_dir: str) -> str:
    return _Renderer(data).page()
