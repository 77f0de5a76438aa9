"""The difference of two RELAX NG languages, as small witness documents.

What schema authors fear is a revision that rejects documents that used to be
valid. Random documents of one grammar checked against the other find some
differences; most revisions change one spot (a value added, an attribute made
required, a pattern tightened) that a random walk rarely hits. So the search
is led by structure (structure.py): the element paths whose content differs
are where a change can be, and for each element there, targeted documents
(targets.py) exercise every alternative, optional part, repetition count, data
value and order of its content. A document valid under one grammar and not
under the other is a witness; it is minimized (elements, attributes, text
removed while it stays a witness), explained by the other grammar's first
diagnostic (its path and reason), and confirmed by a second engine: jing where
installed, else the derivative validator. Random walks (``count`` per side) add
what the targets miss.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from virtconform.engine import rngderiv

from . import structure
from .rng import Grammar, GrammarError, load
from .targets import Builder
from .walker import RandomChooser, Unsatisfiable, Walker

#: witnesses kept per element context and direction before minimizing (the rest say the same)
PER_CONTEXT = 8
#: targeted documents tried per element context and direction
TRIES_PER_CONTEXT = 2500
#: witnesses minimized per group of the same path and reason (the smallest is kept)
PER_GROUP = 3


@dataclass
class Witness:
    """A document one grammar accepts and the other rejects, where and why."""

    document: str
    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"document": self.document, "path": self.path, "reason": self.reason}


@dataclass
class Report:
    only_old: list[Witness] = field(default_factory=list)
    only_new: list[Witness] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    tried: int = 0
    confirmed_by: str = "libxml2"

    def as_dict(self) -> dict[str, object]:
        return {"only_old": [w.as_dict() for w in self.only_old],
                "only_new": [w.as_dict() for w in self.only_new]}


class Side:
    """One grammar: its pattern tree, libxml2's validator, and the derivative one."""

    def __init__(self, path: str | Path, text: bytes | None = None) -> None:
        self.path = str(path)
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        try:
            if text is None:
                tree = etree.parse(self.path, parser)
                try:
                    self.grammar: Grammar = load(self.path)
                except GrammarError:
                    text = library_roots(tree, self.path)
                    if text is None:
                        raise
            if text is not None:
                from .rng import loads
                tree = etree.ElementTree(etree.fromstring(text, parser, base_url=self.path))
                self.grammar = loads(text, self.path)
        except OSError as e:
            raise GrammarError(f"cannot read grammar: {e.strerror or e}", self.path) from None
        except etree.XMLSyntaxError as e:
            raise GrammarError(f"malformed grammar: {e.msg}", self.path,
                               e.position[0] if e.position else 1) from None
        self.text = text if text is not None else Path(self.path).read_bytes()
        try:
            self.alg: rngderiv.Algebra | None = rngderiv.Algebra(self.grammar)
        except (GrammarError, RecursionError):
            self.alg = None
        try:
            self.lxml: etree.RelaxNG | None = etree.RelaxNG(tree)
        except etree.RelaxNGParseError as e:
            # libxml2 refuses some grammars other engines take (its interleave restrictions):
            # the derivative validator then decides alone
            self.lxml = None
            if self.alg is None:
                raise GrammarError(f"not a usable RELAX NG grammar: {' '.join(str(e).split())}",
                                   self.path, 1) from None

    def valid(self, root: etree._Element) -> bool:
        if self.lxml is None:
            return not rngderiv.diagnose(self.alg, root)  # type: ignore[arg-type]
        return bool(self.lxml.validate(root))

    def derivative_valid(self, root: etree._Element) -> bool | None:
        return None if self.alg is None else not rngderiv.diagnose(self.alg, root)

    def why(self, root: etree._Element) -> tuple[str, str]:
        """(path, reason) of the first problem of ``root`` under this grammar."""
        if self.alg is not None:
            found = rngderiv.diagnose(self.alg, root)
            if found:
                order = {id(e): i for i, e in enumerate(root.iter())}
                d = min(found, key=lambda d: order.get(id(d.element), 0))
                path = _path(d.element) + (f"/@{d.attribute.rsplit('}', 1)[-1]}" if d.attribute else "")
                return path, d.message
        if self.lxml is None:
            return "/", "rejected"
        self.lxml.validate(root)
        entry = next(iter(self.lxml.error_log), None)
        message = " ".join((entry.message if entry else "rejected").split())
        return (entry.path if entry and entry.path else "/"), message


