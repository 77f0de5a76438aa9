"""Pattern coverage: which parts of a schema no document of a corpus exercises.

A schema author's blind spots: an element no test document has, an attribute
never given, an enumeration value never used, an alternative never taken, a
repetition never more than once. Items are keyed by element path, so they read
like the documents (``/domain/devices/disk/driver/@cache = 'writeback'``). An
alternative of a choice is told apart by what only it has (an attribute, a value,
a child element); one with nothing of its own is not listed. Only documents the
schema accepts count. The report is plain data (``as_dict``) for any renderer.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from . import structure
from .rng import (
    Attribute,
    Choice,
    Element,
    Grammar,
    NotAllowed,
    OneOrMore,
    Pattern,
    Value,
    ZeroOrMore,
)

KINDS = ("element", "attribute", "value", "choice", "repeat")
#: documents named per pattern as examples of exercising it (the HTML page links them)
EXAMPLES = 5


@dataclass(frozen=True)
class Item:
    """One pattern to exercise: its kind, the path it lives at, and what exactly."""

    kind: str
    path: str
    detail: str = ""
    tokens: frozenset[str] = frozenset()  # choice: what only this alternative has

    def label(self) -> str:
        if self.kind == "value":
            return f"{self.path} = {self.detail!r}"
        if self.kind in ("choice", "repeat"):
            return f"{self.path}: {self.detail}"
        return self.path


@dataclass
class Report:
    schema: str
    documents: int = 0
    invalid: list[str] = field(default_factory=list)
    counts: dict[Item, int] = field(default_factory=dict)
    examples: dict[Item, list[str]] = field(default_factory=dict)  # the first documents exercising each

    @property
    def missing(self) -> list[Item]:
        return [i for i, n in self.counts.items() if n == 0]

    def as_dict(self) -> dict[str, object]:
        total = len(self.counts)
        hit = total - len(self.missing)
        return {
            "schema": self.schema, "documents": self.documents, "invalid": self.invalid,
            "patterns": total, "exercised": hit,
            "percent": round(100.0 * hit / total, 2) if total else 100.0,
            "by_kind": {k: {"patterns": sum(1 for i in self.counts if i.kind == k),
                            "exercised": sum(1 for i, n in self.counts.items() if i.kind == k and n)}
                        for k in KINDS},
            "items": [{"kind": i.kind, "path": i.path, "detail": i.detail, "documents": n,
                       "examples": self.examples.get(i, [])} for i, n in self.counts.items()],
            "missing": [{"kind": i.kind, "path": i.path, "detail": i.detail} for i in self.missing],
        }

    def render(self) -> str:
        d = self.as_dict()
        lines = [f"{self.documents} documents ({len(self.invalid)} rejected by the schema, not counted)",
                 f"{d['exercised']} of {d['patterns']} patterns exercised ({d['percent']}%)"]
        for kind, c in d["by_kind"].items():  # type: ignore[attr-defined]
            lines.append(f"  {kind + 's':11s} {c['exercised']}/{c['patterns']}")
        missing = self.missing
        if missing:
            lines.append("never exercised:")
            lines.extend(f"  {i.kind:9s} {i.label()}" for i in missing)
        return "\n".join(lines) + "\n"


def _local(body: Pattern) -> list[Pattern]:
    """The nodes of an element's own content, attribute values included."""
    return structure.local_nodes(body, attributes=True)


def _values(p: Pattern) -> list[str]:
    """Enumerated values a data position offers."""
    return [" ".join(v.value.split()) for v in _local(p) if isinstance(v, Value)]


def _tokens(p: Pattern) -> set[str]:
    """What an alternative puts in an element: ``@name``, ``@name=value``, ``<child>``, ``=value``."""
    out: set[str] = set()
    in_attr: set[int] = set()
    for q in _local(p):
        if isinstance(q, Attribute):
            for n in structure.label(q.name):
                out.add(f"@{n}")
                out.update(f"@{n}={v}" for v in _values(q.body))
            in_attr.update(id(x) for x in _local(q.body))
        elif isinstance(q, Element):
            out.update(f"<{n}>" for n in structure.label(q.name))
    for q in _local(p):
        if isinstance(q, Value) and id(q) not in in_attr:
            out.add("=" + " ".join(q.value.split()))
    return out


