"""Targeted documents: the smallest instance that exercises one spot of a grammar.

A random walk rarely hits the one value a revision added; a targeted document
goes straight there. The builder steers through a chain of element patterns
(root ... target element) producing only what is required elsewhere, and in the
target element's own content it follows a *plan*: one decision per pattern node
(which alternative, how many repeats, which data value, which interleave order).
``features`` lists the plans worth trying for an element: every alternative,
every optional present, repeats at 0/1/2/3, every data node with values that
differ from the smallest in one decision, every interleave reversed.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from virtconform.engine import xsd

from . import regexgen
from .rng import (
    Attribute,
    Choice,
    Data,
    Element,
    Empty,
    Group,
    Interleave,
    ListP,
    NotAllowed,
    OneOrMore,
    Optional,
    Pattern,
    Ref,
    Text,
    Value,
    ZeroOrMore,
    children,
)
from .walker import INT_RANGES, Content, RandomChooser, Unsatisfiable, Walker, min_costs

Plan = dict[int, object]  # pattern id -> decision (index, count, "reverse", or a string value)

#: strings tried where any text is allowed: what a stricter grammar would refuse
TEXT_PROBES = ["x", "", "a b", "0", "-1", "1.5", "X", "/x", "a,b", "x" * 300]


@dataclass
class Feature:
    """One plan for an element's content, and what it exercises (for reports)."""

    plan: Plan
    what: str


def lexical_variants(value: str) -> list[str]:
    """Other spellings of a value that a datatype alone may take and a pattern may refuse:
    a sign, leading zeros, surrounding white space (the difference between
    ``xsd:unsignedInt`` and ``xsd:unsignedInt { pattern = "[0-9]+" }``)."""
    out = [f" {value} ", f"{value}\n"]
    if value[:1].isdigit():
        out += ["+" + value, "0" + value]
    elif value[:1] == "-" and value[1:2].isdigit():
        out.append("-0" + value[1:])
    return out


