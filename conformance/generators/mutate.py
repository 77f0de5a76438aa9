"""Invalid documents: named error modes applied to a valid document.

After MSV's xmlgen error modes, plus a few more. Each mode lists the sites
where it could apply, tries them in a chooser-decided order and keeps the
first mutation the schema rejects, so every returned document is invalid *for
the reason its mode names* (removing an attribute that the schema rejects
without is a missing *required* attribute). Hypothesis-free: ``generate
--invalid`` uses it with a seeded chooser.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator

from lxml import etree

from ..grammar.walker import Chooser

Mutation = Callable[[etree._Element], None]


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _path(el: etree._Element) -> str:
    parts = []
    while el is not None:
        parts.append(el.tag)
        el = el.getparent()
    return "/" + "/".join(reversed(parts))


def _sites_missing_attribute(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        for name in el.attrib:
            yield f"{_path(el)}/@{name}", _by_index(root, el, lambda t, n=name: t.attrib.pop(n))


def _sites_missing_element(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        if el is root:
            continue
        yield _path(el), _by_index(root, el, lambda t: t.getparent().remove(t))


def _by_index(root: etree._Element, el: etree._Element, fn: Callable[[etree._Element], None]) -> Mutation:
    """A mutation that finds ``el`` again in a copy of ``root`` by document order."""
    idx = _elements(root).index(el)
    return lambda r: fn(_elements(r)[idx])


_NUMERIC = re.compile(r"^-?(0x)?[0-9a-fA-F]+$")


def _attr_mutations(value: str) -> list[tuple[str, str]]:
    """(kind, new value) candidates for one attribute value."""
    out: list[tuple[str, str]] = []
    if re.fullmatch(r"-?[0-9]+", value):
        out += [("non-number", "twelve"), ("out-of-range", "-99999999999999999999999"),
                ("out-of-range", "184467440737095516160")]
    elif _NUMERIC.match(value):
        out += [("non-number", "0xZZ")]
    if re.fullmatch(r"[a-z0-9_.-]+", value):
        out.append(("wrong enum", value + "-bogus"))
    out.append(("pattern violation", value + "\u00a7#!"))
    out.append(("pattern violation", ""))
    return out


def _sites_attr_value(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        for name, value in el.attrib.items():
            for kind, new in _attr_mutations(value):
                yield (f"{_path(el)}/@{name}: {kind} {value!r} -> {new!r}",
                       _by_index(root, el, lambda t, n=name, v=new: t.set(n, v)))


def _sites_unknown_element(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        yield (f"{_path(el)}/frobnicator",
               _by_index(root, el, lambda t: t.append(etree.Element("frobnicator"))))


def _sites_unknown_attribute(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        yield f"{_path(el)}/@frobnicate", _by_index(root, el, lambda t: t.set("frobnicate", "yes"))


def _dup(t: etree._Element) -> None:
    t.addnext(copy.deepcopy(t))


def _sites_duplicate(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        if el is not root:
            yield _path(el), _by_index(root, el, _dup)


def _swap(t: etree._Element) -> None:
    nxt = t.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    if nxt is not None:
        nxt.addnext(t)


def _sites_swap(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        nxt = el.getnext()
        if el is not root and nxt is not None and isinstance(nxt.tag, str) and nxt.tag != el.tag:
            yield f"{_path(el)} <-> {nxt.tag}", _by_index(root, el, _swap)


def _typo(name: str) -> str:
    if len(name) >= 3:
        return name[0] + name[2] + name[1] + name[3:] if name[1] != name[2] else name[:-1]
    return name + "x"


def _sites_typo(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        new = _typo(el.tag)
        yield f"{_path(el)} -> {new}", _by_index(root, el, lambda t, n=new: setattr(t, "tag", n))


def _add_text(t: etree._Element) -> None:
    kids = [c for c in t if isinstance(c.tag, str)]
    if kids:
        kids[0].tail = (kids[0].tail or "") + "stray text"
    else:
        t.text = "stray text"


def _sites_text(root: etree._Element) -> Iterator[tuple[str, Mutation]]:
    for el in _elements(root):
        if el.text is None or not el.text.strip():
            yield _path(el), _by_index(root, el, _add_text)


#: error mode name -> candidate sites of a document
MODES: dict[str, Callable[[etree._Element], Iterator[tuple[str, Mutation]]]] = {
    "missing-required-attribute": _sites_missing_attribute,
    "missing-required-element": _sites_missing_element,
    "attribute-value-mutated": _sites_attr_value,
    "unknown-element": _sites_unknown_element,
    "unknown-attribute": _sites_unknown_attribute,
    "duplicated-singleton": _sites_duplicate,
    "sequence-swap": _sites_swap,
    "element-name-typo": _sites_typo,
    "text-in-element-only-content": _sites_text,
}


def is_invalid(root: etree._Element) -> bool:
    """Whether the shipped schema rejects the document."""
    from virtconform.engine import schema, xmlio
    data = etree.tostring(root)
    return bool(schema.validate(xmlio.parse_bytes(data, "<mutant>")))


def mutate(root: etree._Element, mode: str, ch: Chooser,
           tries: int = 40) -> tuple[etree._Element, str] | None:
    """A schema-invalid copy of ``root`` by ``mode`` and its description, or None if none is found."""
    sites = list(MODES[mode](root))
    for _ in range(min(tries, len(sites))):
        desc, fn = sites.pop(ch.integer(0, len(sites) - 1))
        mutant = copy.deepcopy(root)
        try:
            fn(mutant)
        except (AttributeError, ValueError, TypeError, KeyError):
            continue
        if is_invalid(mutant):
            return mutant, desc
    return None
