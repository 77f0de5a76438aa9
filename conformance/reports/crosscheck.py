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
    h,
    join,
    line_diff,
    number,
    percent,
    plural,
    pre,
    slug,
    table,
    tag,
)
from .svg import MatrixCell, matrix

#: drifting cells listed beside the matrix (all of them are in it)
_SUMMARY = 12
ANY = "-"      # the capability-set column of modes that have none (xml2xml)
ANY_LABEL = "(no set)"
ALL = "all"    # the totals column


def cell_id(mode: str, caps: str) -> str:
    return f"cell-{slug(mode)}-{slug(caps)}"


def _ratio(c: dict[str, Any], part: str, whole: str) -> str:
    return f"{c[part]:,}/{c[whole]:,}"


def _pct(c: dict[str, Any]) -> str:
    return percent(c["agree"], c["compared"])


def _columns(d: dict[str, Any]) -> list[str]:
    cols = [c["caps"] for c in d["table"]]
    ordered = ([ANY] if ANY in cols else []) + [s for s in d["capability_sets"] if s in cols]
    return ordered + [c for c in dict.fromkeys(cols) if c not in ordered]


def family_cell_id(family: str, column: str) -> str:
    return f"fc-{slug(family)}-{slug(column)}"


def _column_mode(c: dict[str, Any]) -> str:
    return {"argv": "argv", "xml2xml": "no set", "argv2xml": "every set"}.get(c["mode"], c["mode"])


def _column_name(c: dict[str, Any]) -> str:
    return f"argv {c['label']}" if c["mode"] == "argv" else c["mode"]


def _breakable(label: str) -> Html:
    """A column label that may wrap after its dashes (qemu-kvm-0.11.0-rc2), not inside words."""
    return Html("-<wbr>".join(h(part) for part in label.split("-")))


