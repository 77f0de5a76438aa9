"""One verdict per (document, mode, capability set), and what *kind* each difference is.

Two answers agree when both built the same text, or both refused. Otherwise
the verdict names its outcome and the kinds of difference: a stable signature
made of the mode and *which* option or element differs (``argv: -boot only in
libvirt``, ``xml2xml: /domain/devices/memballoon only in ours``,
``argv: -drive: boot= differs``), never the values, so that one rule of the
engine that is wrong gives one group however many documents show it.
Refusal messages are compared blurred (quoted values and numbers hidden).
argv2xml outputs are compared as libvirt's own test compares them (``blank``).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lxml import etree

from virtconform.conformance.campaign.minimize import signature
from virtconform.conformance.suites.shared import blank
from virtconform.engine.qemu.escape import split_options

from .answers import BROKEN, CRASH, HANG, HOST, OK, Answer

AGREE = "agree"
DIFFERENT = "different output"
WE_BUILD = "we build, libvirt refuses"
WE_REFUSE = "we refuse, libvirt builds"
LIBVIRT_CRASH = "libvirt crashes"
LIBVIRT_HANG = "libvirt hangs"
HOST_DEPENDENT = "host-dependent"
OURS_BROKEN = "our internal error"
#: the kind of argv difference that our doubled commas explain (QEMU reads ``,,`` as a comma;
#: libvirt 0.8.3 wrote a value's commas as they are: deviation comma-in-option-value)
DOUBLED_COMMAS = "argv: commas doubled in option values"
#: outcomes that are disagreements (the others agree or are counted apart)
DISAGREEMENTS = (DIFFERENT, WE_BUILD, WE_REFUSE, OURS_BROKEN, LIBVIRT_HANG)


@dataclass(frozen=True)
class Verdict:
    outcome: str
    kinds: tuple[str, ...] = ()
    detail: str = ""

    @property
    def agrees(self) -> bool:
        return self.outcome == AGREE


def judge(mode: str, ours: Answer, theirs: Answer) -> Verdict:
    """The verdict for one item; ``mode`` is xml2xml, argv or argv2xml."""
    if theirs.status == HOST:
        return Verdict(HOST_DEPENDENT, detail=theirs.text)
    if theirs.status == CRASH:
        side = "we build" if ours.built else f"we refuse: {signature(ours.text)}"
        return Verdict(LIBVIRT_CRASH, (f"{mode}: libvirt crashes, {side}",), theirs.text)
    if theirs.status == HANG:  # a disagreement, unless a deviation row refuses it (implied-controllers)
        side = "we build" if ours.built else f"we refuse: {signature(ours.text)}"
        return Verdict(LIBVIRT_HANG, (f"{mode}: libvirt hangs, {side}",), theirs.text)
    if ours.status == BROKEN:
        return Verdict(OURS_BROKEN, (f"{mode}: our internal error: {signature(ours.text)}",), ours.text)
    if ours.status == OK and theirs.status == OK:
        a, b = (blank(ours.text), blank(theirs.text)) if mode == "argv2xml" else (ours.text, theirs.text)
        if a == b:
            return Verdict(AGREE)
        if mode == "argv":
            return _argv_verdict(a, b)
        kinds, detail = xml_kinds(a, b)
        return Verdict(DIFFERENT, tuple(f"{mode}: {k}" for k in kinds), detail)
    if ours.status == OK:
        return Verdict(WE_BUILD, (f"{mode}: we build, libvirt refuses: {signature(theirs.text)}",),
                       f"libvirt: {theirs.text}")
    if theirs.status == OK:
        return Verdict(WE_REFUSE, (f"{mode}: we refuse, libvirt builds: {signature(ours.text)}",),
                       f"ours: {ours.text}")
    return Verdict(AGREE)


def _argv_verdict(ours: str, theirs: str) -> Verdict:
    """Two command lines that differ: their kinds; where our doubled commas explain part of
    it, that part is the one kind DOUBLED_COMMAS (and the rest is compared without them)."""
    plain = _undoubled(ours, theirs)
    if plain == ours:
        kinds, detail = argv_kinds(ours, theirs)
        return Verdict(DIFFERENT, tuple(f"argv: {k}" for k in kinds), detail)
    _, detail = argv_kinds(ours, theirs)
    rest = argv_kinds(plain, theirs)[0] if plain != theirs else []
    return Verdict(DIFFERENT, (DOUBLED_COMMAS, *(f"argv: {k}" for k in rest)), detail)


def _undoubled(ours: str, theirs: str) -> str:
    """``ours`` with libvirt's word wherever ours is that word with its commas doubled."""
    a, b = ours.split(" "), theirs.split(" ")
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out = list(a)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if ",," in a[i] and a[i].replace(",,", ",") == b[j]:  # ",,,," (a value's ",,") -> ",,"
                    out[i] = b[j]
    return " ".join(out)


