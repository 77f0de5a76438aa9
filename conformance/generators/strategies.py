"""Hypothesis strategies for schema-valid and schema-invalid documents.

The grammar walker (walker.py) makes every decision through a chooser; here the
chooser draws from Hypothesis, so failing examples shrink toward small
documents: optional items absent, repeats at their minimum, first alternatives.

    from virtconform.conformance.generators.strategies import domains
    @given(domains())
    def test_mine(xml: str) -> None: ...
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

from ..grammar.rng import Grammar, load, shipped
from ..grammar.walker import Walker
from . import mutate
from .domaingen import generate_domain, to_text

_INTEGERS: dict[tuple[int, int], st.SearchStrategy[int]] = {}
_PERCENT = st.integers(0, 99)


class DrawChooser:
    """Decisions drawn from Hypothesis: 0 / False is always the smaller document."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return lo
        s = _INTEGERS.get((lo, hi))
        if s is None:  # building a strategy costs more than drawing from it: keep them
            s = _INTEGERS[(lo, hi)] = st.integers(lo, hi)
        return self.draw(s)

    def boolean(self, p: float = 0.5) -> bool:
        if p <= 0.0:
            return False
        if p >= 1.0:
            return True
        return self.draw(_PERCENT) >= round(100 * (1 - p))


def _grammar(schema: str | Path | Grammar | None) -> Grammar:
    if schema is None:
        return shipped()
    return schema if isinstance(schema, Grammar) else load(schema)


@st.composite
def valid_elements(draw: st.DrawFn, schema: str | Path | Grammar | None = None) -> etree._Element:
    """Any instance of a grammar (default: the shipped domain schema), no refinements."""
    return Walker(DrawChooser(draw)).document(_grammar(schema).start)


def valid_documents(schema: str | Path | Grammar | None = None) -> st.SearchStrategy[str]:
    """Serialised instances of a grammar: schema-valid, not necessarily loadable."""
    return valid_elements(schema).map(to_text)


@st.composite
def domain_elements(draw: st.DrawFn, hostile: bool = False) -> etree._Element:
    """Refined domain documents as lxml trees (see domaingen)."""
    return generate_domain(DrawChooser(draw), hostile=hostile)


def domains(hostile: bool = False) -> st.SearchStrategy[str]:
    """Schema-valid domain XML that the engine loads; ``hostile``: commas and specials in values."""
    return domain_elements(hostile=hostile).map(to_text)


_SEEDS = st.integers(0, 2**64 - 1)


def seeded_domains(hostile: bool = False) -> st.SearchStrategy[str]:
    """The same documents as ``generate``, one drawn seed each: ~10x cheaper than ``domains``
    (one Hypothesis draw instead of ~170), for campaigns, whose failures are shrunk by
    campaign/minimize.py rather than by Hypothesis (a seed does not shrink)."""
    from .domaingen import generate_domain_text
    return _SEEDS.map(lambda seed: generate_domain_text(seed, hostile=hostile))


@st.composite
def invalid_documents(draw: st.DrawFn,
                      modes: tuple[str, ...] = tuple(mutate.MODES)) -> tuple[str, str, str]:
    """``(xml, mode, description)``: a domain the schema rejects, by a named error mode."""
    from hypothesis import assume
    root = draw(domain_elements())
    mode = draw(st.sampled_from(modes))
    result = mutate.mutate(root, mode, DrawChooser(draw))
    assume(result is not None)
    assert result is not None
    mutant, desc = result
    return to_text(mutant), mode, desc


__all__ = ["DrawChooser", "domains", "domain_elements", "invalid_documents", "seeded_domains",
           "valid_documents", "valid_elements"]
