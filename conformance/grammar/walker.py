"""Generate XML instances by walking a RELAX NG pattern tree (conformance/rng.py).

Every decision goes through a *chooser*: a seeded ``random.Random`` wrapper for
the fast, reproducible ``generate`` command, or a Hypothesis ``draw`` wrapper
for strategies (strategies.py). Decisions are phrased so that the smallest
answer (0 / False) is the smallest document: optional items absent, repeats at
their minimum, the first alternative - which is what Hypothesis shrinks toward.

Hooks keyed by define name replace the generated value of that define, so
callers can supply sane names, UUIDs or memory sizes without touching the
grammar; ``weights`` bias choices of a define towards some alternatives.
"""
from __future__ import annotations

import math
import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from . import regexgen
from .rng import (
    AnyName,
    Attribute,
    Choice,
    Data,
    Element,
    Empty,
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
    children,
)


class Chooser(Protocol):
    """The source of every decision; smaller answers mean smaller documents."""

    def integer(self, lo: int, hi: int) -> int: ...
    def boolean(self, p: float = 0.5) -> bool: ...


class RandomChooser:
    """Decisions from a seeded random.Random: reproducible across runs and platforms."""

    def __init__(self, seed: int | random.Random) -> None:
        self.r = seed if isinstance(seed, random.Random) else random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        # randint(lo, hi) is lo + _randbelow(hi - lo + 1) after two layers of argument
        # checks: the same draws, a sixth of the generator's time saved
        return lo + self.r._randbelow(hi - lo + 1) if hi > lo else lo

    def boolean(self, p: float = 0.5) -> bool:
        return self.r.random() < p


class Unsatisfiable(Exception):
    """The walker met a pattern it cannot produce an instance of (notAllowed, empty except)."""


#: xsd integer types: (min, max)
INT_RANGES: dict[str, tuple[int, int]] = {
    "byte": (-128, 127), "short": (-32768, 32767), "int": (-2**31, 2**31 - 1),
    "long": (-2**63, 2**63 - 1), "integer": (-2**63, 2**63 - 1),
    "unsignedByte": (0, 255), "unsignedShort": (0, 65535), "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1), "nonNegativeInteger": (0, 2**63 - 1),
    "positiveInteger": (1, 2**63 - 1), "negativeInteger": (-2**63, -1),
    "nonPositiveInteger": (-2**63, 0),
}
_TEXT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. "
#: other xsd types: a regular expression whose strings are all valid values
_TYPE_REGEX: dict[str, str] = {
    "date": "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
    "time": "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    "dateTime": "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z?",
    "duration": "P[1-9][0-9]?(D|Y|M)",
    "gYear": "(19|20)[0-9]{2}", "hexBinary": "([0-9a-f]{2}){0,6}", "base64Binary": "([A-Za-z0-9]{4}){0,3}",
    "anyURI": "(http://example\\.org/)?[a-z]{1,8}", "language": "[a-z]{2}(-[A-Z]{2})?",
    "QName": "[a-zA-Z_][a-zA-Z0-9_.-]{0,8}", "NMTOKENS": "[a-zA-Z0-9_.-]{1,6}( [a-zA-Z0-9_.-]{1,6}){0,2}",
    "IDREFS": "[a-zA-Z_][a-zA-Z0-9_.-]{0,6}( [a-zA-Z_][a-zA-Z0-9_.-]{0,6}){0,2}",
}


@dataclass
class Content:
    """What a pattern contributed to the element being built."""

    attrs: dict[str, str] = field(default_factory=dict)
    items: list[str | etree._Element] = field(default_factory=list)

    def merge(self, other: Content) -> None:
        self.attrs.update(other.attrs)
        self.items.extend(other.items)

    def text(self) -> str:
        """The strings only (an attribute value, a list item)."""
        return "".join(i for i in self.items if isinstance(i, str))

    def build(self, tag: str) -> etree._Element:
        """An element named ``tag`` with these attributes, text and children."""
        el = etree.Element(tag)
        for k, v in self.attrs.items():
            el.set(k, v)
        last: etree._Element | None = None
        for item in self.items:
            if isinstance(item, str):
                if last is None:
                    el.text = (el.text or "") + item
                else:
                    last.tail = (last.tail or "") + item
            else:
                el.append(item)
                last = item
        return el


Hook = Callable[["Walker"], str]

_COSTS: weakref.WeakKeyDictionary[Pattern, dict[int, float]] = weakref.WeakKeyDictionary()