def items(grammar: Grammar) -> list[Item]:
    """Every pattern worth exercising, in path order."""
    found: dict[tuple[str, str, str], Item] = {}

    def add(item: Item) -> None:
        if "*" not in item.path:
            found.setdefault((item.kind, item.path, item.detail), item)

    for ctx in structure.contexts(grammar):
        path = ctx.path
        add(Item("element", path))
        nodes = _local(ctx.element.body)
        in_attr: set[int] = set()
        for q in nodes:
            if isinstance(q, Attribute):
                for n in structure.label(q.name):
                    add(Item("attribute", f"{path}/@{n}"))
                    for v in _values(q.body):
                        add(Item("value", f"{path}/@{n}", v))
                in_attr.update(id(x) for x in _local(q.body))
        for q in nodes:
            if isinstance(q, Value) and id(q) not in in_attr:
                add(Item("value", path, " ".join(q.value.split())))
            elif isinstance(q, Choice) and id(q) not in in_attr:
                alts = [a for a in q.items if not isinstance(a, NotAllowed)]
                toks = [_tokens(a) for a in alts]
                for i, mine in enumerate(toks):
                    others = set().union(*(t for j, t in enumerate(toks) if j != i))
                    own = frozenset(mine - others)
                    if own and len(alts) > 1:
                        add(Item("choice", path, "the alternative with " + ", ".join(sorted(own)[:3]), own))
            elif isinstance(q, ZeroOrMore | OneOrMore):
                for e in _local(q.item):
                    if isinstance(e, Element):
                        for n in structure.label(e.name):
                            add(Item("repeat", f"{path}/{n}", "more than once"))
    return sorted(found.values(), key=lambda i: (i.path, KINDS.index(i.kind), i.detail))


def observe(root: etree._Element, seen: dict[str, set[str]]) -> None:
    """Record what each element path of a document has (tokens, as ``_tokens`` names them)."""
    def visit(el: etree._Element, prefix: str) -> None:
        path = f"{prefix}/{etree.QName(el).localname}"
        got = seen.setdefault(path, set())
        got.add("")
        for k, v in el.attrib.items():
            n = etree.QName(k).localname
            got.add(f"@{n}")
            got.add(f"@{n}={' '.join(v.split())}")
        kids = [c for c in el if isinstance(c.tag, str)]
        counts = Counter(etree.QName(c).localname for c in kids)
        for n, c in counts.items():
            got.add(f"<{n}>")
            if c > 1:
                got.add(f"<{n}>*")
        if not kids and el.text and el.text.strip():
            got.add("=" + " ".join(el.text.split()))
        for c in kids:
            visit(c, path)
    visit(root, "")


def exercised(item: Item, seen: dict[str, set[str]]) -> bool:
    if item.kind == "element":
        return item.path in seen
    if item.kind == "attribute":
        parent, _, name = item.path.rpartition("/")
        return name in seen.get(parent, ())
    if item.kind == "value":
        if "/@" in item.path.rsplit("/", 1)[-1] or item.path.rsplit("/", 1)[-1].startswith("@"):
            parent, _, name = item.path.rpartition("/")
            return f"{name}={item.detail}" in seen.get(parent, ())
        return f"={item.detail}" in seen.get(item.path, ())
    if item.kind == "choice":
        return bool(item.tokens & seen.get(item.path, set()))
    parent, _, name = item.path.rpartition("/")
    return f"<{name}>*" in seen.get(parent, ())


def measure(grammar: Grammar, grammar_path: str, files: list[str]) -> Report:
    """Coverage of the grammar's patterns by the documents it accepts among ``files``."""
    from virtconform.engine import schema
    from virtconform.engine.errors import DocumentError, InputError
    from virtconform.engine.xmlio import read_document

    report = Report(schema=grammar_path)
    all_items = items(grammar)
    report.counts = dict.fromkeys(all_items, 0)
    for f in files:
        report.documents += 1
        try:
            doc = read_document(f)
            problems = schema.validate(doc, grammar_path)
        except (InputError, DocumentError) as e:
            report.invalid.append(f"{f}: {e.message}")
            continue
        if problems:
            report.invalid.append(problems[0].format(f))
            continue
        seen: dict[str, set[str]] = {}
        observe(doc.root, seen)
        for item in all_items:
            if exercised(item, seen):
                report.counts[item] += 1
                if report.counts[item] <= EXAMPLES:
                    report.examples.setdefault(item, []).append(f)
    return report
