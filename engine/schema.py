"""RELAX NG validation of domain documents against the shipped schema.

The compiled schema is loaded once per process and reused, so validating
thousands of documents costs one libxml2 validation each. libxml2 often
reports no column; we derive one from the offending element (and attribute)
so every problem is printable as ``FILE:LINE:COL: message``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

from .errors import DocumentError, UsageError
from .xmlio import Document, _find_tag

SCHEMA_NAME = "domain.rng"

_ATTR_IN_MSG = re.compile(r"\battribute ([A-Za-z_][\w.:-]*)")


@dataclass(frozen=True)
class Problem:
    """One schema error, 1-based position."""

    line: int
    column: int
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.column}: {self.message}"

    def as_dict(self) -> dict[str, int | str]:
        return {"line": self.line, "column": self.column, "message": self.message}


def shipped_schema_path() -> Path:
    """Path of the compiled domain schema shipped in virtconform.schemas."""
    try:
        ref = resources.files("virtconform.schemas") / SCHEMA_NAME
        if ref.is_file():
            return Path(str(ref))
    except (NotADirectoryError, TypeError, ValueError):
        pass  # namespace package of an editable install: search its path entries
    import virtconform.schemas as pkg
    for entry in pkg.__path__:
        candidate = Path(entry) / SCHEMA_NAME
        if candidate.is_file():
            return candidate
    raise UsageError("the shipped schema is missing; run `virtconform schema compile`",
                     path=SCHEMA_NAME, line=0, column=0)


RNG_NS = "http://relaxng.org/ns/structure/1.0"
_R = "{" + RNG_NS + "}"


def _element_name(el: etree._Element) -> str | None:
    """The plain name of an RNG <element> pattern (attribute or <name> child form)."""
    if el.get("name"):
        return el.get("name")
    first = next((c for c in el if isinstance(c.tag, str)), None)
    if first is not None and first.tag == _R + "name" and first.text:
        return first.text.strip()
    return None


class CompiledSchema:
    """A compiled RELAX NG schema plus lazily compiled per-element sub-schemas.

    libxml2 blames interleaves on their parent ("Extra element devices in
    interleave"); validating each child against the define of its own element
    lets us point at the innermost element that is wrong.
    """

    def __init__(self, path: str, tree: etree._ElementTree) -> None:
        self.path = path
        self.tree = tree
        self.full = etree.RelaxNG(tree)
        self._sub: dict[str, etree.RelaxNG | None] = {}
        self.by_tag = self._element_defines(tree.getroot())

    @staticmethod
    def _element_defines(grammar: etree._Element) -> dict[str, str]:
        """{element name: define name} for elements defined once, alone in a define."""
        counts: dict[str, int] = {}
        for el in grammar.iter(_R + "element"):
            name = _element_name(el)
            if name:
                counts[name] = counts.get(name, 0) + 1
        out: dict[str, str] = {}
        for d in grammar.findall(_R + "define"):
            kids = [c for c in d if isinstance(c.tag, str) and c.tag.startswith(_R)]
            if len(kids) == 1 and kids[0].tag == _R + "element":
                name = _element_name(kids[0])
                if name and counts.get(name) == 1 and d.get("name"):
                    out[name] = d.get("name", "")
        return out

    def sub(self, tag: str) -> etree.RelaxNG | None:
        """Schema whose start is the define of element ``tag``, if there is one."""
        if tag in self._sub:
            return self._sub[tag]
        schema = None
        define = self.by_tag.get(tag)
        if define:
            grammar = etree.fromstring(etree.tostring(self.tree.getroot()),
                                       base_url=self.path)
            starts = grammar.findall(_R + "start")
            if len(starts) == 1 and not starts[0].get("combine"):
                start = starts[0]
                for c in list(start):
                    start.remove(c)
                etree.SubElement(start, _R + "ref", name=define)
                try:
                    schema = etree.RelaxNG(grammar)
                except etree.RelaxNGParseError:
                    schema = None
        self._sub[tag] = schema
        return schema


@lru_cache(maxsize=8)
def _load(path: str) -> CompiledSchema:
    """Parse and compile a RELAX NG schema once per process (includes resolve locally)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        tree = etree.parse(path, parser)
        return CompiledSchema(path, tree)
    except OSError as e:
        raise UsageError(f"cannot read schema: {e.strerror or 'unreadable'}", path=path,
                         line=0, column=0) from None
    except (etree.XMLSyntaxError, etree.RelaxNGParseError) as e:
        msg = " ".join(str(e).split()) or "invalid RELAX NG schema"
        raise UsageError(f"cannot load schema: {msg}", path=path, line=1, column=1) from None


_BY_ARG: dict[str | None, CompiledSchema] = {}


def load_schema(schema_path: str | Path | None = None) -> CompiledSchema:
    """The compiled schema at ``schema_path`` (default: the shipped one), cached."""
    key = None if schema_path is None else str(schema_path)
    cs = _BY_ARG.get(key)
    if cs is None:
        path = Path(schema_path) if schema_path is not None else shipped_schema_path()
        cs = _BY_ARG[key] = _load(str(path.resolve()))
    return cs


def _column(doc: Document, entry: etree._LogEntry, line: int) -> int:
    """Best 1-based column for a libxml2 error that may carry none."""
    if entry.column and entry.column > 0:
        return entry.column
    text = doc.line_text(line)
    col = -1
    elem = None
    if entry.path:
        try:
            found = doc.root.getroottree().xpath(entry.path)
        except etree.XPathError:
            found = []
        if found and isinstance(found[0], etree._Element) and found[0].sourceline == line:
            elem = found[0]
    if elem is not None:
        col = _find_tag(text, etree.QName(elem).localname.encode())
    m = _ATTR_IN_MSG.search(entry.message or "")
    if m:
        attr = text.find(b" " + m.group(1).encode() + b"=", max(col, 0))
        if attr >= 0:
            return attr + 2
    if col < 0:
        stripped = text.lstrip()
        col = len(text) - len(stripped) if stripped else 0
    return col + 1


_EXTRA = re.compile(r"(?:Extra element|extra content:|Did not expect element) ([A-Za-z_][\w.-]*)")


def _innermost(cs: CompiledSchema, elem: etree._Element,
               log: etree._ListErrorLog) -> tuple[etree._Element, etree._ListErrorLog | None]:
    """Descend from ``elem`` to the deepest element whose own define rejects it.

    Each level's error log names the child it choked on ("Extra element devices
    in interleave"): those children are tried first, the others only if they pass.
    Returns the element and its own error log (None when no child was rejected).
    """
    own: etree._ListErrorLog | None = None
    while True:
        named = {m.group(1) for e in log for m in [_EXTRA.search(e.message or "")] if m}
        children = [c for c in elem if isinstance(c.tag, str)]
        if named:
            children.sort(key=lambda c: etree.QName(c).localname not in named)
        for child in children:
            sub = cs.sub(etree.QName(child).localname)
            if sub is not None and not sub.validate(child):
                elem, log = child, sub.error_log
                own = log
                break
        else:
            return elem, own


def _problems(doc: Document, elem: etree._Element, log: etree._ListErrorLog) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    for entry in log:
        message = " ".join((entry.message or "schema error").split())
        line = entry.line if entry.line and entry.line > 0 else 0
        column = 0
        m = _EXTRA.search(message)
        extra = [c for c in elem if isinstance(c.tag, str)
                 and etree.QName(c).localname == m.group(1)] if m else []
        if m and not extra:  # blamed on an ancestor: look deeper
            extra = [c for c in elem.iter() if isinstance(c.tag, str) and c is not elem
                     and etree.QName(c).localname == m.group(1)]
        if extra:  # point at the surplus child (the last one, for duplicates)
            line, column = doc.locate(extra[-1])
        elif line <= 0:
            line, column = doc.locate(elem)
        if line <= 0:
            line, column = 1, 1
        if column <= 0:
            column = _column(doc, entry, line)
        key = (line, column, message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(*key))
    return problems


def validate(doc: Document, schema_path: str | Path | None = None) -> list[Problem]:
    """Schema problems of ``doc``, innermost culprit first; empty when valid."""
    cs = load_schema(schema_path)
    if cs.full.validate(doc.root.getroottree()):
        return []
    log = cs.full.error_log
    elem, own = _innermost(cs, doc.root, log)
    problems: list[Problem] = []
    if own is not None:
        problems = _problems(doc, elem, own)
    if not problems:
        problems = _problems(doc, doc.root, log)
    if not problems:
        problems = [Problem(1, 1, "document does not match the schema")]
    return problems


def check(doc: Document, schema_path: str | Path | None = None) -> None:
    """Raise the first schema problem of ``doc`` as a located DocumentError."""
    problems = validate(doc, schema_path)
    if problems:
        p = problems[0]
        raise DocumentError(p.message, path=doc.path, line=p.line, column=p.column)