def _row_note(r: dict[str, Any]) -> Html:
    """Beside a family's name: its element when it is named otherwise (net: <interface>),
    the first parts of a family with many, 'no family' for a device no family serves."""
    els = r["elements"]
    if not r["in_registry"]:
        return tag("span", "no family", class_="els")
    if els == [r["family"]] or not els:
        return Html("")
    if len(els) > 2:
        return tag("span", tag("a", f"{len(els)} parts", href="#row-notes"), class_="els")
    return tag("span", ", ".join(els), class_="els")


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
        self.by_kind = {g["kind"]: (f"{p}-{n}", g) for p, gs in (("g", d["groups"]), ("c", d["crashes"]))
                        for n, g in enumerate(gs, 1)}

    # ------------------------------------------------------------ matrix
    def matrix_chart(self) -> Html:
        cells: dict[tuple[str, str], MatrixCell] = {}
        for (mode, caps), c in self.cells.items():
            _, fill = band(c["agree_percent"])
            cells[(mode, caps)] = MatrixCell(
                _ratio(c, "agree", "compared"), _pct(c), fill,
                href=f"#{cell_id(mode, caps)}" if c["compared"] > c["agree"] else None,
                label=f"{mode} x {caps}: {c['agree']} of {c['compared']} agree")
        for mode, c in self.totals.items():
            _, fill = band(c["agree_percent"])
            cells[(mode, ALL)] = MatrixCell(_ratio(c, "agree", "compared"), _pct(c), fill,
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
                         Cell(_pct(c), cls=cls),
                         Cell(_ratio(c, "identical", "libvirt_built"), attrs={**key, "data_col": "identical"}),
                         Cell(_ratio(c, "refused_too", "libvirt_refused"), attrs={**key, "data_col": "refused"}),
                         Cell(number(c["deliberate"]), attrs={**key, "data_col": "deliberate"}),
                         Cell(number(c["host_dependent"]), attrs={**key, "data_col": "host"}),
                         Cell(number(c["libvirt_crashes"]), attrs={**key, "data_col": "crashes"})])
        return table("Agreement per mode and capability set (the totals last)",
                     ["mode", "capability set", "agree / compared", "share", "libvirt builds: identical",
                      "libvirt refuses: we refuse", "deliberate", "host-dependent", "libvirt crashed"],
                     rows, numeric=range(2, 9), id="agreement")

    # ------------------------------------------------------------ families
    def family_matrix(self) -> Html:
        """The matrix device family x release as a table: each cell coloured by its band and
        saying its numbers; a cell that drifts links to its kinds and their witnesses."""
        m = self.d["families"]
        cols = m["columns"]
        cells = {(c["family"], c["column"]): c for c in m["cells"]}
        head = tag("thead", tag("tr", tag("th", "device family", scope="col"),
                                *[tag("th", tag("span", _column_mode(c), class_="sub"), _breakable(c["label"] if
                                      c["mode"] == "argv" else c["mode"]), scope="col", data_column=c["id"])
                                  for c in cols]))
        rows = []
        for r in m["rows"]:
            th = tag("th", tag("span", r["family"], class_="fam"), _row_note(r), scope="row",
                     data_family=r["family"])
            rows.append(tag("tr", th, *[self.family_cell(cells[(r["family"], c["id"])], c) for c in cols],
                            class_=None if r["exercised"] else "unexercised"))
        cap = join(["Agreement by device family and release ",
                    tag("span", "(agree / compared, share; drift links to the witnesses)", class_="muted")])
        return tag("table", tag("caption", cap), head, tag("tbody", *rows), id="family-matrix", class_="heat")

    def family_cell(self, c: dict[str, Any], col: dict[str, Any]) -> Html:
        where = f"{c['family']} × {_column_name(col)}"
        key = {"data_family": c["family"], "data_column": c["column"]}
        marks: list[object] = []
        if c["drift"]:
            marks.append(tag("a", f"{c['drift']:,} drift", href=f"#{family_cell_id(c['family'], c['column'])}",
                             class_="drift", data_col="drift",
                             aria_label=f"{where}: {c['drift']:,} of {c['compared']:,} drift; their witnesses"))
        if c["libvirt_crashes"]:
            marks.append(tag("a", plural(c["libvirt_crashes"], "crash", "crashes"),
                             href=f"#{family_cell_id(c['family'], c['column'])}", class_="crash",
                             data_col="crashes", aria_label=f"{where}: libvirt crashed "
                                                            f"{c['libvirt_crashes']:,} times; the witnesses"))
        if not c["compared"]:
            return tag("td", tag("span", "–", aria_hidden="true"),
                       tag("span", f"{where}: not exercised", class_="visually-hidden"), *marks,
                       class_="qn", title=f"{where}: no document of this run has it", **key)
        cls, _ = band(c["agree_percent"])
        return tag("td", tag("span", f"{c['agree']:,}/{c['compared']:,}", class_="frac", data_col="agree"),
                   tag("span", percent(c["agree"], c["compared"]), class_="share"), *marks,
                   class_=f"{cls} drifts" if marks else cls, title=f"{where}: {c['agree']:,} of {c['compared']:,} agree", **key)

    def drift_summary(self) -> Html:
        """Beside the matrix: every cell that drifts, most drift first, with its kinds."""
        m = self.d["families"]
        cols = {c["id"]: c for c in m["columns"]}
        drifting = sorted((c for c in m["cells"] if c["kinds"]), key=lambda c: (-c["drift"], -c["libvirt_crashes"]))
        if not drifting:
            return join([tag("h3", "No drift"), tag("p", "Every family agrees in every column.")])
        items = []
        for c in drifting[:_SUMMARY]:
            n = len(c["kinds"])
            counts = join([f"{c['drift']:,} of {c['compared']:,} drift" if c["drift"] else "",
                           f"{', ' if c['drift'] else ''}{plural(c['libvirt_crashes'], 'crash', 'crashes')}"
                           if c["libvirt_crashes"] else ""])
            items.append(tag("li", tag("a", f"{c['family']} × {_column_name(cols[c['column']])}",
                                       href=f"#{family_cell_id(c['family'], c['column'])}"),
                             ": ", counts, tag("span", f" ({plural(n, 'kind')})", class_="muted"),
                             data_family=c["family"], data_column=c["column"]))
        if len(drifting) > _SUMMARY:
            items.append(tag("li", f"… and {plural(len(drifting) - _SUMMARY, 'cell')} more (in the matrix)",
                             class_="muted"))
        how = tag("p", "A disagreement belongs to the family whose option or XML element it names; failing "
                       "that, to the families its minimized witness keeps (the domain's own parts are the "
                       "machine's).", class_="muted small")
        return join([tag("h3", "Where it drifts"), tag("ul", *items, class_="driftlist"), how])

    def family_panels(self) -> Html:
        """Per drifting cell: the kinds attributed to the family there, how, and their
        witnesses (shown when the cell is clicked; on paper the groups below show them)."""
        m = self.d["families"]
        cols = {c["id"]: c for c in m["columns"]}
        out = []
        for c in m["cells"]:
            if not c["kinds"]:
                continue
            name = f"{c['family']} × {_column_name(cols[c['column']])}"
            rows, shown = [], []
            for kind, here in c["kinds"].items():
                gid, g = self.by_kind.get(kind, ("", None))
                link = tag("a", f"#{gid.split('-')[1]}" if gid.startswith("g-") else f"crash #{gid.split('-')[1]}",
                           href=f"#{gid}") if g else "–"
                rows.append([Cell(link, header=True), kind, Cell(number(here), attrs={"data_col": "here"}),
                             (g or {}).get("attributed_by", "")])
                if g and g["witness"]:
                    shown.append(tag("details", tag("summary", f"Witness of {kind} ({g['witness_state']}"
                                                    + (f", {g['witness_caps']}" if g["witness_caps"] else "")
                                                    + ")"), pre(g["witness"], label="a witness document"),
                                     class_="noprint", open=True if not shown else None))
            what = join([f"{c['drift']:,} of {c['compared']:,} drift" if c["drift"] else "",
                         "; " if c["drift"] and c["libvirt_crashes"] else "",
                         f"libvirt crashed {plural(c['libvirt_crashes'], 'time')}" if c["libvirt_crashes"] else ""])
            out.append(tag("section", tag("h3", name, ": ", what),
                           table(f"Kinds attributed to {name}", ["#", "kind", "here", "attributed by"],
                                 rows, numeric=(2,)),
                           *shown,
                           tag("p", tag("a", "back to the matrix", href="#families"), class_="noprint"),
                           id=family_cell_id(c["family"], c["column"]), class_="cellkinds",
                           data_family=c["family"], data_column=c["column"]))
        return join(out)

    def family_notes(self) -> Html:
        """What each row is, in words (the parts the machine family takes, devices of no family)."""
        items = []
        for r in self.d["families"]["rows"]:
            els = ", ".join(f"<{e}>" for e in r["elements"])
            if not r["in_registry"]:
                items.append(tag("li", tag("strong", r["family"]), f": {els}, a kind of device that no family "
                                 "of the engine's registry serves"))
            elif r["elements"] != [r["family"]]:
                items.append(tag("li", tag("strong", r["family"]), f": {els}"))
        return tag("ul", *items, class_="rownotes", id="row-notes") if items else Html("")

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
        if g.get("families"):
            facts.append(("device family", join([tag("span", ", ".join(g["families"]), class_="families"),
                                                 tag("span", f" ({g['attributed_by']})", class_="muted")])))
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
                 ", ".join(g.get("families") or ["–"]),
                 Cell(number(g["count"]), attrs={"data_col": "count"}),
                 Cell(number(g["documents"]), attrs={"data_col": "documents"}),
                 ", ".join(_group_caps(g))]
                for n, (g, gid) in enumerate(zip(groups, ids, strict=True), 1)]
        return table(caption, ["#", "kind", "mode", "family", "occurrences", "documents", "capability sets"], rows,
                     numeric=(4, 5), id=f"{prefix}-index", cls="wide")

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
        if d.get("families"):
            page.add("families", "Agreement by device family",
                     tag("p", "Rows: the device families of the engine's registry. Columns: xml2xml, the command "
                              "line under each capability set (a QEMU release), argv2xml over every set. A cell "
                              "counts the comparisons whose document has the family or whose disagreement is "
                              "attributed to it: agree / compared, and the share.", class_="muted"),
                     tag("div", tag("aside", self.drift_summary(), band_legend(), class_="side",
                                    aria_label="where the families drift"),
                         tag("div", self.family_matrix(), class_="scroll"), class_="with-side"),
                     self.family_notes(), self.family_panels())
        page.add("matrix", "Agreement by mode and capability set",
                 tag("p", "Each cell: documents that agree / documents compared (deliberate deviations, "
                          "host-dependent documents and libvirt's crashes are counted apart). A cell with "
                          "disagreements links to their kinds.", class_="muted"),
                 *([] if d.get("families") else [band_legend()]),
                 figure(self.matrix_chart(), tag("div", self.matrix_table(), class_="scroll"), stacked=True),
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
