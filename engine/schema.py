"""RELAX NG validation of domain documents against the shipped schema (or any other).

The compiled schema is loaded once per process and reused, so validating
thousands of valid documents costs one libxml2 validation each. An invalid
document is walked again by derivatives (engine/rngderiv.py), which name the
innermost cause and what was expected there; each problem is printable as
``FILE:LINE:COL: message``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from .errors import DocumentError, UsageError
from .xmlio import Document

if TYPE_CHECKING:
    from . import rngderiv
    from .rngderiv import Diagnostic

SCHEMA_NAME = "domain.rng"


class Problem(NamedTuple("_Problem", [("line", int), ("column", int), ("message", str)])):
    """One schema error, 1-based position (a named tuple: dataclasses cost start-up)."""

    __slots__ = ()

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.column}: {self.message}"

    def as_dict(self) -> dict[str, int | str]:
        return {"line": self.line, "column": self.column, "message": self.message}


def shipped_schema_path() -> Path:
    """Path of the compiled domain schema shipped in virtconform.schemas."""
    from virtconform.schemas import shipped
    found = shipped(SCHEMA_NAME)
    if found is None:
        raise UsageError("the shipped schema is missing; run `virtconform schema compile`",
                         path=SCHEMA_NAME, line=0, column=0)
    return Path(found)


class CompiledSchema:
    """A RELAX NG schema twice: libxml2's (fast yes/no) and derivatives (what went wrong).

    libxml2 decides validity; for an invalid document the derivative walk of
    engine/rngderiv.py finds the innermost cause and what was expected there.
    """

    def __init__(self, path: str, tree: etree._ElementTree) -> None:
        self.path = path
        self.tree = tree
        self.full = etree.RelaxNG(tree)
        self._algebra: rngderiv.Algebra | None | bool = False

    @property
    def algebra(self) -> rngderiv.Algebra | None:
        """The derivative algebra, built on first need; None if the grammar uses what it lacks."""
        if self._algebra is False:
            from . import rngderiv, rngtree  # only invalid documents need them
            try:
                self._algebra = rngderiv.Algebra(rngtree.from_tree(self.tree.getroot(), Path(self.path)))
            except (rngtree.GrammarError, RecursionError):
                self._algebra = None
        return self._algebra  # type: ignore[return-value]

    def is_valid(self, root: etree._Element) -> bool:
        return bool(self.full.validate(root.getroottree()))


def _load(path: str) -> CompiledSchema:
    """Parse and compile a RELAX NG schema (includes resolve locally)."""
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
_BY_PATH: dict[str, CompiledSchema] = {}


def load_schema(schema_path: str | Path | None = None) -> CompiledSchema:
    """The compiled schema at ``schema_path`` (default: the shipped one), once per process."""
    key = None if schema_path is None else str(schema_path)
    cs = _BY_ARG.get(key)
    if cs is None:
        path = Path(schema_path) if schema_path is not None else shipped_schema_path()
        resolved = str(path.resolve())
        cs = _BY_PATH.get(resolved)
        if cs is None:
            cs = _BY_PATH[resolved] = _load(resolved)
        _BY_ARG[key] = cs
    return cs


_NOISE = re.compile(r"failed to validate content|Extra element .* in interleave|"
                    r"Invalid sequence in interleave|Element \S+ has extra content")


def _libxml2_problems(doc: Document, log: etree._ListErrorLog) -> list[Problem]:
    """libxml2's own messages, located (when the derivative walk has nothing to say)."""
    out: set[Problem] = set()
    for entry in log:
        message = " ".join((entry.message or "schema error").split())
        line = entry.line if entry.line and entry.line > 0 else 1
        column = entry.column if entry.column and entry.column > 0 else _indent(doc, line)
        out.add(Problem(line, column, message))
    kept = [p for p in out if not _NOISE.search(p.message)] or list(out)
    return sorted(kept, key=lambda p: (p.line, p.column, p.message))


def _indent(doc: Document, line: int) -> int:
    text = doc.line_text(line)
    return len(text) - len(text.lstrip()) + 1


_START_TAG = re.compile(rb"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def _start_tag_end(data: bytes, offset: int) -> int:
    """Offset of the '>' closing the start tag that begins at ``offset`` (quotes respected)."""
    m = _START_TAG.match(data, offset)
    return m.end() - 1 if m else len(data) - 1


def _locate(doc: Document, d: Diagnostic) -> tuple[int, int]:
    """Line and column of a diagnostic: the element, its attribute, or its text."""
    line, column = doc.locate(d.element)
    if line <= 0:
        return 1, 1
    if d.kind not in ("attribute", "value", "text"):
        return line, column
    offsets = doc.line_offsets()
    start = offsets[line - 1] + column - 1
    end = _start_tag_end(doc.data, start)
    if d.kind == "text":
        at = end + 1
        while at < len(doc.data) and doc.data[at] in b" \t\r\n":
            at += 1
    else:
        local = (d.attribute or "").rsplit("}", 1)[-1].encode()
        m = re.compile(rb"[\s:]" + re.escape(local) + rb"\s*=").search(doc.data, start, end)
        if m is None:
            return line, column
        at = m.start() + 1
        while at > start and doc.data[at - 1:at] not in b" \t\r\n":
            at -= 1  # back over a namespace prefix
    return doc.position(at)


def validate(doc: Document, schema_path: str | Path | None = None,
             rejected: bool = False) -> list[Problem]:
    """Schema problems of ``doc`` sorted by position, innermost causes only; empty when valid.

    ``rejected``: libxml2 already rejected these very bytes under this schema
    (engine/fastvalid.py), so its verdict is not asked for again."""
    cs = load_schema(schema_path)
    if not rejected and cs.full.validate(doc.root.getroottree()):
        return []
    problems: list[Problem] = []
    alg = cs.algebra
    if alg is not None:
        from .rngderiv import diagnose
        seen: set[Problem] = set()
        for d in diagnose(alg, doc.root):
            p = Problem(*_locate(doc, d), d.message)
            if p not in seen:
                seen.add(p)
                problems.append(p)
        problems.sort(key=lambda p: (p.line, p.column))
    if not problems:  # libxml2's log is still this document's: nothing validated since
        if rejected:  # libxml2's messages were not collected: ask again
            cs.full.validate(doc.root.getroottree())
        problems = _libxml2_problems(doc, cs.full.error_log)
    return problems or [Problem(1, 1, "document does not match the schema")]


def check(doc: Document, schema_path: str | Path | None = None) -> None:
    """Raise the first schema problem of ``doc`` as a located DocumentError."""
    problems = validate(doc, schema_path)
    if problems:
        p = problems[0]
        raise DocumentError(p.message, path=doc.path, line=p.line, column=p.column)
