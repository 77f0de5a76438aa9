"""XML Schema datatypes as RELAX NG uses them: is a string a valid value?

Enough of XSD Part 2 for schemas of configuration languages: the integer
family with its bounds, decimal/float/double, boolean, the string family
(string, normalizedString, token, Name, NCName, NMTOKEN, ID...), anyURI and
the date/time lexical forms, with the facets pattern, length, min/maxLength
and min/max Inclusive/Exclusive. Unknown types and libraries are accepted:
this module explains rejections, libxml2 decides validity.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

XSD_LIB = "http://www.w3.org/2001/XMLSchema-datatypes"

#: integer types: (min, max); None = unbounded
INT_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-32768, 32767),
    "byte": (-128, 127), "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 65535), "unsignedByte": (0, 255),
}
_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_FLOAT = re.compile(r"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)")
_NAME_START = r"A-Za-z_\u00C0-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
_NAME_CHAR = _NAME_START + r"\-.0-9\u00B7\u0300-\u036F\u203F-\u2040"
_NCNAME = f"[{_NAME_START}][{_NAME_CHAR}]*"
_NMTOKEN = f"[{_NAME_CHAR}:]+"
#: lexical spaces, compiled on first use (the Unicode name classes cost ~0.25 s to compile)
_LEXICAL_SOURCES: dict[str, str] = {
    "boolean": r"true|false|1|0",
    "NCName": _NCNAME, "ID": _NCNAME, "IDREF": _NCNAME, "ENTITY": _NCNAME,
    "Name": f"[{_NAME_START}:][{_NAME_CHAR}:]*", "QName": f"({_NCNAME}:)?{_NCNAME}",
    "NMTOKEN": _NMTOKEN, "NMTOKENS": f"{_NMTOKEN}( {_NMTOKEN})*",
    "IDREFS": f"{_NCNAME}( {_NCNAME})*",
    "language": r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*",
    "date": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
    "time": r"[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?",
    "dateTime": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                r"(Z|[+-][0-9]{2}:[0-9]{2})?",
    "duration": r"-?P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+D)?"
                r"(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?",
    "hexBinary": r"([0-9a-fA-F]{2})*",
    "base64Binary": r"[A-Za-z0-9+/= \n]*",
}


@cache
def _lexical(type_: str) -> re.Pattern[str] | None:
    source = _LEXICAL_SOURCES.get(type_)
    return re.compile(source) if source is not None else None


#: types whose whitespace facet is "preserve" or "replace" (all others collapse)
_NOT_COLLAPSED = {"string": "preserve", "normalizedString": "replace"}


def normalize(type_: str, value: str) -> str:
    """The value after the type's whitespace facet."""
    mode = _NOT_COLLAPSED.get(type_, "collapse")
    if mode == "preserve":
        return value
    if mode == "replace":
        return value.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return " ".join(value.split())


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """An XSD regular expression as a Python one (implicitly anchored); None if untranslatable."""
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            out.append({"i": f"[{_NAME_START}:]", "c": f"[{_NAME_CHAR}:]",
                        "I": f"[^{_NAME_START}:]", "C": f"[^{_NAME_CHAR}:]"}.get(e, "\\" + e))
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        elif c in "^$" and not depth:  # literal in XSD, anchors in Python
            out.append("\\" + c)
            i += 1
            continue
        elif c == "-" and depth and i + 1 < n and pattern[i + 1] == "[":
            return None  # character class subtraction: not expressible in Python's re
        out.append(c)
        i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def _number(type_: str, s: str) -> Decimal | None:
    if type_ in INT_RANGES:
        return Decimal(int(s)) if _INT.fullmatch(s) else None
    if type_ == "decimal":
        try:
            return Decimal(s) if _DECIMAL.fullmatch(s) else None
        except InvalidOperation:
            return None
    if type_ in ("float", "double"):
        if not _FLOAT.fullmatch(s):
            return None
        return None if s in ("NaN", "INF", "+INF", "-INF") else Decimal(s)
    return None


def check(type_: str, library: str, params: list[tuple[str, str]], value: str) -> str | None:
    """None when ``value`` is a valid ``type_``; otherwise why not, to follow "is": 'not a valid int'."""
    if library != XSD_LIB:  # the built-in library: string and token accept anything
        return None
    s = normalize(type_, value)
    num = _number(type_, s)
    special = type_ in ("float", "double") and s in ("NaN", "INF", "+INF", "-INF")
    if (type_ in INT_RANGES or type_ in ("decimal", "float", "double")) and num is None and not special:
        return f"not a valid {type_}"
    if type_ in INT_RANGES and num is not None:
        lo, hi = INT_RANGES[type_]
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            return f"out of the range of {type_}"
    lexical = _lexical(type_)
    if lexical is not None and not lexical.fullmatch(s):
        return f"not a valid {type_}"
    for name, arg in params:
        why = _facet(name, arg, s, num)
        if why:
            return why
    return None


def _facet(name: str, arg: str, s: str, num: Decimal | None) -> str | None:
    if name == "pattern":
        rx = compile_pattern(arg)
        if rx is not None and not rx.fullmatch(s):
            return f"not matching the pattern {arg}"
        return None
    if name in ("length", "minLength", "maxLength"):
        n = int(arg)
        ok = {"length": len(s) == n, "minLength": len(s) >= n, "maxLength": len(s) <= n}[name]
        return None if ok else f"of length {len(s)} ({name} {n})"
    if name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive") and num is not None:
        try:
            bound = Decimal(arg)
        except InvalidOperation:
            return None
        ok = {"minInclusive": num >= bound, "maxInclusive": num <= bound,
              "minExclusive": num > bound, "maxExclusive": num < bound}[name]
        if not ok:
            rel = {"minInclusive": "below the minimum", "maxInclusive": "above the maximum",
                   "minExclusive": "not above", "maxExclusive": "not below"}
            return f"{rel[name]} {arg}"
    return None


def equal(type_: str, library: str, expected: str, value: str) -> bool:
    """Whether ``value`` equals the ``<value>`` ``expected`` in the type's value space."""
    if library == "":
        if type_ == "string":
            return value == expected
        return " ".join(value.split()) == " ".join(expected.split())
    a, b = normalize(type_, value), normalize(type_, expected)
    if type_ in INT_RANGES or type_ in ("decimal", "float", "double"):
        x, y = _number(type_, a), _number(type_, b)
        if x is not None and y is not None:
            return x == y
    if type_ == "boolean":
        return {"1": "true", "0": "false"}.get(a, a) == {"1": "true", "0": "false"}.get(b, b)
    return a == b
