"""Reading QEMU option values as libvirt 0.8.3's parser reads them.

Shared by every family's parser: qemuParseCommandLineKeywords, the C number
conversions behind virStrToLong_i (strtol and its end pointer), virUUIDParse
and virParseMacAddr. libvirt checked values no further than these functions
do (no schema patterns), so neither do we: a value libvirt takes is taken.
A problem is an ``ArgError`` without a location; the parse loop adds the
location of the offending word.
"""
from __future__ import annotations

from ..errors import ConfigError

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_C_SPACE = " \t\n\v\f\r"
_HEX = "0123456789abcdefABCDEF"


class ArgError(ConfigError):
    """An unlocated problem with one option value; the parser locates it."""


def strtol(text: str, base: int = 10) -> tuple[int | None, int]:
    """C ``strtol`` on a 64-bit host: (value, end index); value None when nothing was
    converted (end is then 0) or the number overflows a long (end after the digits)."""
    i, n = 0, len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    neg = False
    if i < n and text[i] in "+-":
        neg = text[i] == "-"
        i += 1
    if base in (0, 16) and text[i:i + 2] in ("0x", "0X") and i + 2 < n and text[i + 2] in _HEX:
        i += 2
        base = 16
    elif base == 0:
        base = 8 if text[i:i + 1] == "0" else 10
    start = i
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    while i < n and text[i].lower() in digits:
        i += 1
    if i == start:
        return None, 0
    value = int(text[start:i], base)
    value = -value if neg else value
    if not _LONG_MIN <= value <= _LONG_MAX:
        return None, i
    return value, i


def str_to_int(text: str, base: int = 10, *, trailing: bool = False) -> tuple[int | None, int]:
    """virStrToLong_i: (value, end); value None on failure. Without ``trailing``
    (libvirt's NULL end pointer) the whole text must be the number."""
    value, end = strtol(text, base)
    if value is None or not INT_MIN <= value <= INT_MAX or (not trailing and end != len(text)):
        return None, end
    return value, end


def wrap_int(value: int) -> int:
    """A C ``int`` computation that overflowed, wrapped as the compiled code does."""
    return (value + 2**31) % 2**32 - 2**31


def as_unsigned_long(value: int) -> int:
    """An ``int`` stored into an ``unsigned long`` (64-bit): negatives wrap around."""
    return value % 2**64


def as_unsigned(value: int) -> int:
    """An ``int`` printed with %u / %x (32-bit unsigned)."""
    return value % 2**32


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


def parse_uuid(text: str) -> str | None:
    """virUUIDParse: 32 hex digits in pairs, '-' or ' ' allowed between pairs,
    blanks around; the canonical form, or None."""
    i, n = 0, len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    digits: list[str] = []
    while len(digits) < 32:
        if i >= n:
            return None
        if text[i] in "- ":
            i += 1
            continue
        if text[i] not in _HEX or i + 1 >= n or text[i + 1] not in _HEX:
            return None
        digits += [text[i], text[i + 1]]
        i += 2
    if any(c not in _C_SPACE for c in text[i:]):
        return None
    h = "".join(digits).lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_mac(text: str) -> str | None:
    """virParseMacAddr: six groups of 1-2 hex digits joined by ':' (strtoul base 16,
    so a '0x' prefix makes a group too long); the %02x form, or None."""
    parts = text.split(":")
    if len(parts) != 6:
        return None
    out = []
    for p in parts:
        if not 1 <= len(p) <= 2 or any(c not in _HEX for c in p):
            return None
        out.append(f"{int(p, 16):02x}")
    return ":".join(out)
