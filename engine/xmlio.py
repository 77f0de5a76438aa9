"""Safe reading of XML documents: the one door every command goes through.

No DTD loading, no entity expansion, no network, no external files; size and
depth limits; every failure is a located one-line error. Parsing is done by
libxml2 through lxml, so this stays fast enough for batch use.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from lxml import etree

from .errors import DocumentError, InputError

MAX_BYTES = 8 * 1024 * 1024      # libvirt itself refuses domain XML above ~10 MB
MAX_DEPTH = 64                   # a domain is < 10 deep; anything deeper is hostile


@dataclass
class Document:
    """A parsed document and what is needed to point into it."""

    path: str
    data: bytes
    root: etree._Element
    _lines: list[bytes] | None = field(default=None, repr=False)

    def locate(self, elem: etree._Element) -> tuple[int, int]:
        """(line, column) of the start tag of ``elem``; column is 1-based."""
        line = elem.sourceline or 0
        if line <= 0:
            return 0, 0
        if self._lines is None:
            self._lines = self.data.split(b"\n")
        text = self._lines[line - 1] if line - 1 < len(self._lines) else b""
        tag = etree.QName(elem).localname.encode()
        col = text.find(b"<" + tag)
        return line, (col + 1 if col >= 0 else 1)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=False, collect_ids=False,
    )


def read_bytes(path: str, limit: int = MAX_BYTES) -> bytes:
    """Read at most ``limit`` bytes of a regular file, or fail with exit status 2/1."""
    if path == "-":
        raise InputError("reading standard input is not supported", path=path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as e:
        raise InputError(f"cannot access file: {e.strerror}", path=path) from None
    if os.path.isdir(path):
        raise InputError("is a directory", path=path)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror}", path=path) from None
    if len(data) > limit or st.st_size > limit:
        raise DocumentError(f"document is larger than the limit of {limit} bytes", path=path,
                            line=1, column=1)
    return data


def _check_depth(root: etree._Element, path: str) -> None:
    stack = [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(f"element nesting deeper than {MAX_DEPTH} levels", path=path,
                                line=elem.sourceline or 0, column=1)
        stack.extend((child, depth + 1) for child in elem if isinstance(child.tag, str))


def parse_bytes(data: bytes, path: str = "<string>") -> Document:
    """Parse bytes into a Document, refusing anything unsafe."""
    if not data.strip():
        raise DocumentError("document is empty", path=path, line=1, column=1)
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        if b"<!entity" in data.lower():
            raise DocumentError("DOCTYPE declares entities: refused", path=path, line=1, column=1)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        line, col = (e.position if e.position else (0, 0))
        msg = e.msg or "malformed XML"
        raise DocumentError(msg, path=path, line=line, column=col + 1 if col >= 0 else 1) from None
    if root is None:
        raise DocumentError("no root element", path=path, line=1, column=1)
    _check_depth(root, path)
    return Document(path=path, data=data, root=root)


def read_document(path: str) -> Document:
    """Read and parse ``path`` safely."""
    return parse_bytes(read_bytes(path), path)