def min_costs(start: Pattern) -> dict[int, float]:
    """Fewest elements each pattern reachable from ``start`` can produce (by ``id``; inf: none).

    Recursive grammars terminate only through the cheaper alternatives, so a walk
    that is deep enough takes those (fixpoint over the pattern graph)."""
    known = _COSTS.get(start)
    if known is not None:
        return known
    nodes: list[Pattern] = []
    seen: set[int] = set()
    stack = [start]
    while stack:
        q = stack.pop()
        if id(q) in seen:
            continue
        seen.add(id(q))
        nodes.append(q)
        stack.extend(children(q))
    cost: dict[int, float] = {id(q): math.inf for q in nodes}

    def of(q: Pattern) -> float:
        if isinstance(q, Element):
            return 1 + cost[id(q.body)]
        if isinstance(q, Group | Interleave):
            return sum(cost[id(i)] for i in q.items)
        if isinstance(q, Choice):
            return min(cost[id(i)] for i in q.items)
        if isinstance(q, Optional | ZeroOrMore):
            return 0
        if isinstance(q, OneOrMore | ListP):
            return cost[id(q.item)]
        if isinstance(q, Attribute):
            return cost[id(q.body)]
        if isinstance(q, Ref):
            return cost[id(q.resolve())]
        if isinstance(q, NotAllowed):
            return math.inf
        return 0

    changed = True
    while changed:
        changed = False
        for q in nodes:
            c = of(q)
            if c < cost[id(q)]:
                cost[id(q)] = c
                changed = True
    _COSTS[start] = cost
    return cost