def library_roots(tree: etree._ElementTree, path: str) -> bytes | None:
    """A grammar without a start, such as libvirt's storageencryption.rng (a library of
    defines that domain.rng includes), as one whose roots are its element defines: two
    revisions of the library then compare as the languages of those elements. None when
    it defines no element."""
    from .rng import RNG_NS
    root = tree.getroot()
    if root.tag != f"{{{RNG_NS}}}grammar" or next(root.iter(f"{{{RNG_NS}}}start"), None) is not None:
        return None
    names: list[str] = []
    for d in root.iter(f"{{{RNG_NS}}}define"):
        body = [c for c in d if isinstance(c.tag, str)]
        if len(body) == 1 and body[0].tag == f"{{{RNG_NS}}}element" and d.get("name") not in names:
            names.append(d.get("name", ""))
    if not names:
        return None
    refs = "".join(f'<ref name="{n}"/>' for n in names)
    lib = root.get("datatypeLibrary")
    head = (f'<grammar xmlns="{RNG_NS}"' + (f' datatypeLibrary="{lib}"' if lib else "") + ">"
            f'<include href="{Path(path).name}"/><start><choice>{refs}</choice></start>')
    # what the library leaves to the grammar including it (libvirt's UUID type) is any text
    given = ""
    from .rng import loads
    for _ in range(100):
        text = (head + given + "</grammar>").encode()
        try:
            loads(text, path)
            return text
        except GrammarError as e:
            m = re.match(r"reference to undefined pattern '([^']+)'", e.message)
            if m is None:
                return text  # a fault of the library itself: reported when loaded as it is
            given += f'<define name="{m.group(1)}"><text/></define>'
    return None


def _path(el: etree._Element) -> str:
    parts = [etree.QName(e).localname for e in reversed(list(el.iterancestors()))]
    return "/" + "/".join(parts + [etree.QName(el).localname])


def minimize(root: etree._Element, keep: Callable[[etree._Element], bool]) -> etree._Element:
    """Remove elements, attributes and text while ``keep`` holds (greedy, to a fixpoint)."""
    changed = True
    while changed:
        changed = False
        for el in list(root.iter())[1:]:
            parent = el.getparent()
            if parent is None or not isinstance(el.tag, str):
                continue
            at = parent.index(el)
            parent.remove(el)
            if keep(root):
                changed = True
            else:
                parent.insert(at, el)
        for el in root.iter():
            for name in list(el.attrib):
                value = el.attrib[name]
                del el.attrib[name]
                if keep(root):
                    changed = True
                    continue
                el.set(name, value)
                if len(value) > 1:
                    el.set(name, value[:1])
                    if keep(root):
                        changed = True
                    else:
                        el.set(name, value)
            if el.text and el.text.strip() and len(el) == 0:
                text = el.text
                for shorter in ("", text.strip()[:1]):
                    if shorter != text:
                        el.text = shorter
                        if keep(root):
                            changed = True
                            break
                        el.text = text
    return root


def _text(root: etree._Element) -> str:
    root = etree.fromstring(etree.tostring(root))
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


def jing() -> str | None:
    """The jing command, when installed (a second RELAX NG engine)."""
    return shutil.which("jing")