def kind_subject(kind: str) -> str | None:
    """What an output kind is about, as it is written in a command line or XML:
    ``name=`` for ``argv: -device virtserialport: name= differs``, ``-boot`` for
    ``argv: -boot only in libvirt``, ``port=`` for ``xml2xml: /domain/.../@port differs``,
    ``<memballoon`` for ``xml2xml: /domain/devices/memballoon only in ours``; None for
    outcome kinds (refusals, crashes) and for spacing or formatting."""
    mode, _, rest = kind.partition(": ")
    for suffix in (" only in ours", " only in libvirt", " placed differently", " text differs", " differs"):
        if rest.endswith(suffix):
            head = rest[:-len(suffix)]
            break
    else:
        return None
    if mode != "argv":
        path, _, attr = head.partition("/@")
        return f"{attr}=" if attr else f"<{path.rsplit('/', 1)[-1]}" if path.startswith("/") else None
    key, _, sub = head.partition(": ")
    opt, _, driver = key.partition(" ")
    if opt == "env":
        return f"{driver}="
    if not opt.startswith("-") and opt != "emulator":
        return None
    if sub and re.fullmatch(r"[^ ]+=(?:#\d+)?", sub):
        return sub.split("#")[0]
    return driver or opt


# ---------------------------------------------------------------- command lines
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
#: options whose first sub-option names what they make (a device driver, a backend)
_QUALIFIED = frozenset({"-device", "-net", "-netdev", "-chardev"})


@dataclass(frozen=True)
class Item:
    key: str           # what aligns: the option, with its driver where it has one
    value: str | None  # its argument

    def show(self) -> str:
        if self.key.startswith("env "):
            return f"{self.key[4:]}={self.value}"
        opt = self.key.split(" ")[0]
        return opt if self.value is None else f"{opt} {self.value}"


def argv_items(line: str) -> list[Item]:
    """A command line in libvirt's form, as (option, argument) items."""
    words = line.split()
    items: list[Item] = []
    i = 0
    while i < len(words) and _ENV.match(words[i]):
        name, _, value = words[i].partition("=")
        items.append(Item(f"env {name}", value))
        i += 1
    if i < len(words):
        items.append(Item("emulator", words[i]))
        i += 1
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-"):
            items.append(Item("word", word))
            continue
        value = None
        while i < len(words) and not words[i].startswith("-"):  # a value may hold spaces
            value = words[i] if value is None else f"{value} {words[i]}"
            i += 1
        key = word
        if word in _QUALIFIED and value:
            first = value.split(",", 1)[0]  # a driver or backend name holds no comma
            if "=" not in first:
                key = f"{word} {first}"
        items.append(Item(key, value))
    return items


