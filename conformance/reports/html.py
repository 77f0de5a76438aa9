"""HTML built from escaped parts: nothing reaches a page unescaped by accident.

``Html`` marks text that is already markup; every other value placed with ``h``,
``tag`` or ``join`` is escaped (``& < > " '``), and control characters become their
visible Unicode pictures (U+2400...) so a hostile witness cannot hide anything in the
page. The page template carries its CSS inline and a Content-Security-Policy that allows
no script and no fetch at all: the page is one self-contained file, readable without a
server and printable.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEEDS = re.compile(r"[&<>\"'\x00-\x08\x0b-\x1f\x7f]")


class Html(str):
    """A string that is already markup (the result of ``h``, ``tag`` or ``join``)."""

    __slots__ = ()


def _picture(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return chr(0x2421) if c == 0x7F else chr(0x2400 + c)


def escape(text: str) -> str:
    """Text as HTML text or attribute value; control characters made visible."""
    if not _NEEDS.search(text):
        return text
    text = _CONTROL.sub(_picture, text)
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def h(value: object) -> Html:
    """``value`` as markup: Html stays as it is, anything else is escaped text."""
    if isinstance(value, Html):
        return value
    return Html(escape("" if value is None else str(value)))


def join(parts: Iterable[object], sep: str = "") -> Html:
    return Html(sep.join(h(p) for p in parts))


def _attr_name(key: str) -> str:
    return key.rstrip("_").replace("_", "-")


def attrs(**kw: Any) -> Html:
    """`` name="value"`` pairs: ``class_`` is ``class``, ``aria_label`` is ``aria-label``;
    None and False leave the attribute out, True writes it bare."""
    out = []
    for k, v in kw.items():
        if v is None or v is False:
            continue
        out.append(f" {_attr_name(k)}" if v is True else f' {_attr_name(k)}="{h(v)}"')
    return Html("".join(out))


def tag(name: str, /, *children: object, **kw: Any) -> Html:
    return Html(f"<{name}{attrs(**kw)}>{join(children)}</{name}>")


def void(name: str, /, **kw: Any) -> Html:
    return Html(f"<{name}{attrs(**kw)}>")


def slug(text: str) -> str:
    """A fragment identifier from any text (letters, digits, dashes)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def number(n: float | int | None, digits: int = 1) -> str:
    """Numbers as the tables print them: thousands separated, floats rounded."""
    if n is None:
        return "–"
    if isinstance(n, int):
        return f"{n:,}"
    return f"{n:,.{digits}f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 kind``, ``3 kinds``: the count and the noun agree."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def percent(part: int, whole: int) -> str:
    """A share with one decimal that never rounds a difference away: 1,918 of 1,919 is
    99.9%, not 100.0%; 1 of 5,000 is 0.1%, not 0.0%."""
    if not whole:
        return "–"
    text = f"{100.0 * part / whole:.1f}"
    if text == "100.0" and part < whole:
        text = "99.9"
    elif text == "0.0" and part > 0:
        text = "0.1"
    return f"{text}%"


# ---------------------------------------------------------------- tables

@dataclass
class Cell:
    """A table cell with its own class or attributes (plain values are plain cells)."""

    content: object
    cls: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    header: bool = False


def _cell(value: object, numeric: bool, header: bool) -> Html:
    c = value if isinstance(value, Cell) else Cell(value)
    cls = " ".join(x for x in (c.cls, "num" if numeric else None) if x) or None
    if header or c.header:
        return tag("th", c.content, scope="row", class_=cls, **c.attrs)
    return tag("td", c.content, class_=cls, **c.attrs)


def table(caption: object, columns: list[str], rows: Iterable[list[object]], *, numeric: Iterable[int] = (),
          row_header: bool = True, id: str | None = None, cls: str | None = None,
          foot: list[list[object]] | None = None) -> Html:
    """A data table: a caption, column headers (scope=col), the first cell of each row a
    row header (scope=row) unless ``row_header`` is False; ``numeric`` columns right-aligned."""
    num = set(numeric)
    head = tag("thead", tag("tr", *[tag("th", c, scope="col", class_="num" if i in num else None)
                                    for i, c in enumerate(columns)]))

    def tr(row: list[object]) -> Html:
        return tag("tr", *[_cell(v, i in num, row_header and i == 0) for i, v in enumerate(row)])

    body = tag("tbody", *[tr(r) for r in rows])
    tfoot = tag("tfoot", *[tr(r) for r in foot]) if foot else Html("")
    return tag("table", tag("caption", caption), head, body, tfoot, id=id, class_=cls)


