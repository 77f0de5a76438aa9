"""Reading QEMU option values as libvirt 0.8.3's parser reads them.

Shared by every family's parser: qemuParseCommandLineKeywords, virStrToLong_i
(strtol and its end pointer) and the C integer wrapping of the values read;
virUUIDParse and virParseMacAddr are the domain parser's own (engine/model/cvalues.py),
handed on here. libvirt checked values no further than these functions
do (no schema patterns), so neither do we: a value libvirt takes is taken.
A problem is an ``ArgError`` without a location; the parse loop adds the
location of the offending word.
"""
from __future__ import annotations

from ..errors import ConfigError
from ..model import cvalues
from ..model.cvalues import as_int32 as wrap_int
from ..model.cvalues import mac_parse as parse_mac
from ..model.cvalues import uuid_parse as parse_uuid

__all__ = ["ArgError", "as_unsigned", "as_unsigned_long", "keywords", "parse_mac", "parse_uuid", "str_to_int",
           "wrap_int"]


class ArgError(ConfigError):
    """An unlocated problem with one option value; the parser locates it."""


def str_to_int(text: str, base: int = 10, *, trailing: bool = False) -> tuple[int | None, int]:
    """virStrToLong_i: (value, end); value None on failure. Without ``trailing``
    (libvirt's NULL end pointer) the whole text must be the number."""
    value, end, overflow = cvalues.strtol(text, base)
    if end == 0 or overflow or not cvalues.INT_MIN <= value <= cvalues.INT_MAX or (not trailing and end != len(text)):
        return None, end
    return value, end


def as_unsigned_long(value: int) -> int:
    """An ``int`` stored into an ``unsigned long`` (64-bit): negatives wrap around."""
    return value & cvalues.ULONG_MAX


def as_unsigned(value: int) -> int:
    """An ``int`` printed with %u / %x (32-bit unsigned)."""
    return value & cvalues.UINT_MAX


def keywords(text: str, allow_empty: bool = False) -> list[tuple[str, str | None]]:
    """qemuParseCommandLineKeywords: ``k=v,k2=v2`` split at every comma (libvirt had no
    ``,,`` escape) and at the first ``=`` of each item; an item without ``=`` is
    an error unless ``allow_empty`` (then its value is None)."""
    out: list[tuple[str, str | None]] = []
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            if not allow_empty:
                raise ArgError(f"malformed keyword arguments in '{text}'")
            out.append((item, None))
        else:
            out.append((key, value))
    return out
