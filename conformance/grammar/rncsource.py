"""Compact-syntax sources as an author edits them: what they include, and where in them a
problem found in the compiled grammar lies.

rnc2rng reports syntax errors with a location but fails in its own ways on other
mistakes (a missing include is an OSError, an undeclared prefix a KeyError, an
unexpected end of file an AttributeError, and it would fetch an include given as
a URL). The checks here run before it and after it, so every broken grammar is
one ``FILE.rnc:LINE:COL`` error naming the thing to fix.
"""
from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

from lxml import etree

from virtconform.engine import xsd
from virtconform.engine.errors import DocumentError, InputError

_INCLUDE = re.compile(r"\b(include|external)\s+(\"[^\"]*\"|'[^']*')")
_STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")
_IDENT = re.compile(r"[A-Za-z_][\w.-]*")
#: facets of XSD datatypes a RELAX NG grammar may give (enumeration and whiteSpace may not)
FACETS = frozenset({"length", "minLength", "maxLength", "pattern", "minInclusive", "maxInclusive",
                    "minExclusive", "maxExclusive", "totalDigits", "fractionDigits"})
_COUNT_FACETS = frozenset({"length", "minLength", "maxLength", "totalDigits", "fractionDigits"})
_BOUND_FACETS = frozenset({"minInclusive", "maxInclusive", "minExclusive", "maxExclusive"})
_XSD = "http://www.w3.org/2001/XMLSchema-datatypes"
_R = "{http://relaxng.org/ns/structure/1.0}"
_NAMED = frozenset(_R + k for k in ("element", "attribute", "ref", "parentRef", "define"))


def code(line: str) -> str:
    """A source line with its comment removed and string literals blanked (same columns)."""
    out = _STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[0], line)
    at = out.find("#")
    return out if at < 0 else out[:at]


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise DocumentError(f"not UTF-8 text (byte {e.start})", path=str(path), line=1, column=1) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or 'unreadable'}", path=str(path), line=0, column=0) from None


def sources(main: Path) -> list[Path]:
    """``main`` and the files it includes, transitively (in the order they are first named).

    An include that names a missing file or a URL is a located error at the include."""
    out: list[Path] = []
    todo = [main]
    while todo:
        path = todo.pop(0)
        if path in out:
            continue
        out.append(path)
        for n, line in enumerate(_lines(path), 1):
            masked = code(line)
            for m in _INCLUDE.finditer(line):
                if masked[m.start():m.start() + len(m.group(1))] != m.group(1):
                    continue  # inside a comment or a string
                href = m.group(2)[1:-1]
                col = m.start(2) + 1
                if re.match(r"[A-Za-z][\w+.-]*:", href):
                    raise DocumentError(f"{m.group(1)} {href!r}: grammars are read from local files only",
                                        path=str(path), line=n, column=col)
                target = Path(os.path.normpath(path.parent / href))
                if not target.is_file():
                    raise DocumentError(f"{m.group(1)} {href!r}: no such file"
                                        f"{' (a directory)' if target.is_dir() else ''}",
                                        path=str(path), line=n, column=col)
                if m.group(1) == "include":
                    todo.append(target)
    return out


def find(files: list[Path], pattern: str, nth: int = 1,
         after: tuple[Path, int, int] | None = None) -> tuple[Path, int, int] | None:
    """The ``nth`` match of ``pattern`` in the code (not comments) of ``files`` (from the
    place ``after``, when given): file, line, column."""
    rx = re.compile(pattern)
    seen = 0
    if after is not None:
        files = files[files.index(after[0]):] if after[0] in files else files
    for path in files:
        for n, line in enumerate(_lines(path), 1):
            for m in rx.finditer(code(line)):
                if after is not None and path == after[0] and (n, m.start() + 1) < after[1:]:
                    continue
                seen += 1
                if seen == nth:
                    return path, n, m.start() + 1
    return None


def find_literal(files: list[Path], text: str) -> tuple[Path, int, int] | None:
    """Where a string literal with content ``text`` is written."""
    for path in files:
        for n, line in enumerate(_lines(path), 1):
            for m in _STRING.finditer(line):
                if m.group(0)[1:-1] == text and code(line)[m.start()] in "\"'":
                    return path, n, m.start() + 1
    return None


def reference(files: list[Path], name: str) -> tuple[Path, int, int] | None:
    """Where ``name`` is used as a reference: not defined there (``name =``), not the name
    of an element or attribute, not in a comment or string."""
    for path in files:
        for n, line in enumerate(_lines(path), 1):
            c = code(line)
            for m in _IDENT.finditer(c):
                if m.group(0) != name or (m.start() and c[m.start() - 1] in ":.-"):
                    continue
                before = c[:m.start()].rstrip()
                after = c[m.end():].lstrip()
                if re.search(r"\b(element|attribute)$", before) or re.match(r"[|&]?=(?!=)", after):
                    continue
                return path, n, m.start() + 1
    return None


