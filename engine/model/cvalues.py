"""libvirt's C value readers, reproduced: what a string becomes in 0.8.3's parser.

libvirt reads numbers with strtoul/strtol wrapped in helpers of differing
strictness (virStrToLong_ui wants the whole string, virXPathULong only a
leading number), UUIDs with a liberal scanner and MACs with a strict one. The
document's text means what these functions make of it, overflow and sign
wrapping included, so they are reproduced here rather than approximated with
Python's int().
"""
from __future__ import annotations

import re

ULONG_MAX = 2**64 - 1
UINT_MAX = 2**32 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LLONG_MIN, LLONG_MAX = -(2**63), 2**63 - 1

_SPACE = " \t\n\v\f\r"


def _scan(s: str, base: int) -> tuple[bool, int, int]:
    """What strtol and strtoul share: leading white space, a sign, a ``0x`` prefix
    (base 0 or 16; base 0 reads a leading 0 as octal), then the digits. (negative,
    magnitude, characters consumed); consumed == 0 when no digit follows."""
    i, n = 0, len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if base in (0, 16) and s[i:i + 2].lower() == "0x" and i + 2 < n and _digit(s[i + 2], 16) >= 0:
        i += 2
        base = 16
    elif base == 0:
        base = 8 if s[i:i + 1] == "0" else 10
    start = i
    value = 0
    while i < n and (d := _digit(s[i], base)) >= 0:
        value = value * base + d
        i += 1
    return neg, value, (i if i > start else 0)


def strtoul(s: str, base: int = 10) -> tuple[int, int, bool]:
    """C strtoul: (value, characters consumed, overflowed). Leading white space and a
    sign are accepted; a negative number wraps modulo 2**64; overflow saturates.
    Nothing consumed means no number (consumed == 0)."""
    if base == 10 and s.isascii() and s.isdigit():  # the common case
        v = int(s)
        return (v, len(s), False) if v <= ULONG_MAX else (ULONG_MAX, len(s), True)
    neg, value, used = _scan(s, base)
    if used == 0:
        return 0, 0, False
    if value > ULONG_MAX:
        return ULONG_MAX, used, True
    return ((-value) & ULONG_MAX if neg else value), used, False


def strtol(s: str, base: int = 10) -> tuple[int, int, bool]:
    """C strtol (64-bit long): (value, consumed, overflowed); overflow saturates."""
    neg, value, used = _scan(s, base)
    if used == 0:
        return 0, 0, False
    value = -value if neg else value
    if value > LLONG_MAX:
        return LLONG_MAX, used, True
    if value < LLONG_MIN:
        return LLONG_MIN, used, True
    return value, used, False


def _digit(c: str, base: int) -> int:
    if "0" <= c <= "9":
        d = ord(c) - 48
    elif "a" <= c <= "z":
        d = ord(c) - 87
    elif "A" <= c <= "Z":
        d = ord(c) - 55
    else:
        return -1
    return d if d < base else -1


def str_to_ui(s: str, base: int = 10) -> int | None:
    """virStrToLong_ui(s, NULL, base): the whole string, within unsigned int; None if not."""
    v, used, over = strtoul(s, base)
    if over or used == 0 or used != len(s):
        return None
    # (unsigned int) val != val: values above UINT_MAX (negatives wrapped) fail
    return v if v <= UINT_MAX else None


def str_to_i(s: str, base: int = 10) -> int | None:
    """virStrToLong_i(s, NULL, base): the whole string, within int; None if not."""
    v, used, over = strtol(s, base)
    if over or used == 0 or used != len(s) or not INT_MIN <= v <= INT_MAX:
        return None
    return v


def xpath_ulong(s: str | None, base: int = 10) -> int | None:
    """virXPathULong on string(...): -1 (None here) for an empty result, -2 (ValueError)
    when no number starts the string; trailing text is ignored."""
    if not s:
        return None
    v, used, _ = strtoul(s, base)
    if used == 0:
        raise ValueError(s)
    return v


def as_int32(v: int) -> int:
    """An unsigned value printed with %d."""
    v &= UINT_MAX
    return v - 2**32 if v > INT_MAX else v


def printf_d(v: int, precision: int = 1) -> str:
    """An unsigned value printed with ``%.Nd``: read as an int, at least N digits after the
    sign (C pads the digits, not the field: -5 is '-005', where Python's 03d gives '-05')."""
    v = as_int32(v)
    return ("-" if v < 0 else "") + str(abs(v)).zfill(precision)


def xpath_number(s: str | None) -> float:
    """XPath 1.0 number(): optional '-', digits with an optional fraction, blanks
    around; anything else is NaN."""
    if s is None:
        return float("nan")
    t = s.strip(" \t\n\r")
    body = t[1:] if t.startswith("-") else t
    if not body or body == "." or body.count(".") > 1 or \
            not all(c.isdigit() and c.isascii() or c == "." for c in body):
        return float("nan")
    return float(t)


_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid_parse(text: str) -> str | None:
    """virUUIDParse: 32 hex digits in pairs; '-' and ' ' skipped between pairs; blanks
    around. The canonical 8-4-4-4-12 lower-case form, or None."""
    if _CANONICAL_UUID.fullmatch(text):  # the common case
        return text.lower()
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    out: list[str] = []
    while len(out) < 16:
        if i >= n:
            return None
        if text[i] in "- ":
            i += 1
            continue
        pair = text[i:i + 2]
        if len(pair) < 2 or not all(c in "0123456789abcdefABCDEF" for c in pair):
            return None
        out.append(pair.lower())
        i += 2
    if any(c not in _SPACE for c in text[i:]):
        return None
    h = "".join(out)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def mac_parse(text: str) -> str | None:
    """virParseMacAddr: six parts of one or two hex digits joined by ':'; as %02x."""
    parts = text.split(":")
    if len(parts) != 6:
        return None
    for p in parts:
        if not 1 <= len(p) <= 2 or not all(c in "0123456789abcdefABCDEF" for c in p):
            return None
    return ":".join(f"{int(p, 16):02x}" for p in parts)