def pre(text: str, cls: str | None = None, label: str | None = None) -> Html:
    """Preformatted text (a document, a command line), escaped."""
    return tag("pre", tag("code", text), class_=cls, aria_label=label)


def figure(chart: Html, data_table: Html, caption: object | None = None, stacked: bool = False) -> Html:
    """A chart and the table of its numbers side by side (stacked when narrow, printed, or
    ``stacked``: a chart too wide to share the line)."""
    cap = tag("figcaption", caption) if caption is not None else Html("")
    return tag("figure", cap, tag("div", tag("div", chart, class_="chart"),
                                  tag("div", data_table, class_="numbers"),
                                  class_="pair stacked" if stacked else "pair"))


# ---------------------------------------------------------------- the page

CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg-soft:#f6f8fa;
  --ok:#116329; --ok-bg:#d2f4dc; --bad:#a40e26; --bad-bg:#ffe3e6; --warn:#7d4e00; --warn-bg:#fff1c2;
  --info:#0550ae; --info-bg:#ddf4ff; --skip:#59636e; --skip-bg:#eef1f4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.25rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.55rem; margin: 0 0 .35rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.3rem 0 .4rem; }
p { margin: .4rem 0; }
a { color: var(--info); }
a:focus-visible, summary:focus-visible { outline: 2px solid var(--info); outline-offset: 2px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace; font-size: .88em; }
pre { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: .55rem .7rem;
  margin: .3rem 0 .8rem; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32rem; overflow: auto; }
