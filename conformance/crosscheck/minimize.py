"""Minimized witnesses: delete parts of a document while its disagreement keeps its kind.

The idea of ``campaign/minimize.py`` (delete elements, then attributes, while
the failure stays the same), batched: the oracle answers in batches and our
engine in worker processes, so every round tries *all* single deletions of
every witness being minimized at once, then all the deletions that kept the
kind together (or, when that loses it, the first one). Top-level parts and
devices go first, then any element, then attributes; the pinned ``<uuid>``,
``<mac>`` and port-profile ``instanceid`` stay. A command line given as such (argv2xml)
loses whole options (with their values) and environment words first, then single
words, then comma-separated parts of a word; the emulator stays. Time-bounded: at the
deadline every witness is the smallest found so far.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from virtconform.conformance.generators.domaingen import to_text

from .checker import Checker, Probe

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
#: pinned random values (documents.pin_random): without them the answers are dice
_KEEP = frozenset({"uuid", "mac"})
_KEEP_ATTRS = frozenset({("parameters", "instanceid")})
#: candidates tried per witness per round (the rest wait for the next round)
_PER_ROUND = 160

#: what a round deletes: whole top-level parts and devices first, then any element, then attributes
PHASES = ("top", "elements", "attributes")
_TOP_DEPTH = 2  # /domain/X and /domain/devices/X
Deletion = tuple[int, str | None]  # (element number in document order, attribute name or None)


@dataclass
class Target:
    """One witness being minimized: it must keep showing ``kind`` in ``probe``'s mode and flags."""

    kind: str
    probe: Probe
    rounds: int = 0
    done: bool = False
    phase: str = PHASES[0]
    tried: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.probe.text

    def with_text(self, text: str) -> Probe:
        p = self.probe
        return Probe(text, p.mode, p.caps, p.flags)


def minimize(checker: Checker, targets: Sequence[Target], deadline: float) -> None:
    """Shrink every target's document in place (``target.probe``) until the deadline."""
    for t in targets:
        if t.probe.given_line:
            continue
        try:
            etree.fromstring(t.text.encode(), _PARSER)
        except (etree.XMLSyntaxError, ValueError):
            t.done = True
    while time.monotonic() < deadline:
        cands: list[tuple[Target, Deletion, str]] = []
        more: dict[int, bool] = {}
        for t in targets:
            if t.done:
                continue
            fresh = [(d, text) for d, text in _candidates(t) if text not in t.tried]
            if not fresh:
                _next_phase(t)
                continue
            t.rounds += 1
            more[id(t)] = len(fresh) > _PER_ROUND
            mine = fresh[:_PER_ROUND]
            t.tried.update(text for _, text in mine)
            cands += [(t, d, text) for d, text in mine]
        if not cands:
            if all(t.done for t in targets):
                return
            continue
        results = checker.check([t.with_text(text) for t, _, text in cands])
        passing: dict[int, list[tuple[Deletion, str]]] = {}
        for (t, d, text), r in zip(cands, results, strict=True):
            if r is not None and t.kind in r.verdict.kinds:
                passing.setdefault(id(t), []).append((d, text))
        combined: list[tuple[Target, str, str]] = []
        for t in {id(t): t for t, _, _ in cands}.values():
            ok = passing.get(id(t), [])
            if not ok:
                if not more[id(t)]:  # every candidate of this phase tried: none keeps the kind
                    _next_phase(t)
            elif len(ok) == 1:
                t.probe = t.with_text(ok[0][1])
            else:
                deletions = [d for d, _ in ok]
                both = _apply_line(t.text, t.phase, deletions) if t.probe.given_line else _apply(t.text, deletions)
                combined.append((t, both, ok[0][1]))
        if not combined:
            continue
        if time.monotonic() >= deadline:
            for t, _, first in combined:
                t.probe = t.with_text(first)
            return
        again = checker.check([t.with_text(text) for t, text, _ in combined])
        for (t, text, first), r in zip(combined, again, strict=True):
            keep = r is not None and t.kind in r.verdict.kinds
            t.probe = t.with_text(text if keep else first)


