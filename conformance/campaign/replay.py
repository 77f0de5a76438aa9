"""``fuzz --replay DIR``: every reproducer a campaign wrote, run again.

Apart from reproducers.py (the file format) because replaying needs what wrote
them -- the property suite and the byte targets -- and those write reproducers.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from .reproducers import load_reproducers


def replay(where: Path) -> list[dict[str, Any]]:
    """Run every reproducer again: ``[{"reproducer", "what", "status": "fails"|"passes"|
    "skipped"|"unknown", "error"}]``."""
    from .bytefuzz import TARGETS, run_input
    from .catalogue import PROPERTIES
    from .properties import Skip
    results = []
    for path, rec in load_reproducers(where):
        if "property" in rec:
            what = rec["property"]
            prop = PROPERTIES.get(what)
            if prop is None:
                results.append({"reproducer": str(path), "what": what, "status": "unknown",
                                "error": f"no property {what} here"})
                continue
            try:
                prop.check(rec["xml"])
                status, error = "passes", ""
            except Skip as e:
                status, error = "skipped", str(e)
            except Exception as e:  # noqa: BLE001 - a failure is what we are looking for
                status, error = "fails", f"{type(e).__name__}: {e}"
        else:
            what = rec["target"]
            if what not in TARGETS:
                results.append({"reproducer": str(path), "what": what, "status": "unknown",
                                "error": f"no byte target {what}"})
                continue
            error = run_input(what, base64.b64decode(rec["input_base64"])) or ""
            status = "fails" if error else "passes"
        results.append({"reproducer": str(path), "what": what, "status": status,
                        "error": " ".join(error.split())[:300]})
    return results
