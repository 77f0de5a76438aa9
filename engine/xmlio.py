"""Safe reading of XML documents: the one door every command goes through.

No DTD loading, no entity expansion, no network, no external files; size and
depth limits; every failure is a located one-line error that never quotes the
input. Parsing is done by libxml2 through lxml, so this stays fast enough for
batch use.
"""
from __future__ import annotations

import re

from lxml import etree

from .errors import DocumentError
from .xmlbytes import MAX_BYTES, MAX_DEPTH, check_bytes, read_bytes, shallow_for_sure

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Document", "parse_bytes", "read_bytes", "read_document"]

_TRAILING_POS = re.compile(r",\s*line \d+, column \d+\s*$")


class Document:
    """A parsed document and what is needed to point into it.

    A plain class (not a dataclass): importing dataclasses costs a validate run
    more start-up than parsing a document."""

    __slots__ = ("path", "data", "root", "_lines", "_offsets")

    def __init__(self, path: str, data: bytes, root: etree._Element) -> None:
        self.path = path
        self.data = data
        self.root = root
        self._lines: list[bytes] | None = None
        self._offsets: list[int] | None = None

    def __repr__(self) -> str:
        return f"Document(path={self.path!r}, {len(self.data)} bytes)"

    def line_text(self, line: int) -> bytes:
        """Raw bytes of 1-based ``line`` (empty when out of range)."""
        if self._lines is None:
            self._lines = self.data.split(b"\n")
        return self._lines[line - 1] if 0 < line <= len(self._lines) else b""

    def line_offsets(self) -> list[int]:
        """Byte offset of the start of each line (index 0 is line 1)."""
        if self._offsets is None:
            offs = [0]
            find = self.data.find
            at = find(b"\n")
            while at >= 0:
                offs.append(at + 1)
                at = find(b"\n", at + 1)
            self._offsets = offs
        return self._offsets

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a byte offset."""
        import bisect
        offs = self.line_offsets()
        line = bisect.bisect_right(offs, offset)
        return line, offset - offs[line - 1] + 1

    def locate(self, elem: etree._Element) -> tuple[int, int]:
        """(line, column) of the start tag of ``elem``; column is 1-based."""
        line = elem.sourceline or 0
        if line <= 0:
            return 0, 0
        text = self.line_text(line)
        tag = etree.QName(elem).localname.encode()
        col = _find_tag(text, tag)
        return line, (col + 1 if col >= 0 else 1)


def _find_tag(text: bytes, tag: bytes) -> int:
    """Offset of ``<tag`` followed by a delimiter in ``text``, or -1."""
    start = 0
    while True:
        col = text.find(b"<" + tag, start)
        if col < 0:
            return -1
        nxt = text[col + 1 + len(tag):col + 2 + len(tag)]
        if nxt in (b"", b" ", b">", b"/", b"\t", b"\r"):
            return col
        start = col + 1


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=False, collect_ids=False, remove_pis=False,
    )


_PARSER = _parser()  # reused: building one per document costs more than parsing a domain


def _syntax_message(e: etree.XMLSyntaxError) -> str:
    msg = _TRAILING_POS.sub("", e.msg or "") or "malformed XML"
    if msg.startswith("Excessive depth"):
        return f"element nesting deeper than {MAX_DEPTH} levels"
    if "character encoding" in msg or "not proper UTF-8" in msg:
        return "invalid bytes for the document's encoding (UTF-8 unless declared)"
    return msg


# An element at depth MAX_DEPTH + 1 exists iff this XPath matches (evaluated in C).
_TOO_DEEP = etree.XPath("/" + "*/" * MAX_DEPTH + "*")


def _check_depth(root: etree._Element, path: str) -> None:
    deep = _TOO_DEEP(root.getroottree())
    if deep:
        elem = deep[0]
        raise DocumentError(f"element nesting deeper than {MAX_DEPTH} levels", path=path,
                            line=elem.sourceline or 1, column=1)


def parse_bytes(data: bytes, path: str = "<string>") -> Document:
    """Parse bytes into a Document, refusing anything unsafe."""
    check_bytes(data, path)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        line, col = e.position if e.position else (1, 1)
        raise DocumentError(_syntax_message(e), path=path, line=max(line, 1),
                            column=max(col, 1)) from None
    except ValueError as e:  # e.g. unicode strings with an encoding declaration
        raise DocumentError(f"cannot parse: {e}", path=path, line=1, column=1) from None
    if root is None:
        raise DocumentError("no root element", path=path, line=1, column=1)
    if not shallow_for_sure(data):
        _check_depth(root, path)
    return Document(path, data, root)


def read_document(path: str) -> Document:
    """Read and parse ``path`` safely."""
    return parse_bytes(read_bytes(path), path)
