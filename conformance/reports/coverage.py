"""The page of ``schema coverage``: the grammar as a tree, coloured by what a corpus exercises.

Input: ``patterncov.Report.as_dict()``. Elements nest as the grammar nests them; under each
element its attributes (with their enumerated values), its text values, the alternatives
of its choices and whether it was seen repeated. Every pattern shows how many accepted
documents exercise it and links the first of them; subtrees with a gap are open, fully
exercised ones folded. Below the tree, every pattern never exercised, with its path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .html import Cell, Html, Page, figure, file_href, join, number, percent, table, tag
from .svg import Segment, stacked_bars

KIND_NAMES = {"element": "elements", "attribute": "attributes", "value": "values",
              "choice": "alternatives of a choice", "repeat": "repetitions"}
OK_FILL, MISS_FILL = "#b9ecc6", "#ffc7c2"


@dataclass
class Attr:
    item: dict[str, Any] | None = None
    values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Node:
    path: str
    item: dict[str, Any] | None = None
    attrs: dict[str, Attr] = field(default_factory=dict)
    values: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    repeat: dict[str, Any] | None = None
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def own(self) -> list[dict[str, Any]]:
        out = [x for x in (self.item, self.repeat) if x] + self.values + self.choices
        for a in self.attrs.values():
            out += ([a.item] if a.item else []) + a.values
        return out

    def tally(self) -> tuple[int, int]:
        """(patterns, exercised) of the subtree."""
        mine = self.own()
        total, hit = len(mine), sum(1 for i in mine if i["documents"])
        for c in self.children.values():
            t, x = c.tally()
            total, hit = total + t, hit + x
        return total, hit


def build_tree(items: list[dict[str, Any]]) -> list[Node]:
    nodes: dict[str, Node] = {}
    roots: list[Node] = []

    def node(path: str) -> Node:
        if path in nodes:
            return nodes[path]
        n = nodes[path] = Node(path)
        parent = path.rsplit("/", 1)[0]
        if parent:
            node(parent).children[path] = n
        else:
            roots.append(n)
        return n

    for it in items:
        path, kind = it["path"], it["kind"]
        head, _, last = path.rpartition("/")
        if kind == "element":
            node(path).item = it
        elif kind == "attribute":
            node(head).attrs.setdefault(last, Attr()).item = it
        elif kind == "value" and last.startswith("@"):
            node(head).attrs.setdefault(last, Attr()).values.append(it)
        elif kind == "value":
            node(path).values.append(it)
        elif kind == "choice":
            node(path).choices.append(it)
        elif kind == "repeat":
            node(path).repeat = it
    return roots


class _Renderer:
    def __init__(self, data: dict[str, Any], out_dir: str) -> None:
        self.data, self.out_dir = data, out_dir
        self.ids = {self.key(it): f"p{n}" for n, it in enumerate(data["items"])}

    @staticmethod
    def key(it: dict[str, Any]) -> tuple[str, str, str]:
        return it["kind"], it["path"], it["detail"]

    def docs(self, it: dict[str, Any]) -> Html:
        n = it["documents"]
        if not n:
            return tag("span", "never exercised", class_="docs")
        links = [tag("a", ex.rsplit("/", 1)[-1], href=file_href(ex, self.out_dir), title=ex)
                 for ex in it.get("examples", [])]
        more = n - len(links)
        return tag("span", tag("span", f"{n:,} document{'s' if n != 1 else ''}", class_="count"),
                   ": " if links else "", join(links, ", "), f" and {more:,} more" if more > 0 and links else "",
                   class_="docs")

    def line(self, it: dict[str, Any], label: object, below: list[Html] | None = None) -> Html:
        ok = it["documents"] > 0
        mark = tag("span", "✓" if ok else "✗", class_="mark", aria_hidden="true")
        state = tag("span", " (exercised)" if ok else " (not exercised)", class_="visually-hidden")
        return tag("li", tag("span", mark, " ", label, state, class_=f"item {'s-pass' if ok else 's-fail'}"),
                   " ", self.docs(it), tag("ul", *below) if below else "", id=self.ids[self.key(it)],
                   data_kind=it["kind"], data_path=it["path"], data_detail=it["detail"])

    def node(self, n: Node) -> Html:
        total, hit = n.tally()
        parts: list[Html] = []
        for name, a in n.attrs.items():
            values = [self.line(v, join(["value ", tag("code", f"'{v['detail']}'")])) for v in a.values]
            if a.item:
                parts.append(self.line(a.item, join(["attribute ", tag("code", name)]), values))
            else:
                parts += values
        for v in n.values:
            parts.append(self.line(v, join(["text value ", tag("code", v["detail"])])))
        for c in n.choices:
            parts.append(self.line(c, join(["choice: ", c["detail"]])))
        if n.repeat:
            parts.append(self.line(n.repeat, "repeated (more than once)"))
        parts += [self.node(c) for c in n.children.values()]
        ok = n.item["documents"] > 0 if n.item else None
        mark = "✓" if ok else "✗" if ok is False else "·"
        cls = "s-pass" if ok else "s-fail" if ok is False else "s-none"
        head = join([tag("span", tag("span", mark, class_="mark", aria_hidden="true"), " ",
                         tag("code", f"<{n.name}>"), class_=f"item {cls}"), " ",
                     tag("span", f"{hit}/{total} patterns exercised", class_="tally muted"),
                     " ", self.docs(n.item) if n.item else ""])
        details = tag("details", tag("summary", head), tag("ul", *parts), open=hit < total)
        attrs: dict[str, Any] = {"data_kind": "element", "data_path": n.path, "data_detail": ""}
        if n.item:
            attrs["id"] = self.ids[self.key(n.item)]
        return tag("li", details, **attrs)

    def page(self) -> str:
        d = self.data
        by_kind = d["by_kind"]
        page = Page(title="Schema coverage", kind="coverage",
                    lede="Which patterns of the grammar the documents exercise: elements, attributes, "
                         "values, alternatives of choices and repetitions. Only documents the schema "
                         "accepts count.")
        page.facts = [
            ("schema", tag("code", d["schema"])),
            ("documents", join([tag("span", number(d["documents"]), data_key="documents"),
                                f" read, {len(d['invalid']):,} rejected by the schema (not counted)"])),
            ("exercised", join([tag("strong", tag("span", number(d["exercised"]), data_key="exercised"), " of ",
                                          tag("span", number(d["patterns"]), data_key="patterns"),
                                          " patterns"), f" ({d['percent']}%)"])),
            ("never exercised", tag("a", f"{len(d['missing']):,} patterns", href="#uncovered")),
        ]
        rows = [[KIND_NAMES[k], Cell(number(c["exercised"]), attrs={"data_kind": k, "data_col": "exercised"}),
                 Cell(number(c["patterns"]), attrs={"data_kind": k, "data_col": "patterns"}),
                 Cell(number(c["patterns"] - c["exercised"]), attrs={"data_kind": k, "data_col": "missing"}),
                 percent(c["exercised"], c["patterns"])] for k, c in by_kind.items()]
        foot = [["all patterns", number(d["exercised"]), number(d["patterns"]),
                 number(d["patterns"] - d["exercised"]), percent(d["exercised"], d["patterns"])]]
        numbers = table("Patterns by kind", ["kind", "exercised", "patterns", "never", "share"], rows,
                        numeric=(1, 2, 3, 4), foot=foot, id="by-kind")
        chart = stacked_bars(
            "chart-kinds", "Patterns exercised, by kind",
            "; ".join(f"{KIND_NAMES[k]}: {c['exercised']} of {c['patterns']} exercised"
                      for k, c in by_kind.items()),
            [(KIND_NAMES[k], [Segment("exercised", c["exercised"], OK_FILL),
                              Segment("never exercised", c["patterns"] - c["exercised"], MISS_FILL, hatch=True)])
             for k, c in by_kind.items()], label_width=170)
        page.add("summary", "Summary", figure(chart, numbers))
        tree = tag("ul", *[self.node(n) for n in build_tree(d["items"])], class_="tree")
        page.add("tree", "The grammar as a tree",
                 tag("p", "✓ marks a pattern at least one accepted document exercises (green), ✗ one no "
                          "document does (red). Elements with a gap below them are unfolded.", class_="muted"),
                 tree)
        missing = d["missing"]
        rows_m = [[Cell(tag("a", m["path"], href=f"#{self.ids[self.key(m)]}"), cls="mono"), m["kind"],
                   Cell(m["detail"] or "–", cls="mono" if m["kind"] == "value" else None)] for m in missing]
        page.add("uncovered", f"Never exercised ({len(missing):,})",
                 table(f"{len(missing):,} patterns no accepted document exercises, by path",
                       ["path", "kind", "pattern"], rows_m, id="uncovered-table", cls="wide")
                 if missing else tag("p", "Every pattern is exercised by at least one document."))
        if d["invalid"]:
            page.add("rejected", f"Documents the schema rejects ({len(d['invalid']):,})",
                     tag("p", "Not counted: coverage is of the language the schema accepts.", class_="muted"),
                     tag("ul", *[tag("li", tag("code", msg)) for msg in d["invalid"]]))
        return page.render()


def render(data: dict[str, Any], out_dir: str) -> str:
    return _Renderer(data, out_dir).page()
