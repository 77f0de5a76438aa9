"""The RELAX NG pattern tree, as the grammar tools see it.

The loader lives in engine/rngtree.py (validation diagnostics need it and the
engine does not import conformance/); this module re-exports it for the tools
and adds the project's own grammar, loaded once.
"""
from __future__ import annotations

from virtconform.engine.rngtree import (  # noqa: F401 - re-exported
    RNG_NS,
    XSD_LIB,
    AnyName,
    Attribute,
    Choice,
    Data,
    Element,
    Empty,
    Grammar,
    GrammarError,
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
    from_tree,
    load,
    loads,
)

_SHIPPED: Grammar | None = None


def shipped() -> Grammar:
    """The project's own domain grammar, loaded once per process."""
    global _SHIPPED
    if _SHIPPED is None:
        from virtconform.engine.schema import shipped_schema_path
        _SHIPPED = load(shipped_schema_path())
    return _SHIPPED
