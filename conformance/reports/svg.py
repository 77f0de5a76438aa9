"""Charts as inline SVG, drawn from the numbers (no script, no library).

Every chart is ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` naming what it
shows; the page puts the same numbers in a table beside it. Series differ by colour
*and* by dash pattern and marker shape; matrix cells and bar segments carry their number
as text (and failing segments a hatch), so nothing is told by colour alone.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .html import Html, h, join

#: Okabe-Ito: told apart by people with the common colour-vision deficiencies
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
DASHES = (None, "7 4", "2 3", "9 3 2 3", "4 4", "1 5", "12 4")
MARKERS = ("circle", "square", "triangle", "diamond")


def _f(x: float) -> str:
    """Coordinates with at most two decimals (small, stable output)."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def axis(top: float, most: int = 6) -> list[float]:
    """Ticks from 0 past ``top`` in a round step (1, 2, 2.5 or 5 times a power of ten),
    at most ``most`` steps: the last tick is the axis' end."""
    if top <= 0:
        return [0.0, 1.0]
    e = 10 ** math.floor(math.log10(top / most))
    for m in (1, 2, 2.5, 5, 10, 20):
        step = m * e
        n = math.ceil(top / step - 1e-9)
        if n <= most:
            return [step * i for i in range(n + 1)]
    return [0.0, top]


