"""A compiled RELAX NG grammar (XML syntax) as a small in-memory pattern tree.

lxml validates but does not expose the grammar. This tree is what the located
diagnostics (engine/rngderiv.py), the generators (conformance/grammar/walker.py)
and the schema-author tools (diff, coverage) read.
Handles include (with overriding defines), externalRef, nested grammar with
parentRef, define/combine, div, mixed, list, the name classes and the
datatypeLibrary inheritance, so it also works on small hand-written grammars.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

RNG_NS = "http://relaxng.org/ns/structure/1.0"
_R = "{" + RNG_NS + "}"
XSD_LIB = "http://www.w3.org/2001/XMLSchema-datatypes"


class GrammarError(Exception):
    """The grammar file cannot be understood (bad reference, unknown construct).

    ``path``/``line`` locate the offending construct when it is known.
    """

    def __init__(self, message: str, path: str | None = None, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


_PARSER = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def _parse(path: Path) -> etree._Element:
    """The root of a grammar file, read safely; unreadable or malformed: GrammarError."""
    try:
        return etree.parse(str(path), _PARSER).getroot()
    except OSError as e:
        raise GrammarError(f"cannot read grammar: {e.strerror or 'unreadable'}", str(path)) from None
    except etree.XMLSyntaxError as e:
        line = e.position[0] if e.position else 1
        raise GrammarError(f"malformed grammar: {e.msg}", str(path), line) from None


# ---------------------------------------------------------------- name classes
@dataclass(frozen=True)
class Name:
    """A single element/attribute name."""

    ns: str
    local: str


@dataclass(frozen=True)
class AnyName:
    except_: NameClass | None = None


@dataclass(frozen=True)
class NsName:
    ns: str
    except_: NameClass | None = None


@dataclass(frozen=True)
class NameChoice:
    items: tuple[NameClass, ...]


NameClass = Name | AnyName | NsName | NameChoice


# ---------------------------------------------------------------- patterns
class Pattern:
    """Base class of pattern nodes (identity-compared: trees may be cyclic via Ref)."""

    __slots__ = ()


@dataclass(eq=False)
class Element(Pattern):
    name: NameClass
    body: Pattern


@dataclass(eq=False)
class Attribute(Pattern):
    name: NameClass
    body: Pattern


@dataclass(eq=False)
class Group(Pattern):
    items: list[Pattern]


@dataclass(eq=False)
class Interleave(Pattern):
    items: list[Pattern]


@dataclass(eq=False)
class Choice(Pattern):
    items: list[Pattern]


@dataclass(eq=False)
class Optional(Pattern):
    item: Pattern


@dataclass(eq=False)
class ZeroOrMore(Pattern):
    item: Pattern


@dataclass(eq=False)
class OneOrMore(Pattern):
    item: Pattern


@dataclass(eq=False)
class ListP(Pattern):
    item: Pattern


@dataclass(eq=False)
class Text(Pattern):
    pass


@dataclass(eq=False)
class Empty(Pattern):
    pass


@dataclass(eq=False)
class NotAllowed(Pattern):
    pass


@dataclass(eq=False)
class Value(Pattern):
    value: str
    type: str = "token"
    library: str = ""


@dataclass(eq=False)
class Data(Pattern):
    type: str
    library: str = XSD_LIB
    params: list[tuple[str, str]] = field(default_factory=list)
    except_: Pattern | None = None


@dataclass(eq=False)
class Ref(Pattern):
    """A reference to a define; ``target`` is filled in once the grammar is complete."""

    name: str
    target: Pattern | None = None
    where: tuple[str, int] = ("", 0)  # file and line of the <ref>, for errors

    def resolve(self) -> Pattern:
        if self.target is None:
            raise GrammarError(f"reference to undefined pattern '{self.name}'", *self.where)
        return self.target


# ---------------------------------------------------------------- loading
@dataclass
class _Scope:
    """One <grammar>: its defines (with combine) and the refs waiting for them."""

    parent: _Scope | None
    defines: dict[str, list[tuple[str | None, Pattern]]] = field(default_factory=dict)
    refs: list[Ref] = field(default_factory=list)
    resolved: dict[str, Pattern] = field(default_factory=dict)
    start: list[tuple[str | None, Pattern]] = field(default_factory=list)

    def add(self, name: str | None, combine: str | None, pattern: Pattern) -> None:
        bucket = self.start if name is None else self.defines.setdefault(name, [])
        bucket.append((combine, pattern))

    @staticmethod
    def _combined(entries: list[tuple[str | None, Pattern]], what: str) -> Pattern:
        if len(entries) == 1:
            return entries[0][1]
        modes = {c for c, _ in entries if c}
        if len(modes) > 1:
            raise GrammarError(f"conflicting combine methods for {what}")
        mode = modes.pop() if modes else None
        if mode is None:
            raise GrammarError(f"{what} defined more than once without combine")
        items = [p for _, p in entries]
        return Choice(items) if mode == "choice" else Interleave(items)

    def finish(self) -> Pattern | None:
        resolved = {n: self._combined(e, f"define '{n}'") for n, e in self.defines.items()}
        self.resolved = resolved
        for ref in self.refs:
            if ref.name not in resolved:
                raise GrammarError(f"reference to undefined pattern '{ref.name}'", *ref.where)
            ref.target = resolved[ref.name]
        return self._combined(self.start, "start") if self.start else None


class Grammar:
    """A loaded grammar: the start pattern plus every define of the top scope by name."""

    def __init__(self, start: Pattern, defines: dict[str, Pattern], path: str) -> None:
        self.start = start
        self.defines = defines
        self.path = path

    def elements(self) -> list[Element]:
        """Every element pattern reachable from start (each once)."""
        seen: set[int] = set()
        out: list[Element] = []
        stack: list[Pattern] = [self.start]
        while stack:
            p = stack.pop()
            if id(p) in seen:
                continue
            seen.add(id(p))
            if isinstance(p, Element):
                out.append(p)
            stack.extend(children(p))
        return out


def children(p: Pattern) -> list[Pattern]:
    """Direct sub-patterns (a Ref's target counts as its child)."""
    if isinstance(p, Group | Interleave | Choice):
        return list(p.items)
    if isinstance(p, Optional | ZeroOrMore | OneOrMore | ListP):
        return [p.item]
    if isinstance(p, Element | Attribute):
        return [p.body]
    if isinstance(p, Ref):
        return [p.resolve()]
    if isinstance(p, Data) and p.except_ is not None:
        return [p.except_]
    return []


def _kids(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and c.tag.startswith(_R)]


def _local(el: etree._Element) -> str:
    return el.tag[len(_R):]


def _file(el: etree._Element) -> str:
    """The file an RNG element was read from (its document's URL)."""
    url = el.getroottree().docinfo.URL or ""
    return url[7:] if url.startswith("file://") else url


def _included(href: Path, by: etree._Element) -> etree._Element:
    """The root of a file an include/externalRef names; a missing or unreadable one is
    blamed on the element naming it (that is the line to fix), a malformed one on itself."""
    try:
        return etree.parse(str(href.resolve()), _PARSER).getroot()
    except OSError as e:
        why = e.strerror or ("no such file" if not href.exists() else "unreadable")
        raise GrammarError(f"cannot read the grammar {by.get('href', '')!r} that <{_local(by)}> names: "
                           f"{why}", _file(by) or None, by.sourceline or 0) from None
    except etree.XMLSyntaxError:
        return _parse(href.resolve())


class _Loader:
    def __init__(self) -> None:
        self.loading: list[Path] = []

    def load_file(self, path: Path, scope: _Scope | None, ns: str, lib: str) -> Pattern | None:
        """Read a file whose root is a pattern or a grammar; returns its pattern."""
        path = path.resolve()
        if path in self.loading:
            raise GrammarError(f"recursive include of {path}")
        self.loading.append(path)
        try:
            root = _parse(path)
            if root.tag != _R + "grammar":
                return self.pattern(root, scope, path.parent, ns, lib)
            return self.grammar(root, scope, path.parent, ns, lib)
        finally:
            self.loading.pop()

    def grammar(self, el: etree._Element, parent: _Scope | None, base: Path, ns: str,
                lib: str) -> Pattern:
        scope = _Scope(parent)
        self.grammar_content(el, scope, base, ns, lib)
        start = scope.finish()
        if start is None:
            raise GrammarError("grammar has no start")
        return start

    def grammar_content(self, el: etree._Element, scope: _Scope, base: Path, ns: str, lib: str,
                        skip: frozenset[str | None] = frozenset()) -> None:
        ns = el.get("ns", ns)
        lib = el.get("datatypeLibrary", lib)
        for c in _kids(el):
            kind = _local(c)
            if kind == "div":
                self.grammar_content(c, scope, base, ns, lib, skip)
            elif kind in ("define", "start"):
                name = c.get("name") if kind == "define" else None
                if name in skip:
                    continue
                cns = c.get("ns", ns)
                clib = c.get("datatypeLibrary", lib)
                scope.add(name, c.get("combine"), self.group(_kids(c), scope, base, cns, clib))
            elif kind == "include":
                overridden = self._overrides(c)
                href = base / c.get("href", "")
                root = _included(href, c)
                if root.tag != _R + "grammar":
                    raise GrammarError(f"included file {href} is not a grammar",
                                       _file(c), c.sourceline or 0)
                self.grammar_content(root, scope, href.parent, c.get("ns", ns),
                                     root.get("datatypeLibrary", lib), skip | overridden)
                self.grammar_content(c, scope, base, ns, lib, skip)
            else:
                raise GrammarError(f"unexpected <{kind}> in grammar", _file(c), c.sourceline or 0)

    @staticmethod
    def _overrides(inc: etree._Element) -> frozenset[str | None]:
        names: set[str | None] = set()
        stack = _kids(inc)
        while stack:
            c = stack.pop()
            if _local(c) == "define":
                names.add(c.get("name"))
            elif _local(c) == "start":
                names.add(None)
            elif _local(c) == "div":
                stack.extend(_kids(c))
        return frozenset(names)

    def group(self, els: list[etree._Element], scope: _Scope | None, base: Path, ns: str,
              lib: str) -> Pattern:
        items = [self.pattern(e, scope, base, ns, lib) for e in els]
        if not items:
            return Empty()
        return items[0] if len(items) == 1 else Group(items)

    def name_class(self, el: etree._Element, ns: str) -> NameClass:
        kind = _local(el)
        ns = el.get("ns", ns)
        if kind == "name":
            text = (el.text or "").strip()
            if ":" in text:  # prefixed name: look the prefix up
                prefix, local = text.split(":", 1)
                return Name(el.nsmap.get(prefix, ""), local)
            return Name(ns, text)
        exc = next((c for c in _kids(el) if _local(c) == "except"), None)
        exc_nc = None
        if exc is not None:
            ncs = [self.name_class(c, ns) for c in _kids(exc)]
            exc_nc = ncs[0] if len(ncs) == 1 else NameChoice(tuple(ncs))
        if kind == "anyName":
            return AnyName(exc_nc)
        if kind == "nsName":
            return NsName(ns, exc_nc)
        if kind == "choice":
            return NameChoice(tuple(self.name_class(c, ns) for c in _kids(el)))
        raise GrammarError(f"unknown name class <{kind}>")

    def pattern(self, el: etree._Element, scope: _Scope | None, base: Path, ns: str,
                lib: str) -> Pattern:
        kind = _local(el)
        ns = el.get("ns", ns)
        lib = el.get("datatypeLibrary", lib)
        kids = _kids(el)
        if kind in ("element", "attribute"):
            if el.get("name") is not None:
                raw = el.get("name", "").strip()
                # attributes have no namespace unless said so
                nc: NameClass = Name(ns if kind == "element" else el.get("ns", ""), raw)
                if ":" in raw:
                    prefix, local = raw.split(":", 1)
                    nc = Name(el.nsmap.get(prefix, ""), local)
                body_els = kids
            else:
                nc = self.name_class(kids[0], ns if kind == "element" else el.get("ns", ""))
                body_els = kids[1:]
            if kind == "element":
                return Element(nc, self.group(body_els, scope, base, ns, lib))
            body = self.group(body_els, scope, base, ns, lib) if body_els else Text()
            return Attribute(nc, body)
        if kind == "group":
            return self.group(kids, scope, base, ns, lib)
        if kind in ("interleave", "choice"):
            items = [self.pattern(k, scope, base, ns, lib) for k in kids]
            if len(items) == 1:
                return items[0]
            return Interleave(items) if kind == "interleave" else Choice(items)
        if kind == "optional":
            return Optional(self.group(kids, scope, base, ns, lib))
        if kind == "zeroOrMore":
            return ZeroOrMore(self.group(kids, scope, base, ns, lib))
        if kind == "oneOrMore":
            return OneOrMore(self.group(kids, scope, base, ns, lib))
        if kind == "list":
            return ListP(self.group(kids, scope, base, ns, lib))
        if kind == "mixed":
            return Interleave([Text(), self.group(kids, scope, base, ns, lib)])
        if kind == "text":
            return Text()
        if kind == "empty":
            return Empty()
        if kind == "notAllowed":
            return NotAllowed()
        if kind == "value":
            if el.get("type") is None:  # no type: the built-in token type
                return Value(el.text or "", "token", "")
            return Value(el.text or "", el.get("type", ""), lib)
        if kind == "data":
            params = [(p.get("name", ""), p.text or "") for p in kids if _local(p) == "param"]
            exc = next((k for k in kids if _local(k) == "except"), None)
            exc_p = None
            if exc is not None:
                items = [self.pattern(k, scope, base, ns, lib) for k in _kids(exc)]
                exc_p = items[0] if len(items) == 1 else Choice(items)
            return Data(el.get("type", ""), lib, params, exc_p)
        if kind in ("ref", "parentRef"):
            target_scope = scope if kind == "ref" else (scope.parent if scope else None)
            if target_scope is None:
                raise GrammarError(f"<{kind} name='{el.get('name')}'> outside a grammar")
            ref = Ref(el.get("name", ""), where=(_file(el), el.sourceline or 0))
            target_scope.refs.append(ref)
            return ref
        if kind == "externalRef":
            _included(base / el.get("href", ""), el)
            p = self.load_file(base / el.get("href", ""), None, ns, lib)
            if p is None:
                raise GrammarError("externalRef to an empty grammar")
            return p
        if kind == "grammar":
            return self.grammar(el, scope, base, ns, lib)
        raise GrammarError(f"unsupported RELAX NG construct <{kind}>", _file(el), el.sourceline or 0)


def load(path: str | Path) -> Grammar:
    """Load a compiled (.rng) grammar with everything it includes."""
    path = Path(path)
    return from_tree(_parse(path.resolve()), path)


def loads(text: str | bytes, base: str | Path = "grammar.rng") -> Grammar:
    """Load a grammar given as text; includes resolve against the file name ``base``."""
    base = Path(base).resolve()
    data = text.encode() if isinstance(text, str) else text
    try:
        root = etree.fromstring(data, _PARSER, base_url=str(base))
    except etree.XMLSyntaxError as e:
        raise GrammarError(f"malformed grammar: {e.msg}", str(base),
                           e.position[0] if e.position else 1) from None
    return from_tree(root, base)


def from_tree(root: etree._Element, path: Path) -> Grammar:
    """The grammar whose root element is ``root`` (read from ``path``)."""
    loader = _Loader()
    lib = root.get("datatypeLibrary", "")
    if root.tag != _R + "grammar":
        if not root.tag.startswith(_R):
            raise GrammarError("not a RELAX NG grammar (root is not in the RELAX NG namespace)",
                               str(path), root.sourceline or 1)
        start = loader.pattern(root, None, path.parent, "", lib)
        return Grammar(start, {}, str(path))
    scope = _Scope(None)
    loader.grammar_content(root, scope, path.parent, root.get("ns", ""), lib)
    start = scope.finish()
    if start is None:
        raise GrammarError("grammar has no start", str(path), root.sourceline or 1)
    return Grammar(start, scope.resolved, str(path))