def argv_kinds(ours: str, theirs: str) -> tuple[list[str], str]:
    """Kinds of difference between two command lines, and the first one shown."""
    a, b = argv_items(ours), argv_items(theirs)
    sm = difflib.SequenceMatcher(None, [x.key for x in a], [y.key for y in b], autojunk=False)
    only_a: list[Item] = []
    only_b: list[Item] = []
    pairs: list[tuple[Item, Item]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            pairs += [(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True) if x.value != y.value]
        else:
            only_a += a[i1:i2]
            only_b += b[j1:j2]
    kinds: list[str] = []
    details: list[str] = []
    for x in list(only_a):  # the same option on both sides, at another place
        y = next((y for y in only_b if y.key == x.key), None)
        if y is not None:
            only_a.remove(x)
            only_b.remove(y)
            kinds.append(f"{x.key} placed differently")
            details.append(f"{x.key} placed differently")
            if x.value != y.value:
                pairs.append((x, y))
    for x, y in pairs:
        kinds += _value_kinds(x.key, x.value, y.value)
        details.append(f"ours `{x.show()}` / libvirt `{y.show()}`")
    kinds += [f"{x.key} only in ours" for x in only_a]
    kinds += [f"{y.key} only in libvirt" for y in only_b]
    details += [f"only in ours `{x.show()}`" for x in only_a] + [f"only in libvirt `{y.show()}`" for y in only_b]
    if not kinds:
        kinds, details = ["spacing differs"], [_first_line_diff(ours, theirs)]
    return _unique(kinds), "; ".join(details)[:600]


def _value_kinds(key: str, va: str | None, vb: str | None) -> list[str]:
    if va is None or vb is None:
        return [f"{key}: argument only in {'ours' if vb is None else 'libvirt'}"]
    pa, pb = split_options(va), split_options(vb)
    if max(len(pa), len(pb)) < 2 or not any("=" in p for p in pa + pb):
        return [f"{key}: value differs"]
    da, db = _suboptions(pa), _suboptions(pb)
    out = []
    for k in list(da) + [k for k in db if k not in da]:
        if k not in db:
            out.append(f"{key}: {k} only in ours")
        elif k not in da:
            out.append(f"{key}: {k} only in libvirt")
        elif da[k] != db[k]:
            out.append(f"{key}: {k} differs")
    return out or [f"{key}: sub-option order differs"]


def _suboptions(parts: list[str]) -> dict[str, str]:
    """``a,b=1,c=2`` as {'value': 'a', 'b=': '1', 'c=': '2'} (repeated keys numbered)."""
    out: dict[str, str] = {}
    positional = 0
    for p in parts:
        if "=" in p:
            k, _, v = p.partition("=")
            k += "="
        else:
            k, v = ("value" if positional == 0 else f"value {positional + 1}"), p
            positional += 1
        base, n = k, 2
        while k in out:
            k, n = f"{base}#{n}", n + 1
        out[k] = v
    return out


# ---------------------------------------------------------------- XML
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


def xml_kinds(ours: str, theirs: str) -> tuple[list[str], str]:
    """Kinds of difference between two XML texts (element paths), and the first lines that differ."""
    detail = _first_line_diff(ours, theirs)
    ra, rb = _xml(ours), _xml(theirs)
    if ra is None or rb is None:
        sides = [side for side, r in (("ours", ra), ("libvirt's", rb)) if r is None]
        return [f"output is not XML: {' and '.join(sides)}", *_line_kinds(ours, theirs)], detail
    kinds: list[str] = []
    if ra.tag != rb.tag:
        kinds.append(f"root element differs (<{ra.tag}> vs <{rb.tag}>)")
    else:
        _tree_diff(ra, rb, f"/{ra.tag}", kinds)
    if not kinds:
        kinds.append("formatting differs")
    return _unique(kinds), detail


def _xml(text: str) -> etree._Element | None:
    try:
        return etree.fromstring(text.encode(), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _tree_diff(a: etree._Element, b: etree._Element, path: str, out: list[str]) -> None:
    for k in list(a.attrib) + [k for k in b.attrib if k not in a.attrib]:
        if k not in b.attrib:
            out.append(f"{path}/@{k} only in ours")
        elif k not in a.attrib:
            out.append(f"{path}/@{k} only in libvirt")
        elif a.attrib[k] != b.attrib[k]:
            out.append(f"{path}/@{k} differs")
    if (a.text or "").strip() != (b.text or "").strip():
        out.append(f"{path} text differs")
    ca = [c for c in a if isinstance(c.tag, str)]
    cb = [c for c in b if isinstance(c.tag, str)]
    sm = difflib.SequenceMatcher(None, [c.tag for c in ca], [c.tag for c in cb], autojunk=False)
    only_a: list[etree._Element] = []
    only_b: list[etree._Element] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for x, y in zip(ca[i1:i2], cb[j1:j2], strict=True):
                _tree_diff(x, y, f"{path}/{x.tag}", out)
        else:
            only_a += ca[i1:i2]
            only_b += cb[j1:j2]
    for x in list(only_a):
        y = next((y for y in only_b if y.tag == x.tag), None)
        if y is not None:
            only_a.remove(x)
            only_b.remove(y)
            out.append(f"{path}/{x.tag} placed differently")
            _tree_diff(x, y, f"{path}/{x.tag}", out)
    out += [f"{path}/{x.tag} only in ours" for x in only_a]
    out += [f"{path}/{y.tag} only in libvirt" for y in only_b]


# ---------------------------------------------------------------- helpers
def _line_kinds(ours: str, theirs: str) -> list[str]:
    """Where two texts that are not both XML differ: the attribute (or element) each
    differing line pair diverges in, as ``line: /@ATTR differs`` (``/ELEMENT`` when no
    attribute value is open there)."""
    kinds = []
    for a, b in zip(ours.splitlines(), theirs.splitlines(), strict=False):
        if a == b:
            continue
        n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        attr = re.findall(r"([\w:-]+)='[^']*$", a[:n])
        elem = re.findall(r"<([\w:-]+)", a[:n])
        if attr:
            kinds.append(f"line: /@{attr[-1]} differs")
        elif elem:
            kinds.append(f"line: /{elem[-1]} text differs")
    return _unique(kinds)


def _first_line_diff(ours: str, theirs: str) -> str:
    lines = [ln for ln in difflib.unified_diff(theirs.splitlines(), ours.splitlines(), "libvirt", "ours",
                                               n=0, lineterm="")][2:]
    shown = [ln for ln in lines if not ln.startswith("@@")][:6]
    return "\n".join(ln if len(ln) < 300 else ln[:300] + "..." for ln in shown)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
