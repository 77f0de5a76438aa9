"""Safe reading of XML documents: the one door every command goes through.

No DTD loading, no entity expansion, no network, no external files; size and
depth limits; every failure is a located one-line error that never quotes the
input. Parsing is done by libxml2 through lxml, so this stays fast enough for
batch use.
"""
from __future__ import annotations

import os
import re
import stat

from lxml import etree

from .errors import DocumentError, InputError

MAX_BYTES = 8 * 1024 * 1024      # libvirt itself refuses domain XML above ~10 MB
MAX_DEPTH = 64                   # a domain is < 10 deep; anything deeper is hostile

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
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


def read_bytes(path: str, limit: int = MAX_BYTES) -> bytes:
    """Read at most ``limit`` bytes of a regular file, or fail with exit status 2/1.

    The type is checked by path before anything is opened: opening a FIFO blocks
    and opening some devices acts (a watchdog arms). Plain os calls (stat, open,
    one read of the known size, close): file objects cost more than parsing a
    domain."""
    if path == "-":
        raise InputError("reading standard input is not supported", path=path, line=0, column=0)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path, line=0, column=0) from None
    except OSError as e:
        raise InputError(f"cannot access file: {e.strerror}", path=path, line=0, column=0) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory", path=path, line=0, column=0)
    if not stat.S_ISREG(st.st_mode):
        # FIFOs, devices, sockets: reading could block forever or never end
        raise InputError("not a regular file", path=path, line=0, column=0)
    if st.st_size > limit:
        raise DocumentError(f"document is larger than the limit of {limit} bytes", path=path,
                            line=1, column=1)
    try:
        fd = os.open(path, _OPEN_FLAGS)
        try:
            # one byte more than the size: a short read is the end of a regular file;
            # a full one means it grew meanwhile, so read on up to the limit
            data = os.read(fd, st.st_size + 1)
            if len(data) > st.st_size:
                parts = [data]
                got = len(data)
                while got <= limit:
                    more = os.read(fd, limit + 1 - got)
                    if not more:
                        break
                    parts.append(more)
                    got += len(more)
                data = b"".join(parts)
        finally:
            os.close(fd)
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror}", path=path, line=0, column=0) from None
    if len(data) > limit:
        raise DocumentError(f"document is larger than the limit of {limit} bytes", path=path,
                            line=1, column=1)
    return data


# non-blocking: should the file have been replaced by a FIFO since the stat, open does not hang
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _refuse_entities(data: bytes, path: str) -> None:
    """A DOCTYPE declaring entities is refused before libxml2 sees it (billion laughs, XXE)."""
    at = data.find(b"<!DOCTYPE")  # XML spells it in capitals; anything else is a syntax error
    if at < 0:
        return
    decl = _ENTITY_DECL.search(data, at)
    if decl is not None:
        line, col = _position(data, decl.start())
        raise DocumentError("DOCTYPE declares entities: refused", path=path, line=line, column=col)


def _syntax_message(e: etree.XMLSyntaxError) -> str:
    msg = _TRAILING_POS.sub("", e.msg or "") or "malformed XML"
    if msg.startswith("Excessive depth"):
        return f"element nesting deeper than {MAX_DEPTH} levels"
    if "character encoding" in msg or "not proper UTF-8" in msg:
        return "invalid bytes for the document's encoding (UTF-8 unless declared)"
    return msg


# An element at depth MAX_DEPTH + 1 exists iff this XPath matches (evaluated in C).
_TOO_DEEP = etree.XPath("/" + "*/" * MAX_DEPTH + "*")
# An XML declaration naming an encoding; the ones listed keep ASCII bytes as they are.
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
_ASCII_SAFE = re.compile(rb"(?i)(utf-?8|us-ascii|ascii|iso-8859-\d+|iso-latin-1|latin-?1)\Z")


def _shallow_for_sure(data: bytes) -> bool:
    """Whether the bytes alone prove the depth limit holds, without looking at the tree.

    Every ancestor of the deepest element is closed by an end tag, so the depth is at
    most one more than the number of ``</`` in the bytes -- when the encoding writes
    markup in ASCII bytes: no NUL near the start (UTF-16/32 and their BOMs), no EBCDIC
    signature, no declared encoding outside a known ASCII-compatible few."""
    if data.count(b"</") >= MAX_DEPTH:
        return False  # ordinary for big domains: the tree is checked
    head = data[:4]
    if b"\x00" in head or head[:2] in (b"\xfe\xff", b"\xff\xfe") or head == b"\x4c\x6f\xa7\x94":
        return False
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.startswith(b"<?xml", start):
        m = _DECLARED.match(data, start)
        if m is not None and not _ASCII_SAFE.match(m.group(1)):
            return False
    return True


def _check_depth(root: etree._Element, path: str) -> None:
    deep = _TOO_DEEP(root.getroottree())
    if deep:
        elem = deep[0]
        raise DocumentError(f"element nesting deeper than {MAX_DEPTH} levels", path=path,
                            line=elem.sourceline or 1, column=1)


def parse_bytes(data: bytes, path: str = "<string>") -> Document:
    """Parse bytes into a Document, refusing anything unsafe."""
    if len(data) > MAX_BYTES:
        raise DocumentError(f"document is larger than the limit of {MAX_BYTES} bytes", path=path,
                            line=1, column=1)
    if not data or data.isspace():
        raise DocumentError("document is empty", path=path, line=1, column=1)
    _refuse_entities(data, path)
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
    if not _shallow_for_sure(data):
        _check_depth(root, path)
    return Document(path, data, root)


def read_document(path: str) -> Document:
    """Read and parse ``path`` safely."""
    return parse_bytes(read_bytes(path), path)