def definition(files: list[Path], name: str, nth: int = 1) -> tuple[Path, int, int] | None:
    """Where ``name`` is defined (``name =``, ``name |=``, ``name &=``) for the ``nth`` time."""
    return find(files, r"(?<![\w.:-])" + re.escape(name) + r"\s*[|&]?=(?!=)", nth)


def end_of_file(path: Path) -> tuple[int, int]:
    lines = _lines(path)
    n = len(lines)
    while n > 1 and not code(lines[n - 1]).strip():
        n -= 1
    return max(n, 1), len(code(lines[n - 1]).rstrip()) + 1 if lines else 1


def parsing_file(exc: BaseException) -> Path | None:
    """The file rnc2rng was parsing when ``exc`` was raised (includes are parsed recursively)."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_name == "parse" and frame.f_code.co_filename.endswith(("rnc2rng/parser.py",
                                                                                   "rnc2rng\\parser.py")):
            fn = frame.f_locals.get("fn")
            if isinstance(fn, str):
                found = Path(fn)
    return found


def failing_function(exc: BaseException) -> str | None:
    """The name of the innermost rnc2rng function ``exc`` came from."""
    name = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if "rnc2rng" in frame.f_code.co_filename:
            name = frame.f_code.co_name
    return name


def located(files: list[Path], message: str, where: tuple[Path, int, int] | None) -> DocumentError:
    path, line, col = where if where is not None else (files[0], 1, 1)
    return DocumentError(message, path=str(path), line=line, column=col)


def check_datatypes(files: list[Path], compiled: etree._Element) -> None:
    """Facets a datatype does not have, bounds that are not numbers, patterns that are not
    regular expressions: errors of the grammar that libxml2 only meets while validating."""
    for data in compiled.iter(_R + "data"):
        lib = next((a.get("datatypeLibrary") for a in data.iterancestors()
                    if a.get("datatypeLibrary") is not None), data.get("datatypeLibrary", ""))
        lib = data.get("datatypeLibrary", lib)
        if lib != _XSD:
            continue
        for param in data.iter(_R + "param"):
            if param.getparent() is not data:
                continue
            name, arg = param.get("name", ""), param.text or ""
            if name not in FACETS:
                raise located(files, f"broken grammar: xsd:{data.get('type')} has no parameter {name!r} "
                              f"(it may have {', '.join(sorted(FACETS))})",
                              definition(files, name) or find(files, re.escape(name)))
            bad = None
            if name == "pattern" and xsd.compile_pattern(arg) is None and "-[" not in arg:
                bad = f"broken grammar: pattern {arg!r} is not a regular expression"
            elif name in _COUNT_FACETS and not arg.strip().isdigit():
                bad = f"broken grammar: {name} {arg!r} is not a non-negative integer"
            elif name in _BOUND_FACETS and xsd.check("decimal", _XSD, [], arg.strip()) is not None \
                    and data.get("type") not in ("float", "double", "date", "dateTime", "time", "duration"):
                bad = f"broken grammar: {name} {arg!r} is not a number"
            if bad:
                raise located(files, bad, find_literal(files, arg) or definition(files, name))


def blame_compiled_line(files: list[Path], compiled: etree._Element, line: int) -> tuple[Path, int, int] | None:
    """Where in the sources the construct on ``line`` of the compiled grammar comes from:
    for a group or interleave, the attribute given twice in it; else the first name in it."""
    at = next((e for e in compiled.iter() if isinstance(e.tag, str) and e.sourceline == line), None)
    if at is None:
        return None
    if at.tag in (_R + "group", _R + "interleave", _R + "element"):
        seen: set[str] = set()
        for a in at.iter(_R + "attribute"):
            name = _name(a)
            if not name or _in_element_below(a, at):
                continue
            if name in seen:
                owner = at if at.tag == _R + "element" else next(at.iterancestors(_R + "element"), None)
                owner_name = _name(owner) if owner is not None else None
                start = find(files, r"\belement\s+" + re.escape(owner_name) + r"\b") if owner_name else None
                return find(files, r"\battribute\s+" + re.escape(name) + r"\b", 2, after=start)
            seen.add(name)
    for e in at.iter():
        name = _name(e) if e.tag in _NAMED else None
        if name:
            kind = e.tag[len(_R):]
            if kind in ("element", "attribute"):
                return find(files, rf"\b{kind}\s+{re.escape(name)}\b")
            return definition(files, name) if kind == "define" else reference(files, name)
    return None


def _in_element_below(p: etree._Element, top: etree._Element) -> bool:
    """Whether an element pattern lies between ``p`` and its ancestor ``top``."""
    for x in p.iterancestors():
        if x is top:
            return False
        if x.tag == _R + "element":
            return True
    return False


def _name(p: etree._Element) -> str | None:
    """The name of a define, ref, element or attribute (attribute or <name> child form)."""
    if p.get("name"):
        return p.get("name")
    if p.tag in (_R + "element", _R + "attribute"):
        child = p.find(_R + "name")
        if child is not None and child.text:
            return child.text.strip()
    return None
