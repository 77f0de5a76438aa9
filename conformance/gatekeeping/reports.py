"""The report formats of ``virtconform check``: text, json, junit, github.

All four show the same checks. ``text`` is for people (failures with their details,
one summary line; colour only on a terminal and never with NO_COLOR), ``json`` for
scripts, ``junit`` one test case per document and check (classname = document,
name = check) for CI test views, ``github`` workflow-command annotations
(``::error file=...,line=...,col=...::``) that GitHub shows on the changed lines.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter

from .checker import Check, Outcome


def summary(outcome: Outcome) -> str:
    docs_failed = len({c.document for c in outcome.failed})
    kinds = Counter(_kind(c) for c in outcome.failed)
    what = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    rate = outcome.documents * len(outcome.targets) / outcome.seconds if outcome.seconds else 0
    head = (f"checked {_n(outcome.documents, 'document')} x {_n(len(outcome.targets), 'target')} "
            f"in {outcome.seconds:.2f} s ({rate:,.0f} document-targets/s)")
    if outcome.lock_written:
        head += "; lock file written"
    if not outcome.failed:
        return f"{head}: all hold"
    return f"{head}: {_n(docs_failed, 'document')} failed ({what})"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _kind(c: Check) -> str:
    if c.name == "valid":
        return "internal error" if c.message.startswith("virtconform: internal") else "invalid"
    if c.name.startswith("target "):
        return "not locked" if c.message.startswith("not in the lock") else "lock drift"
    return c.name


#: detail lines per failure in the text report (json and junit carry them all)
MAX_DETAILS = 16


def text(outcome: Outcome, colour: bool) -> str:
    red, yellow, green, dim, off = ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m") \
        if colour else ("",) * 5
    lines: list[str] = []
    for group in _same_failures(outcome.checks):
        c = group[0]
        if c.failed:
            where = f"{c.document}:{c.line}:{c.column}" if c.line else c.document
            name = c.name if len(group) == 1 else \
                "targets " + ", ".join(g.name.removeprefix("target ") for g in group)
            lines.append(f"{where}: {red}FAIL{off} {name}: {c.message}")
            shown = c.details if len(c.details) <= MAX_DETAILS else c.details[:MAX_DETAILS - 1]
            lines += [f"    {_colour_diff(d, red, green, off)}" for d in shown]
            if len(shown) < len(c.details):
                lines.append(f"    {dim}... {len(c.details) - len(shown)} more lines "
                             f"(--format json shows all){off}")
        elif c.name == "guest ABI" and c.status == "skipped" and "NOT CHECKED" in c.message:
            lines.append(f"{c.document}: {yellow}WARNING{off} {c.name}: {c.message}")
        elif c.message and c.status == "passed" and c.name != "guest ABI" and c.details:
            lines.append(f"{dim}{c.document}: {c.name}: {c.message}{off}")
    colour_sum = red if outcome.failed else green
    lines.append(f"{colour_sum}{summary(outcome)}{off}")
    return "\n".join(lines) + "\n"


def _same_failures(checks: list[Check]) -> list[list[Check]]:
    """Consecutive target checks of one document failing alike (the same drift on every
    target, a document no target has locked) shown once, naming the targets."""
    groups: list[list[Check]] = []
    for c in checks:
        last = groups[-1][0] if groups else None
        if (last is not None and c.failed and last.failed and c.document == last.document
                and c.name.startswith("target ") and last.name.startswith("target ")
                and (c.message, c.details, c.line) == (last.message, last.details, last.line)):
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def _colour_diff(line: str, red: str, green: str, off: str) -> str:
    if line.startswith("- ") or line.strip().startswith("- "):
        return f"{red}{line}{off}"
    if line.startswith("+ ") or line.strip().startswith("+ "):
        return f"{green}{line}{off}"
    return line


def as_json(outcome: Outcome) -> str:
    docs: dict[str, list[Check]] = {}
    for c in outcome.checks:
        docs.setdefault(c.document, []).append(c)
    out = {
        "passed": not outcome.failed,
        "documents": outcome.documents,
        "targets": outcome.targets,
        "seconds": round(outcome.seconds, 3),
        "lock_written": outcome.lock_written,
        "failed": sorted({c.document for c in outcome.failed}),
        "results": [{"document": d, "passed": not any(c.failed for c in cs),
                     "checks": [c.to_json() for c in cs]} for d, cs in docs.items()],
    }
    return json.dumps(out, indent=1) + "\n"


def junit(outcome: Outcome) -> str:
    """JUnit XML as Jenkins, GitLab and the JUnit readers take it (junit-10.xsd)."""
    failures = sum(c.failed for c in outcome.checks)
    skipped = sum(c.status == "skipped" for c in outcome.checks)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    secs = f"{outcome.seconds:.3f}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="virtconform check" tests="{len(outcome.checks)}" '
           f'failures="{failures}" errors="0" time="{secs}">',
           f'  <testsuite name="virtconform check" tests="{len(outcome.checks)}" failures="{failures}" '
           f'errors="0" skipped="{skipped}" time="{secs}" timestamp="{stamp}" '
           f'hostname={quoteattr(os.uname().nodename)}>']
    for c in outcome.checks:
        head = (f'    <testcase classname={quoteattr(_xml_safe(c.document))} '
                f'name={quoteattr(_xml_safe(c.name))} time="{c.seconds:.3f}"')
        if c.status == "passed":
            out.append(head + "/>")
            continue
        out.append(head + ">")
        if c.failed:
            where = f"{c.document}:{c.line}:{c.column}: " if c.line else f"{c.document}: "
            body = "\n".join([where + c.message, *c.details])
            out.append(f'      <failure type={quoteattr(_kind(c))} message={quoteattr(_xml_safe(c.message))}>'
                       f"{_text(body)}</failure>")
        else:
            out.append(f"      <skipped message={quoteattr(_xml_safe(c.message))}/>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"


def quoteattr(s: str) -> str:
    """An XML attribute value in double quotes (xml.sax.saxutils pulls in urllib)."""
    s = _text(s).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{s}"'


def _xml_safe(s: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped."""
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "?" for ch in s)


def _text(s: str) -> str:
    return _xml_safe(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(outcome: Outcome) -> str:
    lines = []
    for c in outcome.checks:
        if not c.failed and not (c.status == "skipped" and "NOT CHECKED" in c.message):
            continue
        level = "error" if c.failed else "warning"
        props = [f"file={_gh_prop(c.document)}"]
        if c.line:
            props += [f"line={c.line}", f"col={c.column or 1}"]
        props.append(f"title={_gh_prop(f'virtconform {c.name}')}")
        msg = "\n".join([c.message, *c.details])
        lines.append(f"::{level} {','.join(props)}::{_gh_data(msg)}")
    lines.append(summary(outcome))
    return "\n".join(lines) + "\n"


FORMATS = {"json": as_json, "junit": junit, "github": github}