def _next_phase(t: Target) -> None:
    if t.phase in PHASES[:-1]:
        t.phase = PHASES[PHASES.index(t.phase) + 1]
    else:
        t.done = True


def _depth(e: etree._Element) -> int:
    n = 0
    while (e := e.getparent()) is not None:
        n += 1
    return n


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _candidates(t: Target) -> list[tuple[Deletion, str]]:
    if t.probe.given_line:
        return [(d, _apply_line(t.text, t.phase, [d])) for d in _line_deletions(t.text, t.phase)]
    root = etree.fromstring(t.text.encode(), _PARSER)
    els = _elements(root)
    out: list[tuple[Deletion, str]] = []
    if t.phase in ("top", "elements"):
        for i, e in enumerate(els):
            if i and e.tag not in _KEEP and (t.phase == "elements" or _depth(e) <= _TOP_DEPTH):
                out.append(((i, None), _apply(t.text, [(i, None)])))
    else:
        for i, e in enumerate(els):
            if e.tag == "mac":
                continue
            out += [((i, a), _apply(t.text, [(i, a)])) for a in e.attrib if (e.tag, a) not in _KEEP_ATTRS]
    return out


def _apply(text: str, deletions: Sequence[Deletion]) -> str:
    root = etree.fromstring(text.encode(), _PARSER)
    els = _elements(root)
    gone = {i for i, a in deletions if a is None}
    for i, a in deletions:
        if a is not None and i not in gone:
            els[i].attrib.pop(a, None)
    for i in sorted(gone):
        e = els[i]
        if any(a in gone for a in _ancestors(els, e)):
            continue
        parent = e.getparent()
        if parent is not None:
            parent.remove(e)
    return to_text(copy.deepcopy(root))


def _ancestors(els: list[etree._Element], e: etree._Element) -> list[int]:
    index = {id(x): n for n, x in enumerate(els)}
    out = []
    p = e.getparent()
    while p is not None:
        out.append(index[id(p)])
        p = p.getparent()
    return out


# ---------------------------------------------------------------- command lines
def _line_parts(text: str) -> tuple[list[str], int, list[list[int]]]:
    """(words, index of the emulator, option groups as lists of word indexes): environment
    words before the emulator are groups of their own, an option takes the words up to
    the next one."""
    words = text.split(" ")
    at = 0
    while at < len(words) and "=" in words[at] and not words[at].startswith("-"):
        at += 1
    groups: list[list[int]] = [[i] for i in range(at)]
    for i in range(at + 1, len(words)):
        if words[i].startswith("-") or len(groups) <= at:
            groups.append([i])
        else:
            groups[-1].append(i)
    return words, at, groups


def _line_deletions(text: str, phase: str) -> list[Deletion]:
    words, at, groups = _line_parts(text.rstrip("\n"))
    if phase == "top":
        return [(g, None) for g in range(len(groups))]
    if phase == "elements":
        return [(i, None) for i in range(len(words)) if i != at]
    return [(i, str(j)) for i in range(len(words)) if i != at for j in range(words[i].count(",") + 1)
            if words[i].count(",")]


def _apply_line(text: str, phase: str, deletions: Sequence[Deletion]) -> str:
    """``text`` without the groups (top), words (elements) or comma parts (attributes) named."""
    end = "\n" if text.endswith("\n") else ""
    words, _at, groups = _line_parts(text.rstrip("\n"))
    gone: set[int] = set()
    parts: dict[int, set[int]] = {}
    for i, sub in deletions:
        if phase == "top":
            gone.update(groups[i])
        elif sub is None:
            gone.add(i)
        else:
            parts.setdefault(i, set()).add(int(sub))
    out = []
    for i, w in enumerate(words):
        if i in gone:
            continue
        if i in parts:
            w = ",".join(p for j, p in enumerate(w.split(",")) if j not in parts[i])
        out.append(w)
    return " ".join(out) + end
