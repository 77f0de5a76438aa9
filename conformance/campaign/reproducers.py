"""Reproducers: what a campaign writes for each failure, and reading them back.

A reproducer is ``STEM.json`` (what failed, the error, the input, the command that replays
it) beside the input itself (``STEM.xml`` for a property, ``STEM.bin`` for a byte target),
so the input can be opened, edited and fed to the other commands as it is. Running them
again (``fuzz --replay DIR``) is replay.py's.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any


def write_reproducer(out: Path, stem: str, record: dict[str, Any]) -> Path:
    """Write ``record`` (``property``+``xml`` or ``target``+``data`` bytes) under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rec = dict(record)
    if "data" in rec:
        data: bytes = rec.pop("data")
        (out / f"{stem}.bin").write_bytes(data)
        rec["input_base64"] = base64.b64encode(data).decode()
        rec["input"] = f"{stem}.bin"
    else:
        comment = f"property: {rec['property']}\nerror: {rec['error']}".replace("--", "- -")
        (out / f"{stem}.xml").write_text(f"<!--\n{comment}\n-->\n{rec['xml']}", encoding="utf-8")
        rec["input"] = f"{stem}.xml"
    rec["replay"] = f"virtconform fuzz --replay {out}"
    path = out / f"{stem}.json"
    path.write_text(json.dumps(rec, indent=1) + "\n", encoding="utf-8")
    return path


def load_reproducers(where: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every reproducer under ``where`` (a directory, searched recursively, or one .json file)."""
    from virtconform.engine.errors import InputError, UsageError
    if not where.exists():
        raise InputError(f"{where}: no such file or directory", path=str(where))
    files = [where] if where.is_file() else sorted(where.rglob("*.json"))
    out = []
    for f in files:
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read reproducer: {e}", path=str(f)) from None
        if isinstance(rec, dict) and ("property" in rec and "xml" in rec or
                                      "target" in rec and "input_base64" in rec):
            out.append((f, rec))
    if not out:
        raise UsageError(f"{where}: no reproducers (*.json written by fuzz)")
    return out