def _jing_invalid(cmd: str, grammar: Side, files: list[Path]) -> set[str] | None:
    """Files jing rejects under ``grammar``; None when jing cannot use the grammar."""
    on_disk = Path(grammar.path)
    with tempfile.TemporaryDirectory(prefix="vc-jing-grammar-") as tmp:
        schema = on_disk
        if not on_disk.is_file() or on_disk.read_bytes() != grammar.text:
            # an in-memory grammar: written with copies of its sibling grammars (its includes)
            if on_disk.parent.is_dir():
                for sibling in on_disk.parent.glob("*.rng"):
                    shutil.copy(sibling, Path(tmp) / sibling.name)
            schema = Path(tmp) / f"vc-{on_disk.name}"  # not a sibling's name: it may include it
            schema.write_bytes(grammar.text)
        try:
            r = subprocess.run([cmd, str(schema), *map(str, files)], capture_output=True,
                               text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            return None
    names = {str(f) for f in files}
    bad: set[str] = set()
    for line in r.stdout.splitlines():
        m = re.match(r"(.+?):\d+:\d+: (?:fatal )?error: ", line)
        if m is None:
            continue
        if m.group(1) not in names:
            return None  # an error in the grammar itself
        bad.add(m.group(1))
    return bad if r.returncode in (0, 1) else None


def _shape(reason: str) -> str:
    """A reason without its context (what was expected) and with its quoted values blanked:
    witnesses that differ only there show the same difference."""
    return re.sub(r"'[^']*'", "'…'", reason.split(";", 1)[0])


class Search:
    """Witnesses in one direction: valid under ``a``, invalid under ``b``."""

    def __init__(self, a: Side, b: Side, seed: int) -> None:
        self.a, self.b = a, b
        self.builder = Builder(a.grammar.start, seed)
        self.found: list[etree._Element] = []
        self.tried = 0

    def is_witness(self, root: etree._Element) -> bool:
        return self.a.valid(root) and not self.b.valid(root)

    def targeted(self, contexts: list[structure.Context]) -> None:
        for ctx in contexts:
            chain = ctx.chain()
            hits = 0
            for n, feature in enumerate(self.builder.features(ctx.element)):
                if n >= TRIES_PER_CONTEXT or hits >= PER_CONTEXT:
                    break
                try:
                    root = self.builder.document(chain, feature.plan)
                except (Unsatisfiable, RecursionError):
                    continue
                self.tried += 1
                if self.is_witness(root):
                    self.found.append(root)
                    hits += 1

    def random(self, count: int, seed: int) -> None:
        for k in range(count):
            try:
                root = Walker(RandomChooser(f"diff:{seed}:{k}")).document(self.a.grammar.start)
            except (Unsatisfiable, RecursionError):
                continue
            self.tried += 1
            if self.is_witness(root):
                self.found.append(root)

    def witnesses(self) -> list[Witness]:
        """Minimized, explained, one per (path, kind of reason), smallest first."""
        groups: dict[tuple[str, str], list[etree._Element]] = {}
        for root in sorted(self.found, key=lambda r: len(etree.tostring(r))):
            path, reason = self.b.why(root)
            groups.setdefault((path, _shape(reason)), []).append(root)
        out: dict[tuple[str, str], Witness] = {}
        # the few smallest of each group are minimized: random names make sizes a poor guide
        for root in (r for roots in groups.values() for r in roots[:PER_GROUP]):
            small = minimize(etree.fromstring(etree.tostring(root)), self.is_witness)
            path, reason = self.b.why(small)
            key = (path, _shape(reason))
            text = _text(small)
            if key not in out or len(text) < len(out[key].document):
                out[key] = Witness(text, path, reason)
        return sorted(out.values(), key=lambda w: (w.path, w.reason))


def _confirm(report: Report, old: Side, new: Side) -> None:
    """Drop witnesses a second engine does not confirm (jing, else the derivative validator)."""
    cmd = jing()
    pairs = [(report.only_new, new, old), (report.only_old, old, new)]
    if cmd is not None and (report.only_new or report.only_old):
        with tempfile.TemporaryDirectory(prefix="vc-witness-") as tmp:
            files: dict[int, Path] = {}
            for i, w in enumerate(report.only_new + report.only_old):
                files[id(w)] = Path(tmp) / f"w{i}.xml"
                files[id(w)].write_text(w.document, encoding="utf-8")
            all_files = list(files.values())
            verdicts = {id(s): _jing_invalid(cmd, s, all_files) for s in (old, new)}
            if all(v is not None for v in verdicts.values()):
                for witnesses, a, b in pairs:
                    bad_a, bad_b = verdicts[id(a)], verdicts[id(b)]
                    witnesses[:] = [w for w in witnesses if str(files[id(w)]) not in bad_a  # type: ignore[operator]
                                    and str(files[id(w)]) in bad_b]  # type: ignore[operator]
                report.confirmed_by = "libxml2 and jing"
                return
    for witnesses, a, b in pairs:
        kept = []
        for w in witnesses:
            root = etree.fromstring(w.document.encode())
            va, vb = a.derivative_valid(root), b.derivative_valid(root)
            if va is not False and vb is not True:
                kept.append(w)
        witnesses[:] = kept
    report.confirmed_by = "libxml2 and derivatives"


def diff(old: Side, new: Side, count: int = 100, seed: int = 0) -> Report:
    """The witnesses of ``L(old) - L(new)`` and ``L(new) - L(old)``."""
    comparison = structure.compare(old.grammar, new.grammar)
    report = Report(changed_paths=comparison.changed)
    for a, b, side, sink in ((new, old, "new", report.only_new), (old, new, "old", report.only_old)):
        search = Search(a, b, seed)
        search.targeted(list(comparison.contexts(side)))
        search.random(count, seed)
        report.tried += search.tried
        sink.extend(search.witnesses())
    _confirm(report, old, new)
    return report


def render(report: Report, old_name: str, new_name: str) -> str:
    """The report for a person: each direction, each witness with its path, reason and document."""
    lines: list[str] = []
    for title, witnesses in ((f"valid under {new_name}, rejected by {old_name} (newly accepted)",
                              report.only_new),
                             (f"valid under {old_name}, rejected by {new_name} (no longer accepted)",
                              report.only_old)):
        lines.append(f"{len(witnesses)} {'difference' if len(witnesses) == 1 else 'differences'} "
                     f"{title}")
        for w in witnesses:
            lines.append(f"  {w.path}: {w.reason}")
            lines.extend("      " + line for line in w.document.splitlines())
    if not report.only_new and not report.only_old:
        lines = [f"no difference found ({report.tried} documents tried, "
                 f"{len(report.changed_paths)} element paths differ in structure)"]
    else:
        lines.append(f"({report.tried} documents tried; witnesses confirmed by {report.confirmed_by})")
    return "\n".join(lines)