def _tick_label(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v == int(v):
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _open(id: str, title: str, desc: str, width: int, height: int) -> Html:
    return Html(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
                f'width="{width}" height="{height}" aria-labelledby="{h(id)}-t {h(id)}-d" id="{h(id)}">'
                f'<title id="{h(id)}-t">{h(title)}</title><desc id="{h(id)}-d">{h(desc)}</desc>')


def _marker(kind: str, x: float, y: float, colour: str) -> Html:
    if kind == "circle":
        return Html(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{colour}"/>')
    if kind == "square":
        return Html(f'<rect x="{_f(x - 3)}" y="{_f(y - 3)}" width="6" height="6" fill="{colour}"/>')
    if kind == "triangle":
        return Html(f'<path d="M{_f(x)} {_f(y - 4)}L{_f(x + 4)} {_f(y + 3)}L{_f(x - 4)} {_f(y + 3)}Z" '
                    f'fill="{colour}"/>')
    return Html(f'<path d="M{_f(x)} {_f(y - 4)}L{_f(x + 4)} {_f(y)}L{_f(x)} {_f(y + 4)}L{_f(x - 4)} {_f(y)}Z" '
                f'fill="{colour}"/>')


@dataclass
class Series:
    name: str
    points: Sequence[tuple[float, float]]


def line_chart(id: str, title: str, desc: str, series: Sequence[Series], *, x_label: str, y_label: str,
               width: int = 640, height: int = 300) -> Html:
    """Lines over a shared x axis starting at 0; y from 0 to a round number."""
    left, right, top, bottom = 64, 16, 14, 46
    legend_h = 18 * len(series) if len(series) > 1 else 0
    height += legend_h
    pw, ph = width - left - right, height - top - bottom - legend_h
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    x_ticks, y_ticks = axis(max(xs, default=1.0)), axis(max(ys, default=1.0), 5)
    x_top, y_top = x_ticks[-1], y_ticks[-1]

    def px(x: float) -> float:
        return left + pw * x / x_top

    def py(y: float) -> float:
        return top + ph - ph * y / y_top

    out = [_open(id, title, desc, width, height)]
    for v in y_ticks:
        y = py(v)
        out.append(Html(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{_f(y)}" y2="{_f(y)}"/>'
                        f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end">{_tick_label(v)}</text>'))
    for v in x_ticks:
        x = px(v)
        out.append(Html(f'<line class="axis" x1="{_f(x)}" x2="{_f(x)}" y1="{top + ph}" y2="{top + ph + 4}"/>'
                        f'<text x="{_f(x)}" y="{top + ph + 17}" text-anchor="middle">{_tick_label(v)}</text>'))
    out.append(Html(f'<line class="axis" x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}"/>'
                    f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}"/>'))
    out.append(Html(f'<text x="{left + pw / 2:.0f}" y="{top + ph + 36}" text-anchor="middle">{h(x_label)}</text>'
                    f'<text transform="translate(14 {top + ph / 2:.0f}) rotate(-90)" text-anchor="middle">'
                    f'{h(y_label)}</text>'))
    for i, s in enumerate(series):
        colour, dash, marker = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)]
        pts = " ".join(f"{_f(px(x))},{_f(py(y))}" for x, y in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(Html(f'<g><title>{h(s.name)}</title><polyline points="{pts}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"{dash_attr}/>'))
        if len(s.points) <= 80:
            out += [_marker(marker, px(x), py(y), colour) for x, y in s.points]
        out.append(Html("</g>"))
        if legend_h:
            ly = height - legend_h + 18 * i + 4
            out.append(Html(f'<line x1="{left}" x2="{left + 30}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                            f'stroke-width="2"{dash_attr}/>'))
            out.append(_marker(marker, left + 15, ly, colour))
            out.append(Html(f'<text x="{left + 38}" y="{ly + 4}">{h(s.name)}</text>'))
    out.append(Html("</svg>"))
    return join(out)


@dataclass
class Segment:
    name: str
    value: int
    fill: str
    hatch: bool = False


def stacked_bars(id: str, title: str, desc: str, rows: Sequence[tuple[str, Sequence[Segment]]], *,
                 width: int = 640, label_width: int = 150) -> Html:
    """One horizontal bar per row, split into segments by share; a segment wide enough
    shows its count, hatched segments are the failing ones."""
    bar_h, gap, top = 22, 10, 8
    legend: dict[str, Segment] = {}
    for _, segs in rows:
        for s in segs:
            legend.setdefault(s.name, s)
    height = top + len(rows) * (bar_h + gap) + 26
    pw = width - label_width - 16
    out = [_open(id, title, desc, width, height),
           Html(f'<defs><pattern id="{h(id)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/>'
                f'<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-opacity=".35" stroke-width="2"/>'
                f'</pattern></defs>')]
    for r, (label, segs) in enumerate(rows):
        y = top + r * (bar_h + gap)
        total = sum(s.value for s in segs)
        out.append(Html(f'<text x="{label_width - 8}" y="{y + bar_h / 2 + 4:.0f}" text-anchor="end">'
                        f'{h(_clip(label, label_width // 7))}</text>'))
        x = float(label_width)
        if not total:
            out.append(Html(f'<rect x="{label_width}" y="{y}" width="{pw}" height="{bar_h}" fill="#eef1f4" '
                            f'stroke="#d1d9e0"/><text x="{label_width + 6}" y="{y + 15}">none</text>'))
            continue
        for s in segs:
            if not s.value:
                continue
            w = pw * s.value / total
            out.append(Html(f'<rect x="{_f(x)}" y="{y}" width="{_f(w)}" height="{bar_h}" fill="{s.fill}">'
                            f'<title>{h(label)}: {h(s.name)} {s.value:,}</title></rect>'))
            if s.hatch:
                out.append(Html(f'<rect x="{_f(x)}" y="{y}" width="{_f(w)}" height="{bar_h}" '
                                f'fill="url(#{h(id)}-hatch)"/>'))
            text = f"{s.value:,}"
            if w >= 7.5 * len(text) + 6:
                out.append(Html(f'<text x="{_f(x + w / 2)}" y="{y + 15}" text-anchor="middle">{text}</text>'))
            x += w
    ly = top + len(rows) * (bar_h + gap) + 8
    lx = float(label_width)
    for s in legend.values():
        out.append(Html(f'<rect x="{_f(lx)}" y="{ly}" width="14" height="12" fill="{s.fill}" stroke="#59636e"/>'))
        if s.hatch:
            out.append(Html(f'<rect x="{_f(lx)}" y="{ly}" width="14" height="12" fill="url(#{h(id)}-hatch)"/>'))
        out.append(Html(f'<text x="{_f(lx + 19)}" y="{ly + 11}">{h(s.name)}</text>'))
        lx += 19 + 7.2 * len(s.name) + 16
    out.append(Html("</svg>"))
    return join(out)


@dataclass
class MatrixCell:
    text: str          # the number, e.g. "77/200"
    note: str          # a second line, e.g. "38.5%"
    fill: str
    href: str | None = None
    label: str = ""    # the tooltip


def matrix(id: str, title: str, desc: str, rows: Sequence[str], cols: Sequence[str],
           cells: dict[tuple[str, str], MatrixCell]) -> Html:
    """A grid of cells (rows x columns), each with its numbers and a link when it has one;
    an empty position is drawn as a dash. Columns are as wide as their longest label."""
    cell_h, head_h = 44, 30
    longest = max([len(c) for c in cols] + [len(c.text) for c in cells.values()] + [8])
    cell_w = max(96, int(7.3 * longest) + 14)
    row_label_w = max(64, int(7.3 * max((len(r) for r in rows), default=4)) + 16)
    width = row_label_w + cell_w * len(cols) + 2
    height = head_h + cell_h * len(rows) + 2
    out = [_open(id, title, desc, width, height)]
    for j, c in enumerate(cols):
        out.append(Html(f'<text x="{row_label_w + cell_w * j + cell_w / 2:.0f}" y="{head_h - 10}" '
                        f'text-anchor="middle" font-weight="600">{h(c)}</text>'))
    for i, r in enumerate(rows):
        y = head_h + cell_h * i
        out.append(Html(f'<text x="{row_label_w - 8}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end" '
                        f'font-weight="600">{h(r)}</text>'))
        for j, c in enumerate(cols):
            x = row_label_w + cell_w * j
            cell = cells.get((r, c))
            if cell is None:
                out.append(Html(f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="#fff" '
                                f'stroke="#d1d9e0"/><text x="{x + cell_w / 2:.0f}" y="{y + 27}" '
                                f'text-anchor="middle" class="small">–</text>'))
                continue
            body = (f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{cell.fill}" stroke="#fff" '
                    f'stroke-width="2"><title>{h(cell.label)}</title></rect>'
                    f'<text x="{x + cell_w / 2:.0f}" y="{y + 19}" text-anchor="middle" font-weight="600">'
                    f'{h(cell.text)}</text><text x="{x + cell_w / 2:.0f}" y="{y + 35}" text-anchor="middle" '
                    f'class="small">{h(cell.note)}</text>')
            out.append(Html(f'<a href="{h(cell.href)}">{body}</a>' if cell.href else body))
    out.append(Html("</svg>"))
    return join(out)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:max(1, chars - 1)] + "…"
