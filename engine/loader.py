"""From a file to a defaulted Domain: safe read, model parse, defaults.

libvirt's parser does not validate against its schema (it ignores what it does
not know), so neither does this by default: ``validate=True`` adds the schema
check that ``virtconform validate`` makes.
"""
from __future__ import annotations

from .defaults import GuestCaps, apply_defaults
from .errors import ConfigError
from .model.domain import Domain
from .xmlio import Document, parse_bytes, read_document


def parse_domain(doc: Document, caps: GuestCaps, *, validate: bool = False) -> Domain:
    """Parse an already-read document as an inactive definition."""
    if validate:
        from . import schema  # lxml RelaxNG; only loaded when validating
        schema.check(doc)
    root = doc.root
    if root.tag != "domain":
        line, col = doc.locate(root)
        raise ConfigError(f"root element is <{root.tag}>, expected <domain>",
                          path=doc.path, line=line, column=col)
    dom = Domain.parse(root, doc)
    return apply_defaults(dom, caps)


def load_domain(path: str, caps: GuestCaps, *, validate: bool = False) -> Domain:
    return parse_domain(read_document(path), caps, validate=validate)


def domain_from_string(text: str, caps: GuestCaps, *, validate: bool = False,
                       path: str = "<string>") -> Domain:
    return parse_domain(parse_bytes(text.encode(), path), caps, validate=validate)
