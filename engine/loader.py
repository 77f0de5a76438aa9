"""From a file to a defaulted Domain: safe read, schema check, model parse, defaults."""
from __future__ import annotations

from .defaults import GuestCaps, apply_defaults
from .errors import ConfigError
from .model.domain import Domain
from .xmlio import Document, parse_bytes, read_document


def parse_domain(doc: Document, caps: GuestCaps, *, validate: bool = True) -> Domain:
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


def load_domain(path: str, caps: GuestCaps, *, validate: bool = True) -> Domain:
    return parse_domain(read_document(path), caps, validate=validate)


def domain_from_string(text: str, caps: GuestCaps, *, validate: bool = True,
                       path: str = "<string>") -> Domain:
    return parse_domain(parse_bytes(text.encode(), path), caps, validate=validate)
