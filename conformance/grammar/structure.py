"""Where two grammars differ, structurally: element contexts and their signatures.

A *context* is an element pattern reached at an element path (``/domain/devices/disk``)
with the chain of element patterns above it. Its *signature* is a canonical form
of the element's content: define names, define order, ``div``, whitespace,
nesting of groups and the order of choices and interleaves do not count; child
elements count by name and (a few levels deep) by their own content. Two
grammars that differ only cosmetically have the same signature at every path;
the paths whose signatures differ are where a language change can be.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .rng import (
    AnyName,
    Attribute,
    Choice,
    Data,
    Element,
    Empty,
    Grammar,
    Group,
    Interleave,
    ListP,
    Name,
    NameChoice,
    NameClass,
    NotAllowed,
    NsName,
    OneOrMore,
    Optional,
    Pattern,
    Ref,
    Text,
    Value,
    ZeroOrMore,
)

#: how many levels of child elements a signature looks into
DEPTH = 3


@dataclass(eq=False)
class Context:
    """An element pattern at a path, and the context of its parent element."""

    element: Element
    path: str
    parent: Context | None

    def chain(self) -> list[Element]:
        """The element patterns from the root down to this one."""
        out: list[Element] = []
        c: Context | None = self
        while c is not None:
            out.append(c.element)
            c = c.parent
        return out[::-1]

    @property
    def depth(self) -> int:
        return self.path.count("/")


def label(nc: NameClass) -> list[str]:
    """Path steps for a name class: local names (with ``{ns}`` when namespaced), ``*`` for wildcards."""
    if isinstance(nc, Name):
        return [f"{{{nc.ns}}}{nc.local}" if nc.ns else nc.local]
    if isinstance(nc, NameChoice):
        return [n for i in nc.items for n in label(i)]
    return ["*"]


def local_nodes(body: Pattern, attributes: bool = False) -> list[Pattern]:
    """The nodes of an element's own content: refs followed, child elements listed but not
    entered, attribute values entered only when ``attributes``."""
    out: list[Pattern] = []
    seen: set[int] = set()
    stack = [body]
    while stack:
        p = stack.pop()
        if id(p) in seen:
            continue
        seen.add(id(p))
        out.append(p)
        if isinstance(p, Ref):
            stack.append(p.resolve())
        elif isinstance(p, Group | Interleave | Choice):
            stack.extend(reversed(p.items))
        elif isinstance(p, Optional | ZeroOrMore | OneOrMore):
            stack.append(p.item)
        elif isinstance(p, Attribute) and attributes:
            stack.append(p.body)
    return out


def local_elements(body: Pattern) -> list[Element]:
    """Element patterns directly in an element's content."""
    return [p for p in local_nodes(body) if isinstance(p, Element)]


def contexts(grammar: Grammar, max_depth: int = 14, limit: int = 20000) -> list[Context]:
    """Every element context reachable from the start (recursion cut at ``max_depth``)."""
    out: list[Context] = []
    seen: set[tuple[int, str]] = set()
    level = [Context(e, f"/{n}", None) for e in local_elements(grammar.start) for n in label(e.name)]
    while level and len(out) < limit:
        nxt: list[Context] = []
        for c in level:
            key = (id(c.element), c.path)
            if key in seen:
                continue
            seen.add(key)
            out.append(c)
            if c.depth < max_depth:
                nxt.extend(Context(e, f"{c.path}/{n}", c) for e in local_elements(c.element.body)
                           for n in label(e.name))
        level = nxt
    return out


