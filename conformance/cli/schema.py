"""``virtconform schema compile|check``: keep the shipped .rng in step with the .rnc.

The .rnc files are the source; the .rng files are what lxml/libxml2 load at
run time. This is the only command allowed to import rnc2rng (see cli.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from virtconform.engine.errors import InputError, UsageError

#: schema sources compiled by this command; domain.rnc inlines the other two
SOURCES = ("basictypes.rnc", "storageencryption.rnc", "domain.rnc")


def default_dir() -> Path:
    """The directory of the shipped schemas (the virtconform.schemas package)."""
    import virtconform.schemas as pkg
    return Path(next(iter(pkg.__path__)))


def compile_rnc(path: Path) -> str:
    """Compile one .rnc file to RELAX NG XML text (includes are inlined by rnc2rng)."""
    try:
        from virtconform.engine import allow_rnc2rng
        allow_rnc2rng()
        import rnc2rng
    except ImportError:
        raise UsageError("rnc2rng is not installed: pip install 'virtconform[schema]'") from None
    try:
        text = rnc2rng.dumps(rnc2rng.load(str(path)))
    except Exception as e:  # rnc2rng raises its own ParseError and assertion failures
        raise InputError(f"cannot compile schema: {' '.join(str(e).split())}", path=str(path),
                         line=1, column=1) from None
    return text if text.endswith("\n") else text + "\n"


def compiled(directory: Path) -> dict[Path, str]:
    """Fresh compilation of every source present in ``directory``: {rng path: text}."""
    out: dict[Path, str] = {}
    for name in SOURCES:
        src = directory / name
        if src.is_file():
            out[src.with_suffix(".rng")] = compile_rnc(src)
    if not out:
        raise InputError("no .rnc schema sources found", path=str(directory), line=0, column=0)
    return out


def run(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else default_dir()
    if not directory.is_dir():
        raise InputError("not a directory", path=str(directory), line=0, column=0)
    fresh = compiled(directory)
    if args.action == "compile":
        for path, text in fresh.items():
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}", file=sys.stderr)
        return 0
    stale = [p for p, text in fresh.items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    for p in stale:
        print(f"{p}:1:1: stale: differs from a fresh compile of {p.with_suffix('.rnc').name}"
              " (run `virtconform schema compile`)", file=sys.stderr)
    return 1 if stale else 0
