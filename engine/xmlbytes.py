"""The bytes of a document before any parser sees them: reading and the checks on bytes.

Kept apart from xmlio (which parses with lxml) so that a run that never needs a tree,
like `validate` of valid documents through fastvalid, does not import lxml (~100M
instructions of start-up). Every refusal is a located one-line error that never
quotes the input.
"""
from __future__ import annotations

import os
import re
import stat

from .errors import DocumentError, InputError

MAX_BYTES = 8 * 1024 * 1024      # libvirt itself refuses domain XML above ~10 MB
MAX_DEPTH = 64                   # a domain is < 10 deep; anything deeper is hostile

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
# An XML declaration naming an encoding; the ones listed keep ASCII bytes as they are.
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
_ASCII_SAFE = re.compile(rb"(?i)(utf-?8|us-ascii|ascii|iso-8859-\d+|iso-latin-1|latin-?1)\Z")


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


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def check_bytes(data: bytes, path: str) -> None:
    """What is refused before a parser sees the bytes: too large, empty, or a DOCTYPE
    declaring entities (billion laughs, XXE)."""
    if len(data) > MAX_BYTES:
        raise DocumentError(f"document is larger than the limit of {MAX_BYTES} bytes", path=path,
                            line=1, column=1)
    if not data or data.isspace():
        raise DocumentError("document is empty", path=path, line=1, column=1)
    at = data.find(b"<!DOCTYPE")  # XML spells it in capitals; anything else is a syntax error
    if at < 0:
        return
    decl = _ENTITY_DECL.search(data, at)
    if decl is not None:
        line, col = position(data, decl.start())
        raise DocumentError("DOCTYPE declares entities: refused", path=path, line=line, column=col)


def shallow_for_sure(data: bytes) -> bool:
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
