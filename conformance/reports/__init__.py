"""Reports people look at: one static HTML page per report (``--html DIR``).

``schema coverage``, ``crosscheck``, ``check`` and ``fuzz`` each write ``DIR/index.html``
and, beside it, ``DIR/report.json`` (the very data the page is drawn from), so people and
programs read the same numbers. The pages are self-contained: inline CSS and SVG, no
script, nothing fetched (a Content-Security-Policy says so), printable.

- ``html``: escaping by construction (``Html``, ``tag``), tables, the page template;
- ``svg``: line charts, stacked bars, the matrix, each with a title and a description;
- ``coverage``, ``crosscheck``, ``check``, ``campaign``: one renderer per report.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

#: report kind -> the module that renders it
RENDERERS = {"coverage": "coverage", "crosscheck": "crosscheck", "check": "check", "fuzz": "campaign"}


def write_html(out_dir: str, kind: str, data: dict[str, Any]) -> Path:
    """Render ``data`` (the report's JSON form) as ``out_dir/index.html``, with
    ``out_dir/report.json`` beside it; returns the page's path. An unwritable directory
    is a usage error (exit 2), like any unwritable output."""
    from virtconform.engine.errors import UsageError

    module = importlib.import_module(f"{__name__}.{RENDERERS[kind]}")
    page = module.render(data, out_dir)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (out / "index.html").write_text(page, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write the HTML report: {e.strerror or e}", path=out_dir, line=0,
                         column=0) from None
    print(f"{kind}: HTML report {out / 'index.html'}", file=sys.stderr)
    return out / "index.html"
