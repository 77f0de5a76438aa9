"""RELAX NG validation by derivatives (James Clark's algorithm), for diagnostics.

libxml2 decides quickly whether a document is valid, but when it is not, its
messages blame the wrong place ("Expecting an element os, got nothing",
"Element interface failed to validate content"). Derivatives know, at every
start tag, attribute, text and end tag, exactly which pattern is left: so the
first event that leaves nothing (``NotAllowed``) is the innermost cause, and
the pattern just before it says what was expected there. After each error the
walk recovers (skip the element, ignore the attribute, accept the value) so
that one mistake gives one line.

Patterns are hash-consed, so equal patterns are one object and derivatives are
memoized per (pattern, event): validating many similar documents is cheap.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from . import rngtree as t
from . import xsd

EMPTY, NOT_ALLOWED, TEXT, CHOICE, GROUP, INTERLEAVE, ONE_OR_MORE, AFTER, ATTRIBUTE, ELEMENT, \
    DATA, VALUE, LIST, MARKER = range(14)


class P:
    """One pattern of the derivative algebra; equal patterns are the same object."""

    __slots__ = ("kind", "a", "b", "id", "nullable", "src")

    def __init__(self, kind: int, a: object, b: object, id_: int, nullable: bool) -> None:
        self.kind = kind
        self.a = a
        self.b = b
        self.id = id_
        self.nullable = nullable
        self.src: t.Element | None = None  # ELEMENT: the grammar's element pattern


QName = tuple[str, str]  # (namespace, local name)

#: errors of a child that an attribute of its parent may explain (a bad value explains itself)
_STRUCTURAL = ("element", "attribute", "missing-attribute", "missing-content")


def contains(nc: t.NameClass, ns: str, local: str) -> bool:
    """Whether the name class matches the name."""
    if isinstance(nc, t.Name):
        return nc.local == local and nc.ns == ns
    if isinstance(nc, t.AnyName):
        return nc.except_ is None or not contains(nc.except_, ns, local)
    if isinstance(nc, t.NsName):
        return nc.ns == ns and (nc.except_ is None or not contains(nc.except_, ns, local))
    return any(contains(i, ns, local) for i in nc.items)


def _qnames(nc: t.NameClass) -> list[tuple[str, str]]:
    """(namespace, local name) of each plain name in a name class."""
    if isinstance(nc, t.Name):
        return [(nc.ns, nc.local)]
    if isinstance(nc, t.NameChoice):
        return [q for i in nc.items for q in _qnames(i)]
    return []


def names(nc: t.NameClass) -> list[str]:
    """Printable names of a name class (``*`` for wildcards)."""
    if isinstance(nc, t.Name):
        return [nc.local]
    if isinstance(nc, t.NameChoice):
        return [n for i in nc.items for n in names(i)]
    return ["*"]


class Algebra:
    """The patterns of one grammar and the memoized derivatives over them."""

    MAX_CACHE = 400_000

    def __init__(self, grammar: t.Grammar) -> None:
        self._interned: dict[tuple, P] = {}
        self._converted: dict[int, P] = {}
        self._converting: set[int] = set()
        self.empty = self._mk(EMPTY, None, None, ("e",), True)
        self.not_allowed = self._mk(NOT_ALLOWED, None, None, ("n",), False)
        self.text = self._mk(TEXT, None, None, ("t",), True)
        self._stod: dict[tuple, P] = {}
        self._att: dict[tuple, P] = {}
        self._stcd: dict[int, P] = {}
        self._text: dict[tuple, P] = {}
        self._end: dict[int, P] = {}
        self._front: dict[tuple[int, tuple[int, ...]], list[P]] = {}
        self._alphabet: dict[int, set[str]] = {}
        self.skips: dict[tuple[int, str], P] = {}  # Diagnoser._skip, per grammar
        self.clean: dict[tuple, P] = {}  # subtrees without errors: what follows them
        self.skips_to: dict[tuple[int, str, str], tuple[list[str], P] | None] = {}
        self.expected: dict[int, list[str]] = {}
        self._abstract: dict[int, tuple[P, tuple[P, ...]]] = {}
        self._opening: dict[tuple[int, str], tuple[P, tuple[P, ...]] | None] = {}
        self._misses = 0  # derivative cache misses since the last size check
        self.start = self.convert(grammar.start)

    # ------------------------------------------------------------ construction
    def _mk(self, kind: int, a: object, b: object, key: tuple, nullable: bool) -> P:
        p = self._interned.get(key)
        if p is None:
            p = P(kind, a, b, len(self._interned), nullable)
            self._interned[key] = p
        return p

    def choice(self, x: P, y: P) -> P:
        if x.kind == NOT_ALLOWED or x is y:
            return y
        if y.kind == NOT_ALLOWED:
            return x
        members = (x.a if x.kind == CHOICE else frozenset((x,))) | \
                  (y.a if y.kind == CHOICE else frozenset((y,)))
        if len(members) == 1:
            return next(iter(members))
        key = ("c", frozenset(m.id for m in members))
        return self._mk(CHOICE, members, None, key, any(m.nullable for m in members))

    def choices(self, items: Iterable[P]) -> P:
        out = self.not_allowed
        for i in items:
            out = self.choice(out, i)
        return out

    def group(self, x: P, y: P) -> P:
        if x.kind == NOT_ALLOWED or y.kind == NOT_ALLOWED:
            return self.not_allowed
        if x.kind == EMPTY:
            return y
        if y.kind == EMPTY:
            return x
        return self._mk(GROUP, x, y, ("g", x.id, y.id), x.nullable and y.nullable)

    def interleave(self, x: P, y: P) -> P:
        if x.kind == NOT_ALLOWED or y.kind == NOT_ALLOWED:
            return self.not_allowed
        if x.kind == EMPTY:
            return y
        if y.kind == EMPTY:
            return x
        if x.id > y.id:
            x, y = y, x
        return self._mk(INTERLEAVE, x, y, ("i", x.id, y.id), x.nullable and y.nullable)

    def after(self, x: P, y: P) -> P:
        if x.kind == NOT_ALLOWED or y.kind == NOT_ALLOWED:
            return self.not_allowed
        return self._mk(AFTER, x, y, ("a", x.id, y.id), False)

    def one_or_more(self, x: P) -> P:
        if x.kind in (NOT_ALLOWED, EMPTY):
            return x
        return self._mk(ONE_OR_MORE, x, None, ("o", x.id), x.nullable)

    def attribute(self, nc: t.NameClass, body: P) -> P:
        return self._mk(ATTRIBUTE, nc, body, ("@", nc, body.id), False)

    def convert(self, p: t.Pattern) -> P:
        """The algebra's pattern for a grammar pattern (elements' bodies converted lazily)."""
        done = self._converted.get(id(p))
        if done is not None:
            return done
        if id(p) in self._converting:
            raise t.GrammarError("recursive reference outside an element")
        self._converting.add(id(p))
        try:
            out = self._convert(p)
        finally:
            self._converting.discard(id(p))
        self._converted[id(p)] = out
        return out

    def _convert(self, p: t.Pattern) -> P:
        c = self.convert
        if isinstance(p, t.Ref):
            return c(p.resolve())
        if isinstance(p, t.Element):
            e = self._mk(ELEMENT, p.name, None, ("E", id(p)), False)
            e.src = p
            return e
        if isinstance(p, t.Attribute):
            return self.attribute(p.name, c(p.body))
        if isinstance(p, t.Group):
            out = self.empty
            for i in p.items:
                out = self.group(out, c(i))
            return out
        if isinstance(p, t.Interleave):
            out = self.empty
            for i in p.items:
                out = self.interleave(out, c(i))
            return out
        if isinstance(p, t.Choice):
            return self.choices(c(i) for i in p.items)
        if isinstance(p, t.Optional):
            return self.choice(c(p.item), self.empty)
        if isinstance(p, t.ZeroOrMore):
            return self.choice(self.one_or_more(c(p.item)), self.empty)
        if isinstance(p, t.OneOrMore):
            return self.one_or_more(c(p.item))
        if isinstance(p, t.ListP):
            body = c(p.item)
            return self._mk(LIST, body, None, ("l", body.id), False)
        if isinstance(p, t.Text):
            return self.text
        if isinstance(p, t.Empty):
            return self.empty
        if isinstance(p, t.NotAllowed):
            return self.not_allowed
        if isinstance(p, t.Value):
            key = (p.type, p.library, p.value)
            return self._mk(VALUE, key, None, ("v",) + key, False)
        if isinstance(p, t.Data):
            exc = c(p.except_) if p.except_ is not None else None
            key = (p.type, p.library, tuple(p.params))
            return self._mk(DATA, key, exc, ("d", key, exc.id if exc else -1), False)
        raise t.GrammarError(f"cannot validate with {type(p).__name__}")

    # ------------------------------------------------------------ what follows, set aside
    def marker(self, j: int) -> P:
        """The ``j``-th stand-in for what follows an element (never inspected, never nullable)."""
        return self._mk(MARKER, j, None, ("m", j), False)

    def abstract(self, opened: P) -> tuple[P, tuple[P, ...]]:
        """``opened`` (a start tag's derivative: AFTERs of content and what follows) with what
        follows replaced by markers, and the replaced patterns by marker number.

        Deriving an element's attributes and content never looks at what follows it, so
        one walk of a subtree serves every context that opens it with the same content:
        its siblings' states, other documents, the trials that move its siblings around."""
        got = self._abstract.get(opened.id)
        if got is None:
            members = sorted(opened.a if opened.kind == CHOICE else (opened,),  # type: ignore[arg-type]
                             key=lambda m: (m.a.id, m.b.id))  # type: ignore[union-attr]
            follows: list[P] = []
            number: dict[int, int] = {}
            for m in members:
                if m.b.id not in number:  # type: ignore[union-attr]
                    number[m.b.id] = len(follows)  # type: ignore[union-attr]
                    follows.append(m.b)  # type: ignore[arg-type]
            q = self.choices(self.after(m.a, self.marker(number[m.b.id])) for m in members)  # type: ignore[arg-type,union-attr]
            got = self._abstract[opened.id] = (q, tuple(follows))
        return got

    def opening(self, p: P, tag: str) -> tuple[P, tuple[P, ...]] | None:
        """``p`` after the start tag of an element named ``tag`` (Clark notation), abstracted
        (see ``abstract``); None when ``p`` does not allow it there."""
        key = (p.id, tag)
        got = self._opening.get(key, False)
        if got is False:
            ns, local = _qname(tag)
            p1 = self.start_tag_open(p, ns, local)
            got = self._opening[key] = None if p1.kind == NOT_ALLOWED else self.abstract(p1)
        return got  # type: ignore[return-value]

    def concrete(self, end: P, follows: tuple[P, ...]) -> P:
        """``end`` (markers, a choice of them, or NOT_ALLOWED) with the markers put back."""
        if end.kind == MARKER:
            return follows[end.a]  # type: ignore[index]
        if end.kind == CHOICE:
            return self.choices(follows[m.a] for m in end.a)  # type: ignore[union-attr,index]
        return end

    def content(self, e: P) -> P:
        """The body of an ELEMENT pattern."""
        if e.b is None:
            assert e.src is not None
            e.b = self.convert(e.src.body)
        return e.b  # type: ignore[return-value]

    # ------------------------------------------------------------ derivatives
    def _apply_after(self, f: Callable[[P], P], p: P) -> P:
        if p.kind == AFTER:
            return self.after(p.a, f(p.b))  # type: ignore[arg-type]
        if p.kind == CHOICE:
            return self.choices(self._apply_after(f, m) for m in p.a)  # type: ignore[union-attr]
        return self.not_allowed

    def _trim(self) -> None:
        """Called on every cache miss; now and then, empty the value-keyed caches when they
        have grown past MAX_CACHE (patterns stay interned: their ids stay valid)."""
        self._misses += 1
        if self._misses < 4096:
            return
        self._misses = 0
        if len(self._stod) + len(self._att) + len(self._text) + len(self._opening) > self.MAX_CACHE:
            self._stod.clear()
            self._att.clear()
            self._text.clear()
            self._opening.clear()

    def start_tag_open(self, p: P, ns: str, local: str) -> P:
        key = (p.id, ns, local)
        r = self._stod.get(key)
        if r is None:
            self._trim()
            r = self._stod[key] = self._start_tag_open(p, ns, local)
        return r

    def _start_tag_open(self, p: P, ns: str, local: str) -> P:
        k = p.kind
        s = self.start_tag_open
        if k == CHOICE:
            return self.choices(s(m, ns, local) for m in p.a)  # type: ignore[union-attr]
        if k == ELEMENT:
            if contains(p.a, ns, local):  # type: ignore[arg-type]
                return self.after(self.content(p), self.empty)
            return self.not_allowed
        a, b = p.a, p.b
        if k == INTERLEAVE:
            return self.choice(self._apply_after(lambda x: self.interleave(x, b), s(a, ns, local)),
                               self._apply_after(lambda x: self.interleave(a, x), s(b, ns, local)))
        if k == ONE_OR_MORE:
            rest = self.choice(p, self.empty)
            return self._apply_after(lambda x: self.group(x, rest), s(a, ns, local))
        if k == GROUP:
            x = self._apply_after(lambda x: self.group(x, b), s(a, ns, local))
            return self.choice(x, s(b, ns, local)) if a.nullable else x
        if k == AFTER:
            return self._apply_after(lambda x: self.after(x, b), s(a, ns, local))
        return self.not_allowed

    def attribute_deriv(self, p: P, ns: str, local: str, value: str | None) -> P:
        """Derivative by an attribute; ``value=None`` accepts any value (recovery)."""
        key = (p.id, ns, local, value)
        r = self._att.get(key)
        if r is None:
            self._trim()
            r = self._att[key] = self._attribute_deriv(p, ns, local, value)
        return r

    def _attribute_deriv(self, p: P, ns: str, local: str, value: str | None) -> P:
        k = p.kind
        d = self.attribute_deriv
        if k == CHOICE:
            return self.choices(d(m, ns, local, value) for m in p.a)  # type: ignore[union-attr]
        a, b = p.a, p.b
        if k == AFTER:
            return self.after(d(a, ns, local, value), b)
        if k == GROUP:
            return self.choice(self.group(d(a, ns, local, value), b), self.group(a, d(b, ns, local, value)))
        if k == INTERLEAVE:
            return self.choice(self.interleave(d(a, ns, local, value), b),
                               self.interleave(a, d(b, ns, local, value)))
        if k == ONE_OR_MORE:
            return self.group(d(a, ns, local, value), self.choice(p, self.empty))
        if k == ATTRIBUTE:
            if contains(a, ns, local) and (value is None or self.value_matches(b, value)):  # type: ignore[arg-type]
                return self.empty
        return self.not_allowed

    def start_tag_close(self, p: P) -> P:
        r = self._stcd.get(p.id)
        if r is None:
            r = self._stcd[p.id] = self._start_tag_close(p)
        return r

    def _start_tag_close(self, p: P) -> P:
        k = p.kind
        c = self.start_tag_close
        if k == CHOICE:
            return self.choices(c(m) for m in p.a)  # type: ignore[union-attr]
        if k == AFTER:
            return self.after(c(p.a), p.b)  # type: ignore[arg-type]
        if k == GROUP:
            return self.group(c(p.a), c(p.b))  # type: ignore[arg-type]
        if k == INTERLEAVE:
            return self.interleave(c(p.a), c(p.b))  # type: ignore[arg-type]
        if k == ONE_OR_MORE:
            return self.one_or_more(c(p.a))  # type: ignore[arg-type]
        if k == ATTRIBUTE:
            return self.not_allowed
        return p

    def drop_attributes(self, p: P) -> P:
        """``p`` with every attribute still required made optional (recovery)."""
        k = p.kind
        d = self.drop_attributes
        if k == CHOICE:
            return self.choices(d(m) for m in p.a)  # type: ignore[union-attr]
        if k == AFTER:
            return self.after(d(p.a), p.b)  # type: ignore[arg-type]
        if k == GROUP:
            return self.group(d(p.a), d(p.b))  # type: ignore[arg-type]
        if k == INTERLEAVE:
            return self.interleave(d(p.a), d(p.b))  # type: ignore[arg-type]
        if k == ONE_OR_MORE:
            return self.one_or_more(d(p.a))  # type: ignore[arg-type]
        if k == ATTRIBUTE:
            return self.empty
        return p

    def text_deriv(self, p: P, s: str | None) -> P:
        """Derivative by a text node; ``s=None`` is any valid text (recovery)."""
        key = (p.id, s)
        r = self._text.get(key)
        if r is None:
            self._trim()
            r = self._text[key] = self._text_deriv(p, s)
        return r

    def _text_deriv(self, p: P, s: str | None) -> P:
        k = p.kind
        d = self.text_deriv
        if k == CHOICE:
            return self.choices(d(m, s) for m in p.a)  # type: ignore[union-attr]
        a, b = p.a, p.b
        if k == INTERLEAVE:
            return self.choice(self.interleave(d(a, s), b), self.interleave(a, d(b, s)))
        if k == GROUP:
            x = self.group(d(a, s), b)
            return self.choice(x, d(b, s)) if a.nullable else x
        if k == AFTER:
            return self.after(d(a, s), b)
        if k == ONE_OR_MORE:
            return self.group(d(a, s), self.choice(p, self.empty))
        if k == TEXT:
            return p
        if k in (VALUE, DATA, LIST):
            return self.empty if s is None or self.leaf_matches(p, s) else self.not_allowed
        return self.not_allowed

    def end_tag(self, p: P) -> P:
        r = self._end.get(p.id)
        if r is None:
            r = self._end[p.id] = self._end_tag(p)
        return r

    def _end_tag(self, p: P) -> P:
        if p.kind == CHOICE:
            return self.choices(self.end_tag(m) for m in p.a)  # type: ignore[union-attr]
        if p.kind == AFTER:
            return p.b if p.a.nullable else self.not_allowed  # type: ignore[union-attr,return-value]
        return self.not_allowed

    def continuation(self, p: P) -> P:
        """What follows the current element, whatever its content (recovery)."""
        if p.kind == CHOICE:
            return self.choices(self.continuation(m) for m in p.a)  # type: ignore[union-attr]
        if p.kind == AFTER:
            return p.b  # type: ignore[return-value]
        return self.not_allowed

    # ------------------------------------------------------------ values
    def value_matches(self, p: P, s: str) -> bool:
        """Whether an attribute value ``s`` matches the pattern ``p`` (RELAX NG valueMatch)."""
        return (p.nullable and not s.strip()) or self.text_deriv(p, s).nullable

    def leaf_matches(self, p: P, s: str) -> bool:
        """Whether ``s`` is a value of a VALUE, DATA or LIST pattern."""
        if p.kind == VALUE:
            typ, lib, expected = p.a  # type: ignore[misc]
            return xsd.equal(typ, lib, expected, s)
        if p.kind == DATA:
            typ, lib, params = p.a  # type: ignore[misc]
            if xsd.check(typ, lib, list(params), s) is not None:
                return False
            return p.b is None or not self.value_matches(p.b, s)  # type: ignore[arg-type]
        q: P = p.a  # type: ignore[assignment]
        for word in s.split():
            q = self.text_deriv(q, word)
        return q.nullable

    # ------------------------------------------------------------ what is expected
    def front(self, p: P, kinds: tuple[int, ...]) -> list[P]:
        """Patterns of the given kinds that the next event could match (not past an element)."""
        key = (p.id, kinds)
        got = self._front.get(key)
        if got is None:
            got = self._front[key] = self._front_of(p, kinds)
        return got

    def _front_of(self, p: P, kinds: tuple[int, ...]) -> list[P]:
        out: dict[int, P] = {}
        seen: set[int] = set()

        def walk(q: P) -> None:
            if q.id in seen:
                return
            seen.add(q.id)
            k = q.kind
            if k in kinds:
                out[q.id] = q
            if k == CHOICE:
                for m in q.a:  # type: ignore[union-attr]
                    walk(m)
            elif k in (GROUP, INTERLEAVE):
                walk(q.a)  # type: ignore[arg-type]
                if k == INTERLEAVE or q.a.nullable or ATTRIBUTE in kinds:  # type: ignore[union-attr]
                    walk(q.b)  # type: ignore[arg-type]
            elif k in (ONE_OR_MORE, AFTER):
                walk(q.a)  # type: ignore[arg-type]
        walk(p)
        return list(out.values())

    def alphabet(self, p: P) -> set[str]:
        """Every element name anywhere in the content ``p`` (not inside child elements)."""
        got = self._alphabet.get(p.id)
        if got is None:
            got = self._alphabet[p.id] = self._alphabet_of(p)
        return got

    def _alphabet_of(self, p: P) -> set[str]:
        out: set[str] = set()
        seen: set[int] = set()
        stack = [p]
        while stack:
            q = stack.pop()
            if q.id in seen:
                continue
            seen.add(q.id)
            if q.kind == ELEMENT:
                out.update(names(q.a))  # type: ignore[arg-type]
            elif q.kind == CHOICE:
                stack.extend(q.a)  # type: ignore[arg-type]
            elif q.kind in (GROUP, INTERLEAVE):
                stack.extend((q.a, q.b))  # type: ignore[arg-type]
            elif q.kind in (ONE_OR_MORE, AFTER):
                stack.append(q.a)  # type: ignore[arg-type]
        return out


def _data_reason(p: P, s: str) -> str:
    """Why ``s`` fails a DATA/VALUE/LIST pattern, in words."""
    if p.kind == VALUE:
        return f"not {p.a[2]!r}"  # type: ignore[index]
    if p.kind == DATA:
        typ, lib, params = p.a  # type: ignore[misc]
        why = xsd.check(typ, lib, list(params), s)
        return why or f"an excluded value of {typ}"
    return "not a valid list"


@dataclass(frozen=True)
class Diagnostic:
    """One error: the element (and attribute) it is about, and the message."""

    element: etree._Element
    attribute: str | None
    message: str
    kind: str  # element, attribute, value, text, missing-attribute, missing-content
    names: tuple[str, ...] = ()  # element: its name; missing-content: the missing elements


def _qname(tag: str) -> QName:
    if tag[:1] == "{":
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return "", tag


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _blank(text: str) -> bool:
    """Whitespace only (or nothing): between elements it counts as nothing."""
    return not text or text.isspace()


_Items = tuple[list[etree._Element], list[str], bool]


def _listing(items: Iterable[str], limit: int = 16) -> str:
    uniq = sorted(set(items))
    if len(uniq) > limit:
        return ", ".join(uniq[:limit]) + ", ..."
    return ", ".join(uniq)


class _Failed(Exception):
    """A trial walk met an error: it cannot come out clean, so it ends there."""


class Diagnoser:
    """Walks a document with the derivatives; collects located, innermost errors."""

    def __init__(self, alg: Algebra) -> None:
        self.alg = alg
        self.out: list[Diagnostic] = []
        # in a trial (does the content come out clean if ...?) the first error ends the
        # walk: neither its message nor the rest of the content can change the answer
        self._trial = False
        # per run, keyed by element (which keeps lxml's proxy, and so its identity, alive):
        # the subtree's cache key, and its children split into elements and the texts between
        self._keys: dict[etree._Element, object] = {}
        self._items: dict[etree._Element, _Items] = {}

    def run(self, root: etree._Element) -> list[Diagnostic]:
        self.out = []
        self._keys = {}
        self._items = {}
        alg = self.alg
        after = self.element(alg.start, root, None, set())
        self._keys = {}
        self._items = {}
        if not after.nullable and not self.out:
            self.out.append(Diagnostic(root, None, "document is incomplete", "missing-content"))
        # an element that is missing in one place and unexpected in another was moved:
        # the unexpected one is the cause, the missing one its echo
        moved = {n for d in self.out if d.kind == "element" for n in d.names}
        return [d for d in self.out
                if not (d.kind == "missing-content" and d.names and set(d.names) <= moved)]

    def _error(self) -> None:
        """Called where an error is about to be recorded: in a trial, that is the answer."""
        if self._trial:
            raise _Failed

    def _expected_elements(self, p: P) -> list[str]:
        got = self.alg.expected.get(p.id)
        if got is None:
            got = self.alg.expected[p.id] = [n for e in self.alg.front(p, (ELEMENT,))
                                              for n in names(e.a)]  # type: ignore[arg-type]
        return got

    def element(self, p: P, el: etree._Element, parent: str | None, known: set[str],
                parent_el: etree._Element | None = None) -> P:
        """Derive ``p`` by the element ``el``; returns what may follow it.

        The element is walked with what follows it set aside (Algebra.abstract); a subtree
        that had no error from an opened content is remembered with the markers it ends
        in: documents repeat their disks and interfaces, batches repeat documents."""
        alg = self.alg
        tag = el.tag
        o = alg.opening(p, tag)
        if o is None:
            ns, local = _qname(tag)
            return self._refused(p, el, ns, local, parent, known, parent_el)
        opened, follows = o
        local = tag[tag.index("}") + 1:] if tag[:1] == "{" else tag
        if parent_el is None:  # a whole document: hardly ever seen twice, not worth its key
            return alg.concrete(self._opened(opened, el, local), follows)
        sub = self._keys.get(el)
        if sub is None:
            if len(el):
                sub = etree.tostring(el, with_tail=False)
            else:  # a leaf: its name, attributes and text say it all
                sub = (el.tag, tuple(el.items()), el.text)
            self._keys[el] = sub
        key = (opened.id, sub)
        got = alg.clean.get(key)
        if got is None:
            n_before = len(self.out)
            got = self._opened(opened, el, local)
            if len(self.out) == n_before:
                if len(alg.clean) > 50_000:
                    alg.clean.clear()
                alg.clean[key] = got
        return follows[got.a] if got.kind == MARKER else alg.concrete(got, follows)  # type: ignore[index]

    def _refused(self, p: P, el: etree._Element, ns: str, local: str, parent: str | None,
                 known: set[str], parent_el: etree._Element | None) -> P:
        """An element ``p`` does not allow: required ones missing before it, or out of place."""
        self._error()  # in a trial nothing was recorded before it, so it records one
        alg = self.alg
        p1 = alg.not_allowed
        if parent_el is not None and local in known:
            skipped = self._skip_to(p, ns, local)
            if skipped is not None:  # required elements are missing before this one
                missing, p = skipped
                if not any(d.kind == "element" and d.element.getparent() is parent_el for d in self.out):
                    self.out.append(Diagnostic(parent_el, None, self._lacks(parent, missing, local),
                                               "missing-content", tuple(missing)))
                p1 = alg.start_tag_open(p, ns, local)
        if p1.kind == NOT_ALLOWED:
            self.out.append(Diagnostic(el, None, self._unexpected(p, local, parent, known), "element",
                                       (local,)))
            return p
        opened, follows = alg.abstract(p1)
        return alg.concrete(self._opened(opened, el, local), follows)

    def _opened(self, p1: P, el: etree._Element, local: str) -> P:
        """Attributes, content and end tag of ``el`` after its start tag opened ``p1``."""
        alg = self.alg
        kids_known = alg.alphabet(p1)
        opened = p1
        p1 = self.attributes(p1, el, local)
        p3 = alg.start_tag_close(p1)
        if p3.kind == NOT_ALLOWED:
            self._missing_attributes_error(p1, el, local)
            p3 = alg.start_tag_close(alg.drop_attributes(p1))
            if p3.kind == NOT_ALLOWED:
                return alg.continuation(p1)
        n_before = len(self.out)
        end = self.content(p3, el, local, kids_known)
        errors = self.out[n_before:]
        # a child that only lacks an attribute is its own fault (adding it is the smaller fix
        # than another value of the parent's: <interface type='mcast'><source port='5'/>)
        if errors and errors[0].kind in _STRUCTURAL and errors[0].element.getparent() is el \
                and not all(d.kind == "missing-attribute" and d.element is errors[0].element for d in errors) \
                and not any(d.element is el for d in self.out[:n_before]):
            blamed = self._blame_attributes(opened, el, local, kids_known, errors[0])
            if blamed is not None:
                diagnostic, end = blamed
                self.out[n_before:] = [diagnostic]
        return end

    def attributes(self, p1: P, el: etree._Element, local: str, lenient: str | None = None,
                   silent: bool = False) -> P:
        """Derive by each attribute in turn; ``lenient`` names one whose value counts as right."""
        alg = self.alg
        for name, value in el.attrib.items():
            ans, alocal = _qname(name)
            p2 = alg.attribute_deriv(p1, ans, alocal, None if name == lenient else value)
            if p2.kind != NOT_ALLOWED:
                p1 = p2
                continue
            self._error()
            loose = alg.attribute_deriv(p1, ans, alocal, None)
            if silent:
                self.out.append(Diagnostic(el, name, "", "attribute"))
            elif loose.kind == NOT_ALLOWED:
                allowed = self._attribute_names(p1)
                msg = (f"attribute '{alocal}' is not allowed here in <{local}>"
                       if alocal in self._attribute_names_anywhere(p1) else
                       f"unknown attribute '{alocal}' of <{local}>")
                msg += f"; expected one of {_listing(allowed)}" if allowed else "; it takes no more attributes"
                self.out.append(Diagnostic(el, name, msg, "attribute"))
            else:
                self.out.append(Diagnostic(el, name, self._bad_value(p1, ans, alocal, value, local),
                                           "value"))
            if loose.kind != NOT_ALLOWED:
                p1 = loose
        return p1

    def _missing_attributes_error(self, p1: P, el: etree._Element, local: str) -> None:
        self._error()
        missing = self._missing_attributes(p1)
        what = (f"required attribute '{missing[0]}'" if len(missing) == 1
                else f"one of the attributes {_listing(missing)}" if missing else "required attributes")
        for i in range(len(self.out) - 1, -1, -1):
            d = self.out[i]
            if d.element is el and d.kind == "attribute":  # a misspelled name: say so on its line
                self.out[i] = Diagnostic(el, d.attribute, f"{d.message} (missing {what})", d.kind)
                return
        self.out.append(Diagnostic(el, None, f"<{local}> lacks {what}", "missing-attribute"))

    def content(self, p3: P, el: etree._Element, local: str, kids_known: set[str],
                skip: etree._Element | None = None) -> P:
        """Derive by the children and the end tag of ``el``."""
        alg = self.alg
        n_before = len(self.out)
        start = p3
        befores: dict[etree._Element, tuple[P, int]] = {}  # pattern and error count before each child
        p3 = self.children(p3, el, local, kids_known, skip, befores)
        end = alg.end_tag(p3)
        if end.kind == NOT_ALLOWED:
            if len(self.out) == n_before:
                self._error()
                missing = self._required_next(p3)
                msg = self._lacks(local, missing, None) if missing else self._missing_content(p3, local)
                self.out.append(Diagnostic(el, None, msg, "missing-content", tuple(missing)))
            end = alg.continuation(p3)
        failing = next((d.element for d in self.out[n_before:]
                        if d.kind == "element" and d.element.getparent() is el), None)
        if failing is not None and skip is None:
            found = self._misplaced(start, el, local, kids_known, failing, befores, n_before) \
                or self._sibling_lacks(start, el, local, kids_known, failing, befores, n_before)
            if found is not None:
                diagnostic, end = found
                self.out[n_before:] = [diagnostic]
        return end

    def _clean_without(self, start: P, el: etree._Element, local: str, kids_known: set[str],
                       skip: etree._Element | None = None) -> P | None:
        """What follows ``el``'s content if it has no error (``skip`` left out); else None."""
        saved = self._enter_trial()
        try:
            end = self.alg.end_tag(self.children(start, el, local, kids_known, skip))
            return end if end.kind != NOT_ALLOWED else None
        except _Failed:
            return None
        finally:
            self.out, self._trial = saved

    def _clean_from(self, start: P, el: etree._Element, local: str, kids_known: set[str],
                    c: etree._Element, befores: dict[etree._Element, tuple[P, int]], n_before: int,
                    skip: bool) -> P | None:
        """``_clean_without`` again after a change at child ``c`` (``skip``: ``c`` left out; else
        ``c`` changed in place), resumed from the pattern the first walk had before ``c``.

        The walk up to ``c`` is the first one's: an error there would recur (None), and
        without one its pattern is the one recorded. Leaving ``c`` out joins the texts
        around it, so that resumes only when both are blank (they count as nothing)."""
        if c not in befores:
            return self._clean_without(start, el, local, kids_known, c if skip else None)
        p, errors_before = befores[c]
        if errors_before > n_before:
            return None
        elements, texts, _ = self._split(el)
        k = elements.index(c)
        if skip and (len(elements) < 2 or not _blank(texts[k]) or not _blank(texts[k + 1])):
            return self._clean_without(start, el, local, kids_known, c)
        saved = self._enter_trial()
        try:
            if skip:  # the joined blank texts count as nothing; on from the next element
                p = self._walk(p, el, local, kids_known, elements, texts, k + 1, None, k + 2)
            else:
                p = self._walk(p, el, local, kids_known, elements, texts, k, None, k + 1)
            end = self.alg.end_tag(p)
            return end if end.kind != NOT_ALLOWED else None
        except _Failed:
            return None
        finally:
            self.out, self._trial = saved

    def _misplaced(self, start: P, el: etree._Element, local: str, kids_known: set[str],
                   failing: etree._Element, befores: dict[etree._Element, tuple[P, int]],
                   n_before: int) -> tuple[Diagnostic, P] | None:
        """An earlier child whose absence makes the content right is the misplaced one."""
        for c in el:
            if c is failing:
                return None
            if not isinstance(c.tag, str) or c.tag == failing.tag:
                continue  # of two equal elements the later one is reported
            end = self._clean_from(start, el, local, kids_known, c, befores, n_before, True)
            if end is not None:
                name = _local(c.tag)
                msg = (f"element '{name}' is out of place in <{local}>"
                       f" (after it, <{_local(failing.tag)}> on line {failing.sourceline} is not allowed)")
                return Diagnostic(c, None, msg, "element", (name,)), end
        return None

    def _sibling_lacks(self, start: P, el: etree._Element, local: str, kids_known: set[str],
                       failing: etree._Element, befores: dict[etree._Element, tuple[P, int]],
                       n_before: int) -> tuple[Diagnostic, P] | None:
        """An earlier element of the same name that lacks the attribute telling the two apart
        (``<source mode='bind'>`` then ``<source mode='connect'>``, the first without mode)."""
        alg = self.alg
        for c in el:
            if c is failing:
                return None
            if c.tag != failing.tag or c not in befores:
                continue
            ns, name = _qname(c.tag)
            opened = alg.start_tag_open(befores[c][0], ns, name)
            present = {_qname(a)[1] for a in c.attrib}
            for a in alg.front(opened, (ATTRIBUTE,)):
                for ans, aname in _qnames(a.a):  # type: ignore[arg-type]
                    if aname in present or ans:
                        continue
                    for v in sorted({q.a[2] for q in alg.front(a.b, (VALUE,))}):  # type: ignore[arg-type,index]
                        c.set(aname, v)
                        self._keys.pop(c, None)  # its cache key changes with it
                        try:
                            end = self._clean_from(start, el, local, kids_known, c, befores, n_before,
                                                   False)
                        finally:
                            del c.attrib[aname]
                            self._keys.pop(c, None)
                        if end is not None:
                            msg = (f"<{name}> lacks attribute '{aname}' (with {aname}='{v}' the"
                                   f" <{_local(failing.tag)}> on line {failing.sourceline} fits)")
                            return Diagnostic(c, None, msg, "missing-attribute"), end
        return None

    def _silently(self, opened: P, el: etree._Element, local: str, kids_known: set[str],
                  lenient: str | None, extra: str | None) -> tuple[int, P]:
        """Whether ``el`` has errors (1) or not (0) if one attribute had any value, or one more
        were present; and what follows it."""
        alg = self.alg
        saved = self._enter_trial()
        try:
            p1 = self.attributes(opened, el, local, lenient, silent=True)
            if extra is not None:
                p1 = alg.attribute_deriv(p1, "", extra, None)
            p3 = alg.start_tag_close(p1)
            if p3.kind == NOT_ALLOWED:
                return 1, alg.not_allowed
            return 0, self.content(p3, el, local, kids_known)
        except _Failed:
            return 1, alg.not_allowed
        finally:
            self.out, self._trial = saved

    def _enter_trial(self) -> tuple[list[Diagnostic], bool]:
        """Start a trial walk (fail-fast, its own error list); returns what to restore."""
        saved = self.out, self._trial
        self.out, self._trial = [], True
        return saved

    def _blame_attributes(self, opened: P, el: etree._Element, local: str, kids_known: set[str],
                          first: Diagnostic) -> tuple[Diagnostic, P] | None:
        """When the content fails because of an attribute of ``el`` (missing, or another value
        would fit), that attribute is the cause: one diagnostic on it instead of the content's."""
        alg = self.alg
        child = _local(first.element.tag)
        line = first.element.sourceline or 0
        present = {_qname(n)[1] for n in el.attrib}
        for name, value in el.attrib.items():
            count, end = self._silently(opened, el, local, kids_known, name, None)
            if count:
                continue
            ans, alocal = _qname(name)
            fits = [v.a[2] for a in alg.front(opened, (ATTRIBUTE,)) if contains(a.a, ans, alocal)  # type: ignore[arg-type,index]
                    for v in alg.front(a.b, (VALUE,))  # type: ignore[arg-type]
                    if v.a[2] != value and self._fits(opened, el, local, kids_known, name, v.a[2])]  # type: ignore[index]
            hint = f"; expected {_listing(fits)}" if fits else ""
            msg = (f"value {value!r} of {alocal} in <{local}> does not fit its content"
                   f" (<{child}> on line {line}){hint}")
            return Diagnostic(el, name, msg, "value"), end
        for name in sorted(self._attribute_names_anywhere(opened) - present - {"*"}):
            count, end = self._silently(opened, el, local, kids_known, None, name)
            if not count:
                msg = f"<{local}> lacks attribute '{name}' (its <{child}> on line {line} needs it)"
                return Diagnostic(el, None, msg, "missing-attribute"), end
        return None

    def _fits(self, opened: P, el: etree._Element, local: str, kids_known: set[str], name: str,
              value: str) -> bool:
        saved = el.get(name)
        el.set(name, value)
        try:
            return self._silently(opened, el, local, kids_known, None, None)[0] == 0
        finally:
            el.set(name, saved)  # type: ignore[arg-type]

    def _skip(self, p: P, name: str) -> P:
        """``p`` after an element ``name`` with whatever content it needs."""
        alg = self.alg
        key = (p.id, name)
        got = alg.skips.get(key)
        if got is None:
            got = alg.skips[key] = alg.choices(
                alg.continuation(alg.start_tag_open(p, ns, n))
                for e in alg.front(p, (ELEMENT,)) for ns, n in _qnames(e.a) if n == name)  # type: ignore[arg-type]
        return got

    def _skip_to(self, p: P, ns: str, local: str) -> tuple[list[str], P] | None:
        """The fewest elements to assume present before ``local`` becomes allowed."""
        key = (p.id, ns, local)
        if key not in self.alg.skips_to:
            self.alg.skips_to[key] = self._search_skip_to(p, ns, local)
        return self.alg.skips_to[key]

    def _search_skip_to(self, p: P, ns: str, local: str, depth: int = 3) -> tuple[list[str], P] | None:
        alg = self.alg
        reachable = alg.alphabet(p)
        if local not in reachable and "*" not in reachable:
            return None  # skipping elements only narrows what may come: never allowed here
        level: list[tuple[list[str], P]] = [([], p)]
        for _ in range(depth):
            nxt: list[tuple[list[str], P]] = []
            for seq, q in level:
                for n in sorted(set(self._expected_elements(q)) - {"*"}):
                    r = self._skip(q, n)
                    if r.kind == NOT_ALLOWED:
                        continue
                    if alg.start_tag_open(r, ns, local).kind != NOT_ALLOWED:
                        return seq + [n], r
                    nxt.append((seq + [n], r))
            level = nxt[:16]
        return None

    def _required_next(self, p: P) -> list[str]:
        """The fewest elements that would let the current element end here."""
        alg = self.alg
        level: list[tuple[list[str], P]] = [([], p)]
        for _ in range(3):
            nxt: list[tuple[list[str], P]] = []
            for seq, q in level:
                for n in sorted(set(self._expected_elements(q)) - {"*"}):
                    r = self._skip(q, n)
                    if r.kind == NOT_ALLOWED:
                        continue
                    if alg.end_tag(r).kind != NOT_ALLOWED:
                        return seq + [n]
                    nxt.append((seq + [n], r))
            level = nxt[:16]
        return []

    @staticmethod
    def _lacks(element: str | None, missing: list[str], before: str | None) -> str:
        what = (f"required element <{missing[0]}>" if len(missing) == 1
                else "required elements " + ", ".join(f"<{m}>" for m in missing))
        where = f" (expected before <{before}>)" if before else ""
        return f"<{element}> lacks {what}{where}"

    def _split(self, el: etree._Element) -> _Items:
        """``el``'s element children, the texts around them (one more than elements; comments
        and processing instructions leave their tails), and whether all texts are blank."""
        got = self._items.get(el)
        if got is None:
            elements: list[etree._Element] = []
            texts: list[str] = []
            text = el.text or ""
            for c in el:
                if isinstance(c.tag, str):
                    texts.append(text)
                    elements.append(c)
                    text = ""
                text += c.tail or ""
            texts.append(text)
            got = self._items[el] = (elements, texts, all(map(_blank, texts)))
        return got

    def children(self, p: P, el: etree._Element, local: str, known: set[str],
                 skip: etree._Element | None = None,
                 befores: dict[etree._Element, tuple[P, int]] | None = None) -> P:
        """Derive by the children of ``el``; ``befores`` records the pattern and the number of
        errors before each one."""
        if skip is not None:
            return self._children_without(p, el, local, known, skip)
        elements, texts, _ = self._split(el)
        if not elements:  # only text, maybe none: then whitespace may also count as nothing
            return self._only_text(p, el, texts[0], local)
        return self._walk(p, el, local, known, elements, texts, 0, befores, 0)

    def _walk(self, p: P, el: etree._Element, local: str, known: set[str],
              elements: list[etree._Element], texts: list[str], first: int,
              befores: dict[etree._Element, tuple[P, int]] | None, first_text: int) -> P:
        """Derive by ``elements[first:]`` and the texts from ``texts[first_text]`` on (the text
        before element i is texts[i]; the last text follows the last element)."""
        alg = self.alg
        out = self.out
        for i in range(first, len(elements) + 1):
            if i >= first_text:
                t = texts[i]
                if t and not t.isspace():
                    d = alg.text_deriv(p, t)
                    if d.kind == NOT_ALLOWED:
                        self._error()
                        out.append(Diagnostic(el, None, self._bad_text(p, t, local), "text"))
                        d = alg.text_deriv(p, None)
                    if d.kind != NOT_ALLOWED:
                        p = d
            if i < len(elements):
                c = elements[i]
                if befores is not None:
                    befores[c] = (p, len(out))
                p = self.element(p, c, local, known, el)
        return p

    def _only_text(self, p: P, el: etree._Element, s: str, local: str) -> P:
        alg = self.alg
        d = alg.text_deriv(p, s)
        if _blank(s):
            return alg.choice(p, d)
        if d.kind == NOT_ALLOWED:
            self._error()
            self.out.append(Diagnostic(el, None, self._bad_text(p, s, local), "text"))
            d = alg.text_deriv(p, None)
            return d if d.kind != NOT_ALLOWED else p
        return d

    def _children_without(self, p: P, el: etree._Element, local: str, known: set[str],
                          skip: etree._Element) -> P:
        """``children`` with ``skip`` left out: the texts around it join."""
        alg = self.alg
        items: list[str | etree._Element] = []
        text = el.text or ""
        for c in el:
            if isinstance(c.tag, str) and c is not skip:
                items.append(text)
                items.append(c)
                text = ""
            text += c.tail or ""
        items.append(text)
        if len(items) == 1:
            return self._only_text(p, el, text, local)
        for item in items:
            if isinstance(item, str):
                if _blank(item):
                    continue
                d = alg.text_deriv(p, item)
                if d.kind == NOT_ALLOWED:
                    self._error()
                    self.out.append(Diagnostic(el, None, self._bad_text(p, item, local), "text"))
                    d = alg.text_deriv(p, None)
                if d.kind != NOT_ALLOWED:
                    p = d
            else:
                p = self.element(p, item, local, known, el)
        return p

    # ------------------------------------------------------------ messages
    def _unexpected(self, p: P, name: str, parent: str | None, known: set[str]) -> str:
        expected = self._expected_elements(p)
        where = f" in <{parent}>" if parent else ""
        if parent is None:
            return f"unknown root element '{name}'; expected {_listing(expected) or 'another document'}"
        if name in known:
            msg = f"element '{name}' is not allowed here{where}"
        else:
            msg = f"unknown element '{name}'{where}"
        if expected:
            return f"{msg}; expected one of {_listing(expected)}" if len(set(expected)) > 1 \
                else f"{msg}; expected {expected[0]}"
        return f"{msg}; expected the end of <{parent}>"

    def _attribute_names(self, p: P) -> list[str]:
        return [n for a in self.alg.front(p, (ATTRIBUTE,)) for n in names(a.a)]  # type: ignore[arg-type]

    def _attribute_names_anywhere(self, p: P) -> set[str]:
        """Attribute names of the element's pattern, in any alternative."""
        return set(self._attribute_names(p))

    def _missing_attributes(self, p: P) -> list[str]:
        alg = self.alg
        out = []
        for n in sorted(set(self._attribute_names(p))):
            if n == "*":
                continue
            q = alg.attribute_deriv(p, "", n, None)
            if q.kind != NOT_ALLOWED and alg.start_tag_close(q).kind != NOT_ALLOWED:
                out.append(n)
        return out or sorted(set(self._attribute_names(p)) - {"*"})

    def _bad_value(self, p: P, ns: str, name: str, value: str, element: str) -> str:
        bodies = [a.b for a in self.alg.front(p, (ATTRIBUTE,)) if contains(a.a, ns, name)]  # type: ignore[arg-type]
        return f"value {value!r} of {name} in <{element}> is {self._not_matching(bodies, value)}"

    def _not_matching(self, bodies: list[P], s: str) -> str:
        alg = self.alg
        values: list[str] = []
        reasons: list[str] = []
        for b in bodies:
            for q in alg.front(b, (VALUE, DATA, LIST, TEXT)):  # type: ignore[arg-type]
                if q.kind == VALUE:
                    values.append(q.a[2])  # type: ignore[index]
                elif q.kind == DATA:
                    reasons.append(_data_reason(q, s))
                elif q.kind == LIST:
                    reasons.append("not a valid list")
        distinct = sorted(set(reasons))[:3]
        why = ", nor ".join(distinct[:1] + [r.removeprefix("not ") for r in distinct[1:]])
        if values and not reasons:
            return f"not one of {_listing(values, 24)}"
        if values:
            return f"not one of {_listing(values, 24)}, and {why}"
        return why or "not allowed"

    def _wants_text(self, p: P) -> bool:
        return bool(self.alg.front(p, (VALUE, DATA, LIST)))

    def _bad_text(self, p: P, s: str, element: str) -> str:
        data = self.alg.front(p, (VALUE, DATA, LIST))
        if not data:
            return f"text is not allowed in <{element}>"
        # the value as written (a space around it may be the mistake); a multi-line text
        # is shown on one line; only a value too long for one line is cut
        shown = s if "\n" not in s else " ".join(s.split())
        if len(shown) > 160:
            shown = shown[:157] + "..."
        return f"value {shown!r} of <{element}> is {self._not_matching([p], s)}"

    def _missing_content(self, p: P, element: str) -> str:
        expected = self._expected_elements(p)
        if expected:
            names_ = sorted(set(expected))
            if len(names_) == 1:
                return f"<{element}> lacks required element <{names_[0]}>"
            return f"<{element}> lacks a required element: one of {_listing(names_)}"
        if self._wants_text(p):
            return f"<{element}> lacks its value: {self._not_matching([p], '')}"
        return f"<{element}> is incomplete"


def diagnose(alg: Algebra, root: etree._Element) -> list[Diagnostic]:
    """The errors of the document under the grammar (empty when it is valid)."""
    return Diagnoser(alg).run(root)