class Walker:
    """One instance generator; ``walk(pattern)`` returns an lxml element."""

    def __init__(self, chooser: Chooser, *, hooks: dict[str, Hook] | None = None,
                 weights: dict[str, list[float]] | None = None, max_repeat: int = 3,
                 p_optional: float = 0.5, repeat_overrides: dict[str, int] | None = None,
                 text_chars: str = _TEXT_CHARS, p_element: dict[str, float] | None = None,
                 max_depth: int = 24, max_elements: int = 600) -> None:
        self.ch = chooser
        self.hooks = hooks or {}
        self.weights = weights or {}
        self.max_repeat = max_repeat
        self.p_optional = p_optional
        self.repeat_overrides = repeat_overrides or {}
        self.text_chars = text_chars
        self.p_element = p_element or {}
        self._define: list[str] = []
        self.max_depth = max_depth  # past this depth or size: the smallest choices only
        self.max_elements = max_elements
        self._depth = 0
        self._count = 0
        self._costs: dict[int, float] = {}

    @property
    def frugal(self) -> bool:
        """Deep or big enough: every further decision takes the smallest document."""
        return self._depth >= self.max_depth or self._count >= self.max_elements

    # -------------------------------------------------------------- entry
    def document(self, start: Pattern) -> etree._Element:
        self._costs = min_costs(start)
        self._depth = self._count = 0
        c = self.content(start)
        roots = [i for i in c.items if not isinstance(i, str)]
        if len(roots) != 1:
            raise Unsatisfiable("start pattern did not produce exactly one element")
        return roots[0]

    # -------------------------------------------------------------- content
    def content(self, p: Pattern) -> Content:
        out = Content()
        self._content(p, out)
        return out

    def _content(self, p: Pattern, out: Content) -> None:
        if isinstance(p, Ref):
            hook = self.hooks.get(p.name)
            if hook is not None and not isinstance(p.resolve(), Element | Attribute):
                out.items.append(hook(self))
                return
            self._define.append(p.name)
            try:
                self._content(p.resolve(), out)
            finally:
                self._define.pop()
        elif isinstance(p, Element):
            out.items.append(self.element(p))
        elif isinstance(p, Attribute):
            name = self.name(p.name)
            out.attrs[name] = self.value(p.body)
        elif isinstance(p, Group):
            for item in p.items:
                self._content(item, out)
        elif isinstance(p, Interleave):
            parts = [self.content(item) for item in p.items]
            order = self.permutation(len(parts))
            for i in order:
                out.merge(parts[i])
        elif isinstance(p, Choice):
            self._content(p.items[self.pick(p.items)], out)
        elif isinstance(p, Optional):
            if self.present(p.item):
                self._content(p.item, out)
        elif isinstance(p, ZeroOrMore | OneOrMore):
            lo = 1 if isinstance(p, OneOrMore) else 0
            for _ in range(self.repeat(lo)):
                self._content(p.item, out)
        elif isinstance(p, Text):
            if self.ch.boolean(0.8):
                out.items.append(self.text())
        elif isinstance(p, Empty):
            pass
        elif isinstance(p, NotAllowed):
            raise Unsatisfiable("notAllowed")
        else:  # value, data, list: text content
            out.items.append(self.value(p))

    def element(self, p: Element) -> etree._Element:
        self._count += 1
        self._depth += 1
        try:
            c = self.content(p.body)
        finally:
            self._depth -= 1
        return c.build(self.name(p.name))

    # -------------------------------------------------------------- decisions
    def present(self, item: Pattern | None = None) -> bool:
        """Whether an optional item is there; ``p_element`` tunes it per element name."""
        if self.frugal:
            return False
        p = self.p_optional
        if self.p_element and item is not None:
            while isinstance(item, Ref):
                item = item.resolve()
            if isinstance(item, Element) and isinstance(item.name, Name):
                p = self.p_element.get(item.name.local, p)
        return self.ch.boolean(p)

    def repeat(self, lo: int) -> int:
        if self.frugal:
            return lo
        hi = self.max_repeat
        for name in reversed(self._define):
            if name in self.repeat_overrides:
                hi = self.repeat_overrides[name]
                break
        return self.ch.integer(lo, max(lo, hi))

    def pick(self, items: list[Pattern]) -> int:
        """Index of an alternative; NotAllowed ones are never picked."""
        allowed = [i for i, it in enumerate(items) if not isinstance(it, NotAllowed)]
        if not allowed:
            raise Unsatisfiable("choice of notAllowed only")
        if self.frugal and self._costs:
            return min(allowed, key=lambda i: self._costs.get(id(items[i]), 0))
        w = self.weights.get(self._define[-1]) if self._define else None
        if w is not None and len(w) == len(items) and isinstance(self.ch, RandomChooser):
            return self.ch.r.choices(range(len(items)), weights=w)[0]
        return allowed[self.ch.integer(0, len(allowed) - 1)]

    def permutation(self, n: int) -> list[int]:
        """A random order of n blocks; index 0 keeps the schema's order (shrinks there)."""
        order = list(range(n))
        if n > 1 and self.ch.boolean(0.5):
            for i in range(n - 1, 0, -1):
                j = self.ch.integer(0, i)
                order[i], order[j] = order[j], order[i]
        return order

    def name(self, nc: NameClass) -> str:
        if isinstance(nc, Name):
            return f"{{{nc.ns}}}{nc.local}" if nc.ns else nc.local
        if isinstance(nc, NameChoice):
            return self.name(nc.items[self.ch.integer(0, len(nc.items) - 1)])
        if isinstance(nc, AnyName | NsName):
            local = "x" + regexgen.generate(regexgen.parse("[a-z]{0,6}"), self.ch)
            ns = nc.ns if isinstance(nc, NsName) else ""
            return f"{{{ns}}}{local}" if ns else local
        raise Unsatisfiable(f"name class {nc!r}")

    def text(self, lo: int = 1, hi: int = 12) -> str:
        n = self.ch.integer(lo, hi)
        chars = self.text_chars
        return "".join(chars[self.ch.integer(0, len(chars) - 1)] for _ in range(n)).strip() or "x"

    # -------------------------------------------------------------- values
    def value(self, p: Pattern) -> str:
        """A string matching a data pattern (attribute value or text content)."""
        if isinstance(p, Ref):
            hook = self.hooks.get(p.name)
            if hook is not None:
                return hook(self)
            self._define.append(p.name)
            try:
                return self.value(p.resolve())
            finally:
                self._define.pop()
        if isinstance(p, Value):
            return p.value
        if isinstance(p, Data):
            return self.data(p)
        if isinstance(p, Text):
            return self.text()
        if isinstance(p, Empty):
            return ""
        if isinstance(p, Choice):
            return self.value(p.items[self.pick(p.items)])
        if isinstance(p, Group):
            return "".join(self.value(i) for i in p.items)
        if isinstance(p, ListP):
            c = self.content(p.item)
            return " ".join(i for i in c.items if isinstance(i, str))
        if isinstance(p, Optional):
            return self.value(p.item) if self.present() else ""
        if isinstance(p, ZeroOrMore | OneOrMore):
            lo = 1 if isinstance(p, OneOrMore) else 0
            return " ".join(self.value(p.item) for _ in range(self.repeat(lo)))
        raise Unsatisfiable(f"no value for {type(p).__name__}")

    def data(self, p: Data) -> str:
        from virtconform.engine import xsd
        for _ in range(50):
            s = self._data_once(p)
            if xsd.check(p.type, p.library, p.params, s) is not None:
                continue
            if p.except_ is None or not value_matches(p.except_, s):
                return s
        raise Unsatisfiable(f"could not satisfy the except clause of data type {p.type}")

    def _data_once(self, p: Data) -> str:
        params = dict(p.params)
        patterns = [v for k, v in p.params if k == "pattern"]
        t = p.type
        if t in INT_RANGES:
            lo, hi = INT_RANGES[t]
            lo = max(lo, int(params.get("minInclusive", lo)))
            hi = min(hi, int(params.get("maxInclusive", hi)))
            if "minExclusive" in params:
                lo = max(lo, int(params["minExclusive"]) + 1)
            if "maxExclusive" in params:
                hi = min(hi, int(params["maxExclusive"]) - 1)
            return str(self.integer_in(lo, hi))
        if t == "boolean":
            return ("false", "true", "0", "1")[self.ch.integer(0, 3)]
        if t in ("decimal", "double", "float"):
            return str(self.integer_in(-1000, 1000))
        if not patterns and t in _TYPE_REGEX:
            patterns = [_TYPE_REGEX[t]]
        if patterns:
            for _ in range(50):
                s = regexgen.generate(regexgen.parse(patterns[0]), self.ch)
                if all(regexgen.matches(x, s) for x in patterns[1:]) and _length_ok(s, params):
                    return s
            raise Unsatisfiable(f"patterns {patterns} cannot be satisfied together")
        lo_len = int(params.get("length", params.get("minLength", 1 if t in ("NCName", "Name", "NMTOKEN") else 0)))
        hi_len = int(params.get("length", params.get("maxLength", max(lo_len, 12))))
        if t in ("NCName", "Name", "NMTOKEN", "ID", "IDREF"):
            first = regexgen.generate(regexgen.parse("[a-zA-Z_]"), self.ch)
            rest = regexgen.generate(regexgen.parse(f"[a-zA-Z0-9_.-]{{{max(0, lo_len - 1)},{max(0, hi_len - 1)}}}"), self.ch)
            return first + rest
        s = self.text(lo_len, hi_len) if hi_len > 0 else ""
        if t == "token":
            s = " ".join(s.split())
        return s[:hi_len] if len(s) >= lo_len else s.ljust(lo_len, "x")

    def integer_in(self, lo: int, hi: int) -> int:
        """Small values mostly, the bounds sometimes (boundary bugs live there)."""
        if lo > hi:
            raise Unsatisfiable(f"empty integer range {lo}..{hi}")
        k = self.ch.integer(0, 9)
        if k == 9:
            return hi
        if k == 8:
            return lo
        base = max(lo, min(hi, 0))
        return min(hi, base + self.ch.integer(0, min(hi - base, 4096)))