.lede { color: var(--muted); margin: 0 0 .8rem; }
nav.toc { margin: .5rem 0 1rem; }
nav.toc ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .3rem 1.1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
@media screen and (min-width: 60rem) {
  dl.facts.two-up { grid-template-columns: max-content minmax(0, max-content) max-content minmax(0, 1fr);
    column-gap: 1rem; }
  dl.facts.two-up dd:nth-of-type(odd) { padding-right: 2.5rem; }
}
.verdict { display: inline-block; font-weight: 600; padding: .15rem .6rem; border-radius: 1rem; border: 1px solid; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 .35rem; }
th, td { border: 1px solid var(--line); padding: .22rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-soft); }
tbody th.mono { font-weight: 500; }
tfoot th, tfoot td { background: var(--bg-soft); font-weight: 600; }
.num { text-align: right; white-space: nowrap; }
.wide { width: 100%; }
.scroll { overflow-x: auto; max-width: 100%; }
.s-pass, .s-agree { background: var(--ok-bg); color: var(--ok); }
.s-fail, .s-drift, .s-invalid, .s-error { background: var(--bad-bg); color: var(--bad); }
.s-refused, .s-warn { background: var(--warn-bg); color: var(--warn); }
.s-skipped, .s-none { background: var(--skip-bg); color: var(--skip); }
.q0 { background: #ffc7c2; } .q1 { background: #ffe0b8; } .q2 { background: #fff3a8; }
.q3 { background: #dcf3c4; } .q4 { background: #b9ecc6; } .qn { background: var(--skip-bg); color: var(--muted); }
.mark { font-weight: 700; }
figure { margin: .5rem 0 1.2rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.pair { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
.pair .chart { flex: 1 1 26rem; min-width: 18rem; max-width: 44rem; }
.pair .numbers { flex: 1 1 18rem; max-height: 26rem; overflow: auto; }
.pair .numbers table { margin-top: 0; }
.pair.stacked { display: block; }
.pair.stacked .chart { max-width: none; }
.pair.stacked .numbers { max-height: none; }
.nowrap { white-space: nowrap; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 1rem; }
.two > div { min-width: 0; }
h4 { font-size: .95rem; margin: .6rem 0 .2rem; }
.cellkinds { display: none; border: 2px solid var(--info); border-radius: 8px; padding: 0 .9rem .3rem;
  margin: .5rem 0 1rem; }
.cellkinds:target { display: block; }
table.heat { border-collapse: separate; border-spacing: 3px; margin-left: -3px; }
table.heat caption { padding-left: 3px; }
table.heat th, table.heat td { border: none; }
table.heat thead th { background: none; text-align: center; vertical-align: bottom; max-width: 8rem;
  padding: 0 .4rem .15rem; line-height: 1.2; }
table.heat thead th:first-child { text-align: right; }
table.heat .sub { display: block; font-size: .75em; font-weight: 400; color: var(--muted); }
table.heat tbody th { text-align: right; white-space: nowrap; padding: .15rem .6rem .15rem .2rem;
  vertical-align: middle; }
table.heat .fam { font-weight: 600; }
table.heat .els { display: block; font-size: .75em; font-weight: 400; color: var(--muted); }
table.heat td { text-align: center; min-width: 7.2rem; padding: .15rem .45rem; border-radius: 4px;
  line-height: 1.2; vertical-align: middle; white-space: nowrap; }
table.heat td .frac { display: block; font-weight: 600; }
table.heat td .share { font-size: .82em; }
table.heat td a { display: inline-block; margin-left: .35em; font-size: .82em; font-weight: 700; color: var(--bad); }
table.heat td.qn { color: var(--muted); }
table.heat td.drifts { box-shadow: inset 0 0 0 2px var(--bad); }
table.heat .els a { color: inherit; }
table.heat td.qn a { display: block; margin: 0; }
table.heat tr.unexercised th { color: var(--muted); }
table.heat tbody tr:hover th { text-decoration: underline; }
.with-side { display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: flex-start; }
.with-side > .scroll { flex: 0 1 auto; }
.with-side > .side { flex: 1 1 17rem; min-width: 14rem; }
.with-side > .side .driftlist { columns: 18rem; column-gap: 2rem; }
.with-side > .side .driftlist li { break-inside: avoid; }
.with-side > .side p.small { max-width: 40rem; }
.side h3 { margin-top: .3rem; }
.driftlist { padding-left: 1.1rem; margin: .3rem 0 .6rem; }
.driftlist li { margin: .15rem 0; }
.small { font-size: .88em; }
.rownotes { font-size: .88em; color: var(--muted); margin: .2rem 0 1rem; padding-left: 1.2rem; }
.cellkinds details { margin: .3rem 0; }
.cellkinds summary { cursor: pointer; }
svg { max-width: 100%; height: auto; font-family: inherit; }
svg text { fill: var(--ink); font-size: 12px; }
svg .axis, svg .grid { stroke: var(--line); }
svg .axis { stroke: var(--muted); }
svg text.small { font-size: 10.5px; fill: var(--muted); }
.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .2rem 1rem; }
.legend .swatch { display: inline-block; width: 1.6em; height: .9em; vertical-align: -0.1em;
  border: 1px solid var(--muted); margin-right: .3em; }
.diff del, .diff ins { text-decoration: none; }
.diff del { background: var(--bad-bg); color: var(--bad); }
.diff ins { background: var(--ok-bg); color: var(--ok); }
.group { border: 1px solid var(--line); border-radius: 8px; padding: .3rem .9rem .6rem; margin: .8rem 0;
  break-inside: avoid-page; }
.group h3 { margin-top: .6rem; }
.group:target { outline: 3px solid var(--info); }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: .3rem; padding: 0 .35rem;
  font-size: .85em; background: var(--bg-soft); margin: 0 .15rem .15rem 0; }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 1.2rem; }
.tree { padding-left: 0; }
.tree li { margin: .1rem 0; }
.tree summary { cursor: pointer; }
.tree .item { padding: 0 .3rem; border-radius: .25rem; }
.tree .docs { color: var(--muted); font-size: .88em; }
.tree li:target > .item, .tree li:target > details > summary { outline: 3px solid var(--info); }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
footer { color: var(--muted); margin-top: 2.5rem; padding-bottom: 2rem; border-top: 1px solid var(--line); }
.skip-link { position: absolute; left: -10000px; }
.skip-link:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem .6rem; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; }
  header, main, footer { max-width: none; padding: 0; }
  nav.toc, .skip-link, .noprint { display: none; }
  a { color: inherit; text-decoration: none; }
  pre { max-height: none; overflow: visible; }
  .pair { display: block; }
  .pair .numbers { max-height: none; overflow: visible; }
  h2, h3 { break-after: avoid-page; }
  tr, .group, figure { break-inside: avoid-page; }
  .scroll { overflow: visible; }
  .cellkinds { display: block; border: none; padding: 0; }
  .two { display: block; }
  .with-side { display: block; }
  table { font-size: 8.5pt; }
  thead th, thead th.num { white-space: normal; }
  th, td { padding: .15rem .3rem; }
  table.heat { font-size: 8pt; border-spacing: 2px; }
  table.heat td { min-width: 0; padding: .1rem .2rem; }
  table.heat thead th { max-width: 5.5rem; padding: 0 .15rem; }
  .with-side > .side .driftlist { columns: auto; }
}
"""

#: no script, no fetch, no frame, no form: only the inline style (and data: images)
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


@dataclass
class Section:
    id: str
    heading: str
    body: Html


@dataclass
class Page:
    """One report page: a title, a lede, key facts, then sections listed in a table of contents."""

    title: str
    lede: object = ""
    facts: list[tuple[str, object]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    json_name: str | None = "report.json"
    kind: str = ""

    def add(self, id: str, heading: str, *body: object) -> None:
        self.sections.append(Section(id, heading, join(body)))

    def render(self) -> str:
        facts = tag("dl", *[join([tag("dt", k), tag("dd", v)]) for k, v in self.facts],
                    class_="facts two-up" if len(self.facts) >= 6 else "facts") if self.facts else Html("")
        toc = tag("nav", tag("ul", *[tag("li", tag("a", s.heading, href=f"#{s.id}")) for s in self.sections]),
                  class_="toc", aria_label="Sections") if len(self.sections) > 1 else Html("")
        sections = [tag("section", tag("h2", s.heading, id=s.id), s.body, aria_labelledby=s.id)
                    for s in self.sections]
        machine = (join(["The same data for programs: ", tag("a", self.json_name, href=self.json_name),
                         " (written beside this page). "]) if self.json_name else Html(""))
        foot = tag("footer", tag("p", machine, "Made by virtconform; a static page: no script, "
                                 "nothing fetched."))
        head = join([
            Html('<meta charset="utf-8">'),
            void("meta", name="viewport", content="width=device-width, initial-scale=1"),
            void("meta", http_equiv="Content-Security-Policy", content=CSP),
            void("meta", name="generator", content="virtconform"),
            tag("title", self.title),
            Html(f"<style>{CSS}</style>"),
        ])
        body = join([
            tag("a", "Skip to the report", href="#main", class_="skip-link"),
            tag("header", tag("h1", self.title), tag("p", self.lede, class_="lede") if self.lede else "",
                facts, toc),
            tag("main", *sections, id="main", data_report=self.kind or None),
            foot,
        ])
        return f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"


@lru_cache(maxsize=8192)  # the same documents are linked from many patterns
def file_href(path: str, base_dir: str) -> str:
    """A link from a page in ``base_dir`` to a local file, relative so the page and the files
    can move together (a CI artefact, a copied directory)."""
    import os
    from urllib.parse import quote
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base_dir))
    except ValueError:  # another drive (Windows)
        rel = os.path.abspath(path)
    return quote(rel.replace(os.sep, "/"))


#: agreement bands: (lowest percent, class, fill); the number is always printed beside
BANDS = ((100.0, "q4", "#b9ecc6"), (95.0, "q3", "#dcf3c4"), (80.0, "q2", "#fff3a8"),
         (50.0, "q1", "#ffe0b8"), (0.0, "q0", "#ffc7c2"))


def band(pct: float | None) -> tuple[str, str]:
    """(class, fill) of an agreement percentage; None (nothing compared) is grey."""
    if pct is None:
        return "qn", "#eef1f4"
    for low, cls, fill in BANDS:
        if pct >= low:
            return cls, fill
    return BANDS[-1][1], BANDS[-1][2]


def band_legend() -> Html:
    items = [(cls, f"{low:g}%" + (" agree" if low == 100 else " or more")) for low, cls, _ in BANDS[:-1]]
    items += [(BANDS[-1][1], "under 50%"), ("qn", "nothing compared")]
    return tag("ul", *[tag("li", tag("span", "", class_=f"swatch {cls}", aria_hidden="true"), text)
                       for cls, text in items], class_="legend", aria_label="colours of the agreement bands")


def line_diff(old: list[str], new: list[str], old_name: str, new_name: str) -> Html:
    """A unified line diff, every changed line marked by a sign as well as its colour."""
    import difflib
    out: list[Html] = [tag("span", f"--- {old_name}\n+++ {new_name}\n", class_="muted")]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Html(h(f"  {x}\n")) for x in _context(old[i1:i2], first=i1 == 0, last=i2 == len(old))]
            continue
        out += [tag("del", f"- {x}\n") for x in old[i1:i2]]
        out += [tag("ins", f"+ {x}\n") for x in new[j1:j2]]
    return tag("pre", tag("code", *out, class_="diff"), aria_label=f"differences, {old_name} against {new_name}")


def _context(same: list[str], first: bool, last: bool, keep: int = 3) -> list[str]:
    """The equal lines a diff shows around its changes (``keep`` on each side)."""
    if first and last:
        return same
    if first:
        return (["..."] if len(same) > keep else []) + same[-keep:]
    if last:
        return same[:keep] + (["..."] if len(same) > keep else [])
    if len(same) <= 2 * keep:
        return same
    return [*same[:keep], f"... {len(same) - 2 * keep} equal lines ...", *same[-keep:]]
