"""One-token typos of real documents, for the located-diagnostics tests.

Each typo edits the text of a document the way a person slips: a misspelled
element or attribute name, a wrong enumeration value (attribute or text), a bad
number, a slip in a path, a missing attribute, an element in the wrong place. It
records the line it changed and the token a good message names. Only typos that
make the document invalid (under the schema being tested) count; that filter is
the caller's.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

_START = r"<{name}(?=[\s/>])"
_ATTR = re.compile(rb"""(?<=\s)([A-Za-z_][\w.-]*)\s*=\s*(['"])(.*?)\2""", re.S)


@dataclass(frozen=True)
class Typo:
    kind: str
    data: bytes
    line: int  # 1-based line that changed
    token: str  # what the first diagnostic must name
    also: int = 0  # a move changes two places: the start line of the element it left

    def hit(self, line: int, message: str) -> bool:
        """Whether a first diagnostic at ``line`` saying ``message`` points at this typo."""
        return line in (self.line, self.also) and self.token in message


def _lines(data: bytes) -> list[int]:
    offs = [0]
    for i, c in enumerate(data):
        if c == 10:
            offs.append(i + 1)
    return offs


def _line_of(offs: list[int], offset: int) -> int:
    import bisect
    return bisect.bisect_right(offs, offset)


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    how = rng.randrange(3)
    if how == 0:
        return word[:i] + word[i + 1:]  # a letter dropped
    if how == 1:
        return word[:i] + word[i] + word[i:]  # a letter doubled
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]  # two letters swapped


def _elements(data: bytes) -> list[etree._Element]:
    root = etree.fromstring(data)
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _start_offset(data: bytes, offs: list[int], el: etree._Element) -> int | None:
    line = el.sourceline or 0
    if line <= 0:
        return None
    seg_end = offs[line] if line < len(offs) else len(data)
    m = re.compile(_START.format(name=re.escape(el.tag)).encode()).search(data, offs[line - 1], seg_end)
    return m.start() if m else None


def _tag_end(data: bytes, at: int) -> int:
    quote = 0
    for i in range(at, len(data)):
        c = data[i]
        if quote:
            quote = 0 if c == quote else quote
        elif c in (34, 39):
            quote = c
        elif c == 62:
            return i
    return len(data) - 1


def _end_tag(data: bytes, start: int, name: str) -> int | None:
    """Offset of the end tag matching the start tag at ``start`` (None when self-closing)."""
    gt = _tag_end(data, start)
    if data[gt - 1:gt] == b"/":
        return None
    depth = 1
    pat = re.compile(rb"<(/?)" + re.escape(name.encode()) + rb"(?=[\s/>])")
    at = gt + 1
    while True:
        m = pat.search(data, at)
        if m is None:
            return None
        if m.group(1):
            depth -= 1
            if depth == 0:
                return m.start()
        elif data[_tag_end(data, m.start()) - 1:_tag_end(data, m.start())] != b"/":
            depth += 1
        at = m.end()


def element_names(data: bytes, rng: random.Random) -> Iterator[Typo]:
    offs = _lines(data)
    for el in _elements(data)[1:]:
        start = _start_offset(data, offs, el)
        if start is None:
            continue
        new = _misspell(el.tag, rng)
        end = _end_tag(data, start, el.tag)
        out = bytearray(data)
        if end is not None:
            out[end + 2:end + 2 + len(el.tag)] = new.encode()
        out[start + 1:start + 1 + len(el.tag)] = new.encode()
        yield Typo("element name", bytes(out), _line_of(offs, start), new)


def _attributes(data: bytes, offs: list[int]) -> Iterator[tuple[etree._Element, re.Match[bytes]]]:
    for el in _elements(data):
        start = _start_offset(data, offs, el)
        if start is None:
            continue
        for m in _ATTR.finditer(data, start, _tag_end(data, start)):
            yield el, m


def attribute_names(data: bytes, rng: random.Random) -> Iterator[Typo]:
    offs = _lines(data)
    for _el, m in _attributes(data, offs):
        name = m.group(1).decode()
        new = _misspell(name, rng)
        out = data[:m.start(1)] + new.encode() + data[m.end(1):]
        yield Typo("attribute name", out, _line_of(offs, m.start(1)), new)


def attribute_values(data: bytes, rng: random.Random) -> Iterator[Typo]:
    """Wrong enumeration values: another case or a letter slipped."""
    offs = _lines(data)
    for _el, m in _attributes(data, offs):
        value = m.group(3).decode()
        if not value or not value[0].isalpha():
            continue
        new = value.upper() if value.islower() and rng.random() < 0.5 else _misspell(value, rng)
        out = data[:m.start(3)] + new.encode() + data[m.end(3):]
        yield Typo("attribute value", out, _line_of(offs, m.start(3)), new)


def numbers(data: bytes, rng: random.Random) -> Iterator[Typo]:
    """Bad numbers in text or attributes: a letter among the digits, a sign, a decimal point."""
    offs = _lines(data)
    for m in re.finditer(rb"(?<=[>'\"])([0-9]+)(?=[<'\"])", data):
        digits = m.group(1).decode()
        new = rng.choice([digits + "k", digits[:1] + "o" + digits[1:], "-" + digits, digits + ".5"])
        out = data[:m.start(1)] + new.encode() + data[m.end(1):]
        yield Typo("number", out, _line_of(offs, m.start(1)), new)


_TEXT_WORD = re.compile(rb"<([A-Za-z_][\w.-]*)>([a-z][a-z0-9_-]*)</\1>")
_PATH = re.compile(rb"""(?<=['">])(/[\w.-][^'"<>\s]*)(?=['"<])""")


def text_values(data: bytes, rng: random.Random) -> Iterator[Typo]:
    """A wrong word as an element's text (<on_crash>restrat</on_crash>, <type>Hvm</type>)."""
    offs = _lines(data)
    for m in _TEXT_WORD.finditer(data):
        word = m.group(2).decode()
        new = _misspell(word, rng) if rng.random() < 0.7 else word.capitalize()
        yield Typo("text value", data[:m.start(2)] + new.encode() + data[m.end(2):], _line_of(offs, m.start(2)), new)


def paths(data: bytes, rng: random.Random) -> Iterator[Typo]:
    """A slip in a file path: its leading slash lost, a space or a stray character typed."""
    offs = _lines(data)
    for m in _PATH.finditer(data):
        path = m.group(1).decode()
        at = rng.randrange(1, len(path))
        new = rng.choice([path[1:], path[:at] + " " + path[at:], path[:at] + rng.choice("*?~,") + path[at:]])
        yield Typo("path", data[:m.start(1)] + new.encode() + data[m.end(1):], _line_of(offs, m.start(1)), new)


def missing_attributes(data: bytes, rng: random.Random) -> Iterator[Typo]:
    offs = _lines(data)
    for _el, m in _attributes(data, offs):
        cut_from = m.start()
        while cut_from > 0 and data[cut_from - 1:cut_from] in (b" ", b"\t"):
            cut_from -= 1
        out = data[:cut_from] + data[m.end():]
        yield Typo("missing attribute", out, _line_of(offs, m.start()), m.group(1).decode())


def moved_elements(data: bytes, rng: random.Random) -> Iterator[Typo]:
    """A one-line element cut from its place and pasted as the first child of another element
    (one that has no child of that name)."""
    offs = _lines(data)
    elements = _elements(data)
    hosts = [e for e in elements if len(e) and _start_offset(data, offs, e) is not None]
    for el in elements[1:]:
        start = _start_offset(data, offs, el)
        if start is None:
            continue
        end = _end_tag(data, start, el.tag)
        stop = _tag_end(data, start if end is None else end) + 1
        line = _line_of(offs, start)
        if _line_of(offs, stop - 1) != line or data[offs[line - 1]:start].strip():
            continue  # only elements alone on their line
        # a host that already has such a child would hold two, and which of two is the
        # misplaced one no validator can tell: those are duplicates, not misplacements
        host = rng.choice([h for h in hosts if h is not el.getparent() and el not in h.iterancestors()
                           and h.find(el.tag) is None] or [None])
        if host is None or host is el or el in host.iter():
            continue
        text = data[offs[line - 1]:offs[line] if line < len(offs) else len(data)]
        without = data[:offs[line - 1]] + data[offs[line - 1] + len(text):]
        hoffs = _lines(without)
        hstart = _start_offset(without, hoffs, host)
        if hstart is None:
            continue
        at = _tag_end(without, hstart) + 1
        if without[at:at + 1] == b"\n":
            at += 1
        else:
            continue
        out = without[:at] + text + without[at:]
        parent_line = el.getparent().sourceline + (1 if at < offs[line - 1] else 0)
        yield Typo("moved element", out, _line_of(_lines(out), at), el.tag, parent_line)


KINDS = (element_names, attribute_names, attribute_values, text_values, numbers, paths, missing_attributes,
         moved_elements)


def typos(data: bytes, seed: int = 0, per_kind: int = 3) -> list[Typo]:
    """Up to ``per_kind`` typos of each kind for one document (deterministic)."""
    rng = random.Random(seed)
    out: list[Typo] = []
    for kind in KINDS:
        found = list(kind(data, rng))
        rng.shuffle(found)
        out.extend(found[:per_kind])
    return out
