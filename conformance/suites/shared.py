"""Where ``../shared`` lives and how its reference cases are compared: one place for both.

Tests, the demo, the benchmarks and the crosscheck all find the reference suite,
libvirt's 2010 schema and libvirt's oracle through here, and every argv2xml comparison uses ``blank``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# libvirt's qemuargv2xmltest clears the lines holding values it cannot recover from
# a command line (virtTestClearLineRegex: the whole line, its newline included)
BLANK_PATTERNS = (r"<name>[[:alnum:]]+</name>", r"<uuid>([[:alnum:]]|-)+</uuid>",
                  r"<memory>[[:digit:]]+</memory>", r"<currentMemory>[[:digit:]]+</currentMemory>",
                  r"<readonly/>", r"<sharable/>")
_POSIX = {"[:alnum:]": "A-Za-z0-9", "[:digit:]": "0-9"}


def _python_regex(posix: str) -> str:
    for cls, py in _POSIX.items():
        posix = posix.replace(cls, py)
    return posix


_BLANK = re.compile("|".join(_python_regex(p) for p in BLANK_PATTERNS))


def blank(text: str) -> str:
    """Delete every line one of libvirt's patterns matches, newline included."""
    return "".join(line for line in text.splitlines(keepends=True) if not _BLANK.search(line))


def shared_dir() -> Path | None:
    """``$VIRTCONFORM_SHARED``, else ``shared`` beside the checkout or the working directory."""
    env = os.environ.get("VIRTCONFORM_SHARED")
    if env:
        return Path(env)
    for base in (REPO, Path.cwd(), *Path.cwd().parents):
        cand = base.parent / "shared"
        if (cand / "libvirt-0.8.3").is_dir() or (cand / "oracle").is_dir():
            return cand
    return None


def reference_suite() -> Path | None:
    """The reference suite (libvirt 0.8.3's test data), when present."""
    d = shared_dir()
    suite = d / "libvirt-0.8.3" if d else None
    return suite if suite is not None and (suite / "manifest.json").is_file() else None


def libvirt_schema() -> Path | None:
    """libvirt's own 2010 domain schema (the reference suite's ``schemas/domain.rng``),
    when present: an oracle for the language."""
    suite = reference_suite()
    rng = suite / "schemas" / "domain.rng" if suite is not None else None
    return rng if rng is not None and rng.is_file() else None


def oracle_command() -> Path | None:
    """libvirt's own 2010 QEMU driver as a command (``../shared/oracle``), when present."""
    env = os.environ.get("VIRTCONFORM_ORACLE")
    if env:
        return Path(env)
    d = shared_dir()
    cand = d / "oracle" / "libvirt083-oracle" if d else None
    return cand if cand is not None and os.access(cand, os.X_OK) else None