class Signatures:
    """Canonical forms, interned as small integers shared by every grammar given to it."""

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._memo: dict[tuple[int, int], int] = {}

    def _intern(self, t: tuple) -> int:
        got = self._ids.get(t)
        if got is None:
            got = self._ids[t] = len(self._ids)
        return got

    def of(self, p: Pattern, depth: int = DEPTH) -> int:
        key = (id(p), depth)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._intern(self._canon(p, depth))
        return got

    def _members(self, p: Pattern, kind: type, depth: int) -> list[int]:
        """Items of nested same-kind nodes, flattened."""
        out: list[int] = []
        for i in p.items:  # type: ignore[attr-defined]
            while isinstance(i, Ref):
                i = i.resolve()
            if isinstance(i, kind):
                out.extend(self._members(i, kind, depth))
            else:
                out.append(self.of(i, depth))
        return out

    def _canon(self, p: Pattern, depth: int) -> tuple:
        empty = self._intern(("empty",))
        if isinstance(p, Ref):
            return ("=", self.of(p.resolve(), depth))
        if isinstance(p, Element):
            return ("E", _nc(p.name), self.of(p.body, depth - 1) if depth > 0 else -1)
        if isinstance(p, Attribute):
            return ("A", _nc(p.name), self.of(p.body, depth))
        if isinstance(p, Group):
            items = [i for i in self._members(p, Group, depth) if i != empty]
            return ("G", *items)
        if isinstance(p, Interleave):
            items = sorted(i for i in self._members(p, Interleave, depth) if i != empty)
            return ("I", *items)
        if isinstance(p, Choice):
            na = self._intern(("NA",))
            return ("C", frozenset(i for i in self._members(p, Choice, depth) if i != na))
        if isinstance(p, Optional):
            return ("C", frozenset((self.of(p.item, depth), empty)))
        if isinstance(p, ZeroOrMore):
            return ("C", frozenset((self._intern(("+", self.of(p.item, depth))), empty)))
        if isinstance(p, OneOrMore):
            return ("+", self.of(p.item, depth))
        if isinstance(p, ListP):
            return ("L", self.of(p.item, depth))
        if isinstance(p, Text):
            return ("T",)
        if isinstance(p, Empty):
            return ("empty",)
        if isinstance(p, NotAllowed):
            return ("NA",)
        if isinstance(p, Value):
            text = p.value if p.type == "string" else " ".join(p.value.split())
            return ("V", p.type, p.library, text)
        if isinstance(p, Data):
            exc = self.of(p.except_, depth) if p.except_ is not None else -1
            return ("D", p.type, p.library, tuple(sorted(p.params)), exc)
        raise TypeError(type(p).__name__)


def _nc(nc: NameClass) -> tuple:
    if isinstance(nc, Name):
        return ("n", nc.ns, nc.local)
    if isinstance(nc, NameChoice):
        return ("c", frozenset(_nc(i) for i in nc.items))
    if isinstance(nc, AnyName):
        return ("*", _nc(nc.except_) if nc.except_ else None)
    assert isinstance(nc, NsName)
    return ("ns", nc.ns, _nc(nc.except_) if nc.except_ else None)


@dataclass
class Comparison:
    """The element paths of two grammars and which of them differ."""

    old: dict[str, list[Context]]
    new: dict[str, list[Context]]
    changed: list[str]  # paths whose signatures differ (or exist on one side only), shallow first

    def contexts(self, side: str) -> Iterator[Context]:
        """The contexts of one side (``old``/``new``) at the changed paths."""
        table = self.old if side == "old" else self.new
        for path in self.changed:
            yield from table.get(path, [])


def _by_path(grammar: Grammar) -> dict[str, list[Context]]:
    out: dict[str, list[Context]] = {}
    for c in contexts(grammar):
        out.setdefault(c.path, []).append(c)
    return out


def compare(old: Grammar, new: Grammar) -> Comparison:
    """Align two grammars by element path and list the paths whose content differs."""
    sig = Signatures()
    a, b = _by_path(old), _by_path(new)

    def signature(cs: list[Context]) -> frozenset[int]:
        return frozenset(sig.of(c.element.body) for c in cs)

    start_differs = sig.of(old.start, 1) != sig.of(new.start, 1)
    changed = [p for p in sorted(set(a) | set(b), key=lambda p: (p.count("/"), p))
               if p not in a or p not in b or signature(a[p]) != signature(b[p])
               or (start_differs and p.count("/") == 1)]
    return Comparison(a, b, changed)
