"""Element/attribute paths: what a document has, what a schema allows.

A path is ``/domain/devices/disk/@type`` (attributes) or ``/domain/devices/disk``.
The ``generate --coverage`` report compares the paths reached by generated
documents with those the schema allows; a document's *shape* is its set of paths.
"""
from __future__ import annotations

from lxml import etree

from .rng import (
    AnyName,
    Attribute,
    Element,
    Grammar,
    Name,
    NameChoice,
    NameClass,
    NsName,
    Pattern,
    Ref,
    children,
)


def document_paths(root: etree._Element) -> set[str]:
    """Every element and attribute path of a document."""
    out: set[str] = set()

    def visit(el: etree._Element, prefix: str) -> None:
        path = f"{prefix}/{etree.QName(el).localname}"
        out.add(path)
        for a in el.attrib:
            out.add(f"{path}/@{etree.QName(a).localname}")
        for c in el:
            if isinstance(c.tag, str):
                visit(c, path)

    visit(root, "")
    return out


def _names(nc: NameClass) -> list[str]:
    if isinstance(nc, Name):
        return [nc.local]
    if isinstance(nc, NameChoice):
        return [n for i in nc.items for n in _names(i)]
    assert isinstance(nc, AnyName | NsName)
    return ["*"]


def schema_paths(grammar: Grammar, max_depth: int = 12) -> set[str]:
    """Every element/attribute path the grammar allows (recursion cut at max_depth)."""
    out: set[str] = set()
    seen: set[tuple[int, str]] = set()

    def walk(p: Pattern, prefix: str, depth: int) -> None:
        key = (id(p), prefix)
        if key in seen or depth > max_depth:
            return
        seen.add(key)
        if isinstance(p, Element):
            for n in _names(p.name):
                path = f"{prefix}/{n}"
                out.add(path)
                walk(p.body, path, depth + 1)
            return
        if isinstance(p, Attribute):
            for n in _names(p.name):
                out.add(f"{prefix}/@{n}")
            return
        for c in children(p) if not isinstance(p, Ref) else [p.resolve()]:
            walk(c, prefix, depth)

    walk(grammar.start, "", 0)
    return out
