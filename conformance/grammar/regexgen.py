"""Strings matching an XML Schema regular expression (the subset schemas use).

XSD patterns are implicitly anchored and have no backreferences or lookaround,
so a tiny parser into an AST plus a chooser-driven generator is enough. It is
driven by the same chooser as the grammar walker, so Hypothesis shrinks the
strings (shorter, earlier alternatives) and the seeded generator is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

#: characters drawn for negated classes and '.': XML-safe, printable ASCII.
SAFE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F))


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...


@dataclass(frozen=True)
class CharSet:
    chars: str  # the characters to draw from, in a stable order


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    item: Node
    lo: int
    hi: int | None


Node = CharSet | Seq | Alt | Repeat

_CLASS_ESCAPES = {
    "d": "0123456789",
    "w": "".join(c for c in SAFE_CHARS if c.isalnum() or c == "_"),
    "s": " \t\n\r",
    "i": "".join(c for c in SAFE_CHARS if c.isalpha() or c in "_:"),
    "c": "".join(c for c in SAFE_CHARS if c.isalnum() or c in "_:.-"),
}
_SINGLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class RegexError(ValueError):
    """A pattern outside the supported subset."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def peek(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def take(self) -> str:
        c = self.s[self.i]
        self.i += 1
        return c

    def parse(self) -> Node:
        node = self.alt()
        if self.i != len(self.s):
            raise RegexError(f"unexpected {self.s[self.i]!r} in pattern {self.s!r}")
        return node

    def alt(self) -> Node:
        options = [self.seq()]
        while self.peek() == "|":
            self.take()
            options.append(self.seq())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def seq(self) -> Node:
        items: list[Node] = []
        while self.peek() not in (None, "|", ")"):
            items.append(self.quantified())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def quantified(self) -> Node:
        atom = self.atom()
        c = self.peek()
        if c == "?":
            self.take()
            return Repeat(atom, 0, 1)
        if c == "*":
            self.take()
            return Repeat(atom, 0, None)
        if c == "+":
            self.take()
            return Repeat(atom, 1, None)
        if c == "{":
            self.take()
            end = self.s.index("}", self.i)
            body = self.s[self.i:end]
            self.i = end + 1
            if "," in body:
                lo_s, hi_s = body.split(",", 1)
                return Repeat(atom, int(lo_s), int(hi_s) if hi_s else None)
            return Repeat(atom, int(body), int(body))
        return atom

    def atom(self) -> Node:
        c = self.take()
        if c == "(":
            node = self.alt()
            if self.peek() != ")":
                raise RegexError(f"unbalanced parenthesis in {self.s!r}")
            self.take()
            return node
        if c == "[":
            return CharSet(self.char_class())
        if c == ".":
            return CharSet(SAFE_CHARS)
        if c == "\\":
            return CharSet(self.escape())
        return CharSet(c)

    def escape(self) -> str:
        c = self.take()
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c.upper() in _CLASS_ESCAPES and c.isupper():
            excluded = set(_CLASS_ESCAPES[c.lower()])
            return "".join(ch for ch in SAFE_CHARS if ch not in excluded)
        return _SINGLE_ESCAPES.get(c, c)

    def char_class(self) -> str:
        negated = self.peek() == "^"
        if negated:
            self.take()
        chars: list[str] = []
        first = True
        while True:
            c = self.peek()
            if c is None:
                raise RegexError(f"unterminated character class in {self.s!r}")
            if c == "]" and not first:
                self.take()
                break
            first = False
            self.take()
            if c == "\\":
                part = self.escape()
                if len(part) > 1:
                    chars.extend(part)
                    continue
                lo = part
            else:
                lo = c
            if self.peek() == "-" and self.i + 1 < len(self.s) and self.s[self.i + 1] != "]":
                self.take()
                hi = self.take()
                if hi == "\\":
                    hi = self.escape()
                chars.extend(chr(x) for x in range(ord(lo), ord(hi) + 1))
            else:
                chars.append(lo)
        if negated:
            excluded = set(chars)
            return "".join(ch for ch in SAFE_CHARS if ch not in excluded)
        seen: dict[str, None] = dict.fromkeys(chars)
        return "".join(seen)


@lru_cache(maxsize=512)
def parse(pattern: str) -> Node:
    """The AST of an XSD pattern (cached: schemas reuse a few dozen patterns)."""
    return _Parser(pattern).parse()


def generate(node: Node, ch: Chooser, max_repeat: int = 8) -> str:
    """A string the pattern matches; unbounded repeats draw at most ``max_repeat``."""
    out: list[str] = []
    _gen(node, ch, max_repeat, out)
    return "".join(out)


def _gen(node: Node, ch: Chooser, max_repeat: int, out: list[str]) -> None:
    if isinstance(node, CharSet):
        out.append(node.chars[ch.integer(0, len(node.chars) - 1)])
    elif isinstance(node, Seq):
        for item in node.items:
            _gen(item, ch, max_repeat, out)
    elif isinstance(node, Alt):
        _gen(node.options[ch.integer(0, len(node.options) - 1)], ch, max_repeat, out)
    else:
        hi = node.hi if node.hi is not None else node.lo + max_repeat
        for _ in range(ch.integer(node.lo, max(node.lo, hi))):
            _gen(node.item, ch, max_repeat, out)


def matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches the XSD pattern (Python re agrees on this subset)."""
    import re
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True


def variants(node: Node, limit: int = 160) -> list[str]:
    """Strings of the pattern that differ from the smallest one in one decision each.

    The smallest string takes the first character of each class, the first
    alternative and the fewest repeats; each variant changes one of those: every
    character of every class, every alternative, every repeat count at its bounds.
    A pattern that changed between two grammars (a character added to a class, a
    bound raised, an alternative added) rejects one of these strings.
    """
    decisions: list[dict[int, int]] = []  # each: the decisions that deviate from the smallest

    def collect(n: Node, context: dict[int, int]) -> None:
        """``context``: the decisions that make ``n`` appear at all (enclosing repeats, options)."""
        if isinstance(n, CharSet):
            decisions.extend({**context, id(n): k} for k in range(1, len(n.chars)))
        elif isinstance(n, Seq):
            for i in n.items:
                collect(i, context)
        elif isinstance(n, Alt):
            decisions.extend({**context, id(n): k} for k in range(1, len(n.options)))
            for k, o in enumerate(n.options):
                collect(o, {**context, id(n): k} if k else context)
        else:
            top = n.hi if n.hi is not None else n.lo + 8
            decisions.extend({**context, id(n): k} for k in sorted({n.lo + 1, top}) if n.lo < k <= top)
            collect(n.item, {**context, id(n): max(n.lo, 1)} if n.lo == 0 else context)

    collect(node, {})
    out: dict[str, None] = {}
    for change in [{}] + decisions:
        if len(out) >= limit:
            break
        buf: list[str] = []
        _fixed(node, change, buf)
        out["".join(buf)] = None
    return list(out)


def _fixed(node: Node, choices: dict[int, int], out: list[str]) -> None:
    """The string of ``node`` with the given decisions, the smallest elsewhere."""
    k = choices.get(id(node))
    if isinstance(node, CharSet):
        out.append(node.chars[k or 0])
    elif isinstance(node, Seq):
        for item in node.items:
            _fixed(item, choices, out)
    elif isinstance(node, Alt):
        _fixed(node.options[k or 0], choices, out)
    else:
        for _ in range(k if k is not None else node.lo):
            _fixed(node.item, choices, out)
