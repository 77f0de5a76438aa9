"""The page of ``fuzz``: a campaign's shape over time, what it found, what each property did.

Input: the summary ``fuzz --json`` prints, whose ``timeline`` holds each job's samples
(seconds, examples so far, coverage = distinct features reached, failures so far). Charts:
throughput (examples per second between samples), coverage and failures over time, one
line per job; each with its numbers in a table beside it. Then the failures, with the
minimized document read back from its reproducer, and the per-property counts.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .html import Cell, Html, Page, figure, file_href, join, number, pre, table, tag
from .svg import Segment, Series, line_chart, stacked_bars


def throughput(samples: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(seconds, examples per second since the previous sample)."""
    out, t0, e0 = [], 0.0, 0
    for s in samples:
        dt = s["seconds"] - t0
        if dt > 0:
            out.append((s["seconds"], round((s["examples"] - e0) / dt, 1)))
            t0, e0 = s["seconds"], s["examples"]
    return out


def series(timeline: list[list[dict[str, Any]]], key: str) -> list[Series]:
    named = [(f"job {j}" if len(timeline) > 1 else key, samples) for j, samples in enumerate(timeline)]
    if key == "examples/s":
        return [Series(n, throughput(s)) for n, s in named]
    return [Series(n, [(x["seconds"], x[key]) for x in s]) for n, s in named]


def _numbers(caption: str, unit: str, lines: list[Series], id: str) -> Html:
    many = len(lines) > 1
    rows = [[*([s.name] if many else []), Cell(f"{x:.1f}", header=not many), Cell(number(y))]
            for s in lines for x, y in s.points]
    return table(caption, [*(["job"] if many else []), "seconds", unit], rows,
                 numeric=(1, 2) if many else (0, 1), row_header=many, id=id)


def _chart(id: str, title: str, what: str, unit: str, lines: list[Series]) -> Html:
    desc = "; ".join(f"{s.name}: " + (f"from {s.points[0][1]:,} at {s.points[0][0]:.1f} s to "
                                      f"{s.points[-1][1]:,} at {s.points[-1][0]:.1f} s" if s.points else "no sample")
                     for s in lines)
    chart = line_chart(f"chart-{id}", title, f"{what}. {desc}", lines, x_label="seconds", y_label=unit)
    return figure(chart, _numbers(f"{title}: the numbers", unit, lines, f"table-{id}"), caption=title)


def _reproducer_xml(path: str | None) -> str | None:
    if not path:
        return None
    try:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec.get("xml") if isinstance(rec, dict) else None


class _Renderer:
    def __init__(self, d: dict[str, Any], out_dir: str) -> None:
        self.d, self.out_dir = d, out_dir

    def failure(self, n: int, f: dict[str, Any]) -> Html:
        body: list[object] = [tag("h3", f"#{n} ", tag("code", f["property"]),
                                  f" ({f.get('source', 'generated')})"),
                              tag("p", f["error"])]
        rep = f.get("reproducer")
        if rep:
            xml_file = str(Path(rep).with_suffix(".xml"))
            body.append(tag("p", "reproducer: ", tag("a", rep, href=file_href(rep, self.out_dir)),
                            " (the document: ", tag("a", Path(xml_file).name, href=file_href(xml_file, self.out_dir)),
                            ")"))
            xml = _reproducer_xml(rep)
            if xml is not None:
                body += [tag("h4", "Minimized document"), pre(xml, label="the minimized failing document")]
        return tag("article", *body, class_="group", id=f"failure-{n}", data_property=f["property"])

    def properties(self) -> Html:
        rows = []
        for name, p in self.d["per_property"].items():
            over = p["skip_rate"] > p["max_skip"] and p["examples"] + p["skipped"] > 0
            top = next(iter(p["skip_reasons"].items()), None)
            rows.append([Cell(name, header=True, cls="mono", attrs={"data_property": name}),
                         Cell(number(p["examples"]), attrs={"data_col": "examples"}),
                         Cell(number(p["skipped"]), attrs={"data_col": "skipped"}),
                         Cell(f"{100 * p['skip_rate']:.1f}%", cls="s-fail" if over else None),
                         f"{100 * p['max_skip']:.0f}%",
                         Cell(number(p["failures"]), cls="s-fail" if p["failures"] else None,
                              attrs={"data_col": "failures"}),
                         Cell(number(p["replayed"]), attrs={"data_col": "replayed"}),
                         f"{top[1]:,}× {top[0]}" if top else "–"])
        numbers = table("Examples each property checked and skipped (outside its domain)",
                        ["property", "examples", "skipped", "skip rate", "bound", "failures", "replayed",
                         "most frequent skip reason"], rows, numeric=range(1, 7), id="per-property")
        per = self.d["per_property"]
        chart = stacked_bars(
            "chart-properties", "Examples checked and skipped, per property",
            "; ".join(f"{n}: {p['examples']} checked, {p['skipped']} skipped, {p['failures']} failures"
                      for n, p in per.items()),
            [(n, [Segment("checked", p["examples"], "#8fd3a0"), Segment("skipped", p["skipped"], "#e3e7eb")])
             for n, p in per.items()], label_width=190)
        return figure(chart, numbers, stacked=True)

    def page(self) -> str:
        d = self.d
        failed = d["failures"]
        page = Page(title="Fuzz campaign", kind="fuzz",
                    lede="The conformance properties on generated documents for a time budget.")
        page.facts = [
            ("result", tag("span", f"{failed:,} failure{'s' if failed != 1 else ''}" if failed else "no failure",
                           class_=f"verdict {'s-fail' if failed else 's-pass'}")),
            ("examples", join([tag("span", number(d["examples"]), data_key="examples"),
                               f" checked, {d['skipped']:,} skipped, {d['replayed']:,} replayed"])),
            ("time", join([f"{d['seconds']:.1f} s, ",
                           tag("span", number(d["examples_per_second"]), data_key="examples_per_second"),
                           " examples/s"])),
            ("seed", join([tag("code", d["seed"]), f", {d['jobs']} job{'s' if d['jobs'] != 1 else ''}"])),
        ]
        if d.get("database"):
            page.facts.append(("database", join([tag("code", d["database"]),
                                                 f": {d['corpus_saved']:,} examples added to its corpus"])))
        if d.get("reproducers"):
            page.facts.append(("reproducers", tag("code", d["reproducers"])))
        timeline = [t for t in d.get("timeline", []) if t]
        if timeline:
            page.add("time", "Over time",
                     _chart("throughput", "Throughput", "Examples checked per second between samples",
                            "examples/s", series(timeline, "examples/s")),
                     _chart("coverage", "Coverage", "Distinct features reached so far (schema paths, build "
                                                    "outcomes, skip reasons)", "features reached",
                            series(timeline, "coverage")),
                     _chart("failures", "Failures", "Distinct failures found so far", "failures",
                            series(timeline, "failures")))
        fails = d.get("failed", [])
        page.add("failures", f"Failures ({len(fails):,})",
                 join(self.failure(n, f) for n, f in enumerate(fails, 1)) if fails
                 else tag("p", "None found in this campaign."))
        page.add("properties", "Per property", self.properties(),
                 tag("ul", *[tag("li", tag("code", n), " left out: ", why) for n, why in d["left_out"].items()])
                 if d.get("left_out") else "")
        return page.render()


def render(data: dict[str, Any], out_dir: str) -> str:
    return _Renderer(data, out_dir).page()