def _length_ok(s: str, params: dict[str, str]) -> bool:
    if "length" in params and len(s) != int(params["length"]):
        return False
    if "minLength" in params and len(s) < int(params["minLength"]):
        return False
    return not ("maxLength" in params and len(s) > int(params["maxLength"]))


def value_matches(p: Pattern, s: str) -> bool:
    """Whether string ``s`` matches a data pattern (used for ``except`` clauses)."""
    if isinstance(p, Ref):
        return value_matches(p.resolve(), s)
    if isinstance(p, Value):
        return (" ".join(s.split()) == " ".join(p.value.split())) if p.type == "token" else s == p.value
    if isinstance(p, Choice):
        return any(value_matches(i, s) for i in p.items)
    if isinstance(p, Text):
        return True
    if isinstance(p, Data):
        if p.type in INT_RANGES:
            try:
                n = int(s.strip())
            except ValueError:
                return False
            lo, hi = INT_RANGES[p.type]
            params = dict(p.params)
            lo = max(lo, int(params.get("minInclusive", lo)))
            hi = min(hi, int(params.get("maxInclusive", hi)))
            if not lo <= n <= hi:
                return False
        ok = all(regexgen.matches(v, s) for k, v in p.params if k == "pattern") and _length_ok(s, dict(p.params))
        return ok and not (p.except_ is not None and value_matches(p.except_, s))
    return False