class Builder:
    """Builds targeted documents of one grammar."""

    def __init__(self, start: Pattern, seed: int = 0) -> None:
        self.start = start
        self.costs = min_costs(start)
        self.values = Walker(RandomChooser(random.Random(f"targets:{seed}")), max_repeat=1)
        self._leads: dict[tuple[int, int], bool] = {}
        self._plan: Plan = {}

    # ------------------------------------------------------------ steering
    def leads(self, p: Pattern, goal: Pattern) -> bool:
        """Whether ``goal`` can be produced inside ``p`` without entering another element."""
        key = (id(p), id(goal))
        got = self._leads.get(key)
        if got is None:
            self._leads[key] = False  # cycles through refs: not via this way
            if p is goal:
                got = True
            elif isinstance(p, Element):
                got = False
            else:
                got = any(self.leads(c, goal) for c in children(p))
            self._leads[key] = got
        return got

    def cost(self, p: Pattern) -> float:
        return self.costs.get(id(p), 0)

    def document(self, chain: list[Element], plan: Plan | None = None) -> etree._Element:
        """A document through ``chain`` (root element pattern first); ``plan`` applies to the last."""
        out = Content()
        self._plan = plan if plan is not None else {}
        self.fill(self.start, out, chain, 0, None)
        roots = [i for i in out.items if not isinstance(i, str)]
        if len(roots) != 1:
            raise Unsatisfiable("no single root element")
        return roots[0]

    def element(self, p: Element, chain: list[Element], level: int) -> etree._Element:
        out = Content()
        on_chain = level < len(chain) and chain[level] is p
        if on_chain and level == len(chain) - 1:
            self.fill(p.body, out, chain, level + 1, self._plan)
        elif on_chain:
            self.fill(p.body, out, chain, level + 1, None)
        else:
            self.fill(p.body, out, [], 0, None)
        return out.build(self.values.name(p.name))

    def fill(self, p: Pattern, out: Content, chain: list[Element], level: int, plan: Plan | None) -> None:
        """Produce ``p`` into ``out``; ``chain[level]`` is the element still to reach, if any."""
        goal = chain[level] if level < len(chain) else None
        decided = plan.get(id(p)) if plan is not None else None
        if isinstance(p, Ref):
            self.fill(p.resolve(), out, chain, level, plan)
        elif isinstance(p, Element):
            if goal is p:
                out.items.append(self.element(p, chain, level))
            else:
                out.items.append(self.element(p, [], 0))
        elif isinstance(p, Attribute):
            value = Content()
            self.fill(p.body, value, [], 0, plan)
            out.attrs[self.values.name(p.name)] = value.text()
        elif isinstance(p, Group | Interleave):
            items = list(p.items)
            if decided == "reverse":
                items.reverse()
            for item in items:
                if goal is not None and self.leads(item, goal):
                    self.fill(item, out, chain, level, plan)
                    goal = None
                    chain, level = [], 0
                else:
                    self.fill(item, out, [], 0, plan)
        elif isinstance(p, Choice):
            allowed = [i for i, it in enumerate(p.items) if not isinstance(it, NotAllowed)]
            if isinstance(decided, int) and decided in allowed:
                idx = decided
            elif goal is not None and any(self.leads(p.items[i], goal) for i in allowed):
                idx = next(i for i in allowed if self.leads(p.items[i], goal))
            else:
                idx = min(allowed, key=lambda i: self.cost(p.items[i]))
            self.fill(p.items[idx], out, chain, level, plan)
        elif isinstance(p, Optional | ZeroOrMore | OneOrMore):
            lo = 1 if isinstance(p, OneOrMore) else 0
            n = decided if isinstance(decided, int) else (1 if goal is not None and self.leads(p.item, goal) else lo)
            for k in range(max(n, lo)):
                if k == 0:
                    self.fill(p.item, out, chain, level, plan)
                else:
                    self.fill(p.item, out, [], 0, plan)
        elif isinstance(p, ListP):
            inner = Content()
            self.fill(p.item, inner, [], 0, plan)
            out.items.append(" ".join(i for i in inner.items if isinstance(i, str)))
        elif isinstance(p, Text):
            out.items.append(decided if isinstance(decided, str) else "x")
        elif isinstance(p, Value):
            out.items.append(decided if isinstance(decided, str) else p.value)
        elif isinstance(p, Data):
            out.items.append(decided if isinstance(decided, str) else self.values.data(p))
        elif isinstance(p, Empty):
            pass
        elif isinstance(p, NotAllowed):
            raise Unsatisfiable("notAllowed")

    # ------------------------------------------------------------ features
    def features(self, element: Element, max_values: int = 160) -> Iterator[Feature]:
        """Plans for ``element``'s content, each exercising one spot (the smallest first)."""
        yield Feature({}, "smallest content")
        for node, route in self._local_nodes(element.body):
            base: Plan = dict(route)
            if isinstance(node, Choice):
                for i, item in enumerate(node.items):
                    if not isinstance(item, NotAllowed):
                        yield Feature({**base, id(node): i}, f"alternative {i + 1}")
            elif isinstance(node, Optional):
                yield Feature({**base, id(node): 1}, "optional part present")
            elif isinstance(node, ZeroOrMore | OneOrMore):
                for n in (0, 1, 2, 3) if isinstance(node, ZeroOrMore) else (1, 2, 3):
                    yield Feature({**base, id(node): n}, f"{n} repetitions")
            elif isinstance(node, Interleave) and len(node.items) > 1:
                full = {**base, id(node): "reverse"}
                for item in node.items:
                    while isinstance(item, Ref):
                        item = item.resolve()
                    if isinstance(item, Optional | ZeroOrMore):
                        full[id(item)] = 1
                yield Feature(full, "parts in reverse order")
            elif isinstance(node, Data):
                for v in self.data_samples(node, max_values):
                    yield Feature({**base, id(node): v}, f"value {v!r}")
            elif isinstance(node, Value) and node.type not in ("string", "normalizedString"):
                # the same token with white space around it: a string-typed value refuses it
                yield Feature({**base, id(node): f" {node.value} "}, f"value {node.value!r} spaced")
            elif isinstance(node, Text):
                for v in TEXT_PROBES:
                    yield Feature({**base, id(node): v}, f"text {v[:20]!r}")
            elif isinstance(node, Element):
                yield Feature(base, "child element present")

    def _local_nodes(self, body: Pattern) -> Iterator[tuple[Pattern, Plan]]:
        """Nodes of an element's own content with the decisions that reach each (first route)."""
        seen: set[int] = set()
        stack: list[tuple[Pattern, Plan]] = [(body, {})]
        while stack:
            p, route = stack.pop()
            if id(p) in seen:
                continue
            seen.add(id(p))
            yield p, route
            if isinstance(p, Element):
                continue
            if isinstance(p, Choice):
                kids = [(c, {**route, id(p): i}) for i, c in enumerate(p.items)]
            elif isinstance(p, Optional | ZeroOrMore | OneOrMore):
                kids = [(p.item, {**route, id(p): 1})]
            else:
                kids = [(c, route) for c in children(p)]
            stack.extend(reversed(kids))

    def data_samples(self, p: Data, limit: int) -> list[str]:
        """Valid values of a data pattern that differ from each other in one decision."""
        params = dict(p.params)
        patterns = [v for k, v in p.params if k == "pattern"]
        cands: list[str] = []
        if patterns:
            try:
                cands += regexgen.variants(regexgen.parse(patterns[0]), limit)
            except (regexgen.RegexError, ValueError, IndexError):
                pass
        if p.type in INT_RANGES:
            lo, hi = INT_RANGES[p.type]
            lo = max(lo, int(params.get("minInclusive", lo)))
            hi = min(hi, int(params.get("maxInclusive", hi)))
            edges = {lo, hi, lo + 1, hi - 1, 0, 1, 2, 9, 10, 99, 100, 255, 256, 1023, 1024, 65535, 65536,
                     2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, -1, -128, -32768, -2**31}
            cands += [str(v) for v in sorted(edges)]
        elif not patterns:
            cands += TEXT_PROBES
        for k in range(8):
            try:
                cands.append(Walker(RandomChooser(random.Random(f"sample:{k}"))).data(p))
            except Unsatisfiable:
                break
        cands += [v for c in list(cands[:12]) for v in lexical_variants(c)]
        out: dict[str, None] = {}
        for s in cands:
            if s in out or xsd.check(p.type, p.library, p.params, s) is not None:
                continue
            if p.except_ is not None:
                from .walker import value_matches
                if value_matches(p.except_, s):
                    continue
            out[s] = None
            if len(out) >= limit:
                break
        return list(out)
