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
from dataclasses import dataclass, field

from .rng import (
    XSD_LIB,
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
    """Canonical forms, interned as small integers shared by every grammar given to it.

    Forms that RELAX NG gives the same meaning get the same form: a reference is what
    it refers to; nested groups, interleaves and choices are flattened; ``empty`` is
    dropped from groups and ``notAllowed`` from choices; a one-item group or choice is
    its item; ``optional`` is a choice with ``empty``; ``zeroOrMore`` is ``oneOrMore``
    or ``empty``, and ``(X | empty)+`` is ``X+ | empty``; a repetition of attributes
    that always include one name is no repetition; attributes of a group come
    first, sorted (their order never matters); an interleave is sorted; a string or
    token ``data`` without parameters is ``text``.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._tuples: list[tuple] = []
        self._memo: dict[tuple[int, int], int] = {}
        self._attrs: dict[int, bool] = {}
        self.empty = self._intern(("empty",))
        self.not_allowed = self._intern(("NA",))

    def _intern(self, t: tuple) -> int:
        got = self._ids.get(t)
        if got is None:
            got = self._ids[t] = len(self._tuples)
            self._tuples.append(t)
        return got

    def of(self, p: Pattern, depth: int = DEPTH) -> int:
        while isinstance(p, Ref):
            p = p.resolve()
        key = (id(p), depth)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._intern(self._canon(p, depth))
        return got

    def _attribute_only(self, i: int) -> bool:
        """Whether a form matches attributes and nothing else."""
        got = self._attrs.get(i)
        if got is None:
            t = self._tuples[i]
            if t[0] == "A":
                got = True
            elif t[0] in ("G", "I"):
                got = all(self._attribute_only(j) for j in t[1:])
            elif t[0] == "C":
                got = all(j == self.empty or self._attribute_only(j) for j in t[1])
            elif t[0] == "+":
                got = self._attribute_only(t[1])
            else:
                got = False
            self._attrs[i] = got
        return got

    def _choice(self, items: list[int]) -> tuple:
        flat: set[int] = set()
        for i in items:
            t = self._tuples[i]
            if t[0] == "C":
                flat |= t[1]
            elif i != self.not_allowed:
                flat.add(i)
        if not flat:
            return ("NA",)
        if len(flat) == 1:
            return self._tuples[next(iter(flat))]
        return ("C", frozenset(flat))

    def _sequence(self, kind: str, items: list[int]) -> tuple:
        flat: list[int] = []
        for i in items:
            t = self._tuples[i]
            if t[0] == kind:
                flat.extend(t[1:])
            elif i != self.empty:
                flat.append(i)
        if self.not_allowed in flat:
            return ("NA",)
        if kind == "I" and sum(not self._attribute_only(i) for i in flat) <= 1:
            return self._sequence("G", flat)  # attributes are unordered anyway: this is a group
        if kind == "I":
            flat.sort()
        else:
            flat = sorted(i for i in flat if self._attribute_only(i)) + \
                [i for i in flat if not self._attribute_only(i)]
        if not flat:
            return ("empty",)
        if len(flat) == 1:
            return self._tuples[flat[0]]
        return (kind, *flat)

    def _required(self, i: int) -> frozenset[tuple]:
        """Attribute names every match of an attribute-only form has (so it cannot repeat)."""
        t = self._tuples[i]
        if t[0] == "A":
            return frozenset([t[1]]) if t[1][0] == "n" else frozenset()
        if t[0] in ("G", "I"):
            return frozenset().union(*(self._required(j) for j in t[1:]))
        if t[0] == "C":
            return frozenset.intersection(*(self._required(j) for j in t[1]))
        if t[0] == "+":
            return self._required(t[1])
        return frozenset()

    def _more(self, i: int) -> tuple:
        t = self._tuples[i]
        if t[0] in ("+", "empty", "NA"):
            return t
        if self._attribute_only(i) and self._required(i):
            return t  # an attribute cannot be given twice: <oneOrMore><attribute/></oneOrMore> is it once
        if t[0] == "C" and self.empty in t[1]:
            rest = self._intern(self._choice([j for j in t[1] if j != self.empty]))
            return self._choice([self._intern(self._more(rest)), self.empty])
        return ("+", i)

    def _canon(self, p: Pattern, depth: int) -> tuple:
        if isinstance(p, Element):
            return ("E", _nc(p.name), self.of(p.body, depth - 1) if depth > 0 else -1)
        if isinstance(p, Attribute):
            return ("A", _nc(p.name), self.of(p.body, depth))
        if isinstance(p, Group):
            return self._sequence("G", [self.of(i, depth) for i in p.items])
        if isinstance(p, Interleave):
            return self._sequence("I", [self.of(i, depth) for i in p.items])
        if isinstance(p, Choice):
            return self._choice([self.of(i, depth) for i in p.items])
        if isinstance(p, Optional):
            return self._choice([self.of(p.item, depth), self.empty])
        if isinstance(p, ZeroOrMore):
            return self._choice([self._intern(self._more(self.of(p.item, depth))), self.empty])
        if isinstance(p, OneOrMore):
            return self._more(self.of(p.item, depth))
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
            library = XSD_LIB if p.type in ("string", "token") and not p.library else p.library
            return ("V", p.type, library, text)
        if isinstance(p, Data):
            if p.type in ("string", "token") and p.library in ("", XSD_LIB) and not p.params \
                    and p.except_ is None:
                return ("T",)
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
    searched: list[str] = field(default_factory=list)  # of those, the ones whose own content differs
    #: (side, path) -> the other side's signatures there
    facing: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)

    def contexts(self, side: str) -> Iterator[Context]:
        """The contexts of one side (``old``/``new``) where a difference can show; an element
        pattern met again at another path, facing the same content there, only once (a
        device's <address> is one search, not one per device)."""
        table = self.old if side == "old" else self.new
        seen: set[tuple[int, frozenset[int]]] = set()
        for path in self.searched:
            for c in table.get(path, []):
                key = (id(c.element), self.facing.get((side, path), frozenset()))
                if key not in seen:
                    seen.add(key)
                    yield c


def _by_path(grammar: Grammar) -> dict[str, list[Context]]:
    out: dict[str, list[Context]] = {}
    for c in contexts(grammar):
        out.setdefault(c.path, []).append(c)
    return out


def compare(old: Grammar, new: Grammar) -> Comparison:
    """Align two grammars by element path and list the paths whose content differs.

    A path whose signature differs only below its children (its own content, with
    child elements by name, is the same) needs no search of its own: the difference
    is searched at the child's path, which differs too."""
    sig = Signatures()
    a, b = _by_path(old), _by_path(new)

    def signature(cs: list[Context], depth: int = DEPTH) -> frozenset[int]:
        return frozenset(sig.of(c.element.body, depth) for c in cs)

    start_differs = sig.of(old.start, 1) != sig.of(new.start, 1)
    changed = [p for p in sorted(set(a) | set(b), key=lambda p: (p.count("/"), p))
               if p not in a or p not in b or signature(a[p]) != signature(b[p])
               or (start_differs and p.count("/") == 1)]
    searched = [p for p in changed if p not in a or p not in b or signature(a[p], 0) != signature(b[p], 0)
                or (start_differs and p.count("/") == 1)]
    facing = {("old", p): signature(b[p]) for p in searched if p in b}
    facing.update({("new", p): signature(a[p]) for p in searched if p in a})
    return Comparison(a, b, changed, searched, facing)
