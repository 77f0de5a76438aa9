"""Declarative XML fields: each XML attribute/element of the domain is declared once.

A model class lists its fields in document order; parsing, formatting (libvirt's
exact layout: two-space indent, single-quoted attributes, empty elements
self-closed) and the generators' view of the model all derive from those
declarations. virt-manager's XMLProperty idea, without XPath.
"""
from __future__ import annotations

import re
import uuid as _uuid
from collections.abc import Iterator
from typing import Any, ClassVar, TypeVar

from lxml import etree

from ..errors import ConfigError

T = TypeVar("T", bound="Element")


# --------------------------------------------------------------------------- converters

class Conv:
    """Text <-> value for one XML value type."""

    name = "string"

    def parse(self, text: str) -> Any:
        return text

    def format(self, value: Any) -> str:
        return str(value)


class _Str(Conv):
    pass


def c_strtoul(text: str, base: int) -> int:
    """C strtoul as virStrToLong_ui uses it: whole string, base 0 = auto (0x hex, 0 octal)."""
    s = text.strip()
    if base == 0:
        body = s[1:] if s[:1] in "+-" else s
        if body[:2].lower() == "0x":
            base = 16
        elif len(body) > 1 and body[0] == "0":
            base = 8
        else:
            base = 10
    if not s or s[-1:].isspace() or "_" in s:
        raise ValueError(text)
    return int(s, base)


class _Int(Conv):
    name = "integer"

    def __init__(self, base: int = 10, lo: int | None = None, hi: int | None = None) -> None:
        self.base, self.lo, self.hi = base, lo, hi

    def parse(self, text: str) -> int:
        try:
            v = c_strtoul(text, self.base)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ValueError(f"'{text}' is out of range")
        return v


class Hex(_Int):
    """Parsed with C base-0 rules, formatted as 0x%.Nx (PCI addresses)."""

    name = "hex"

    def __init__(self, width: int, hi: int) -> None:
        super().__init__(0, 0, hi)
        self.width = width

    def format(self, value: int) -> str:
        return f"0x{value:0{self.width}x}"


class Enum(Conv):
    name = "enum"

    def __init__(self, *values: str) -> None:
        self.values = values

    def parse(self, text: str) -> str:
        if text not in self.values:
            raise ValueError(f"unknown value '{text}'")
        return text


class YesNo(Conv):
    name = "yesno"

    def parse(self, text: str) -> bool:
        if text == "yes":
            return True
        if text == "no":
            return False
        raise ValueError(f"'{text}' is neither yes nor no")

    def format(self, value: bool) -> str:
        return "yes" if value else "no"


class Uuid(Conv):
    """virUUIDParse: 32 hex digits, dashes and spaces between pairs ignored."""

    name = "uuid"

    def parse(self, text: str) -> str:
        s = text.strip()
        hexes = s.replace("-", "").replace(" ", "")
        if len(hexes) != 32 or not re.fullmatch(r"[0-9a-fA-F]{32}", hexes) or s.startswith("-"):
            raise ValueError(f"malformed uuid '{text}'")
        return str(_uuid.UUID(hexes))


STR = _Str()
INT = _Int(10)
UINT = _Int(10, 0)
LONG = _Int(10)
AUTO_UINT = _Int(0, 0)


# --------------------------------------------------------------------------- fields

class Field:
    """One XML item of a model class, declared once."""

    kind = "attr"

    def __init__(self, xml: str, conv: Conv = STR, default: Any = None, *,
                 doc: str = "") -> None:
        self.xml = xml
        self.conv = conv
        self.default = default
        self.doc = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} xml={self.xml!r}>"


class Attr(Field):
    """An attribute of the element."""


class Text(Field):
    """The element's own text content."""

    kind = "text"


class TextChild(Field):
    """A child element that carries only text: ``<name>x</name>``."""

    kind = "textchild"


class Flag(Field):
    """An empty child element whose presence is the value: ``<readonly/>``."""

    kind = "flag"

    def __init__(self, xml: str, *, doc: str = "") -> None:
        super().__init__(xml, STR, False, doc=doc)


class AttrChild(Field):
    """A child element with a single attribute: ``<mac address='..'/>``."""

    kind = "attrchild"

    def __init__(self, xml: str, attr: str, conv: Conv = STR, default: Any = None, *,
                 doc: str = "") -> None:
        super().__init__(xml, conv, default, doc=doc)
        self.attr = attr


class Child(Field):
    """A single child element modelled by ``cls``."""

    kind = "child"

    def __init__(self, xml: str, cls: type[Element], *, doc: str = "") -> None:
        super().__init__(xml, STR, None, doc=doc)
        self.cls = cls


class Children(Field):
    """Repeated child elements modelled by ``cls``, in document order."""

    kind = "children"

    def __init__(self, xml: str, cls: type[Element], *, doc: str = "") -> None:
        super().__init__(xml, STR, None, doc=doc)
        self.cls = cls


# --------------------------------------------------------------------------- escaping

_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;",
                      "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_ESC_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;",
                           "\r": "&#13;"})


def esc_attr(s: str) -> str:
    """libvirt's virBufferEscapeString, plus whitespace that would not survive re-parsing."""
    return s.translate(_ESC)


def esc_text(s: str) -> str:
    return s.translate(_ESC_TEXT)


# --------------------------------------------------------------------------- elements

def locate_source(src: tuple[Any, Any] | None) -> tuple[str | None, int, int]:
    """(path, line, column) of an element's source: a (document, lxml element) pair,
    kept as a plain tuple because every parsed element carries one."""
    if src is None:
        return None, 0, 0
    doc, elem = src
    if doc is None:
        return None, (elem.sourceline or 0) if elem is not None else 0, 0
    line, col = doc.locate(elem)
    return doc.path, line, col


class Element:
    """Base of every model class; subclasses declare ``Field``s as class attributes."""

    fields: ClassVar[tuple[Field, ...]] = ()
    _by_attr: ClassVar[dict[str, Field]]
    _by_child: ClassVar[dict[str, Field]]
    _text: ClassVar[Field | None]
    _defaults: ClassVar[dict[str, Any]]
    _list_fields: ClassVar[tuple[str, ...]]
    _nested: ClassVar[tuple[Field, ...]]
    _names: ClassVar[frozenset[str]]
    _variants: ClassVar[bool] = False
    _checks: ClassVar[bool] = False
    #: libvirt writes this element's start and end tags on lines of their own even when
    #: it has no content (e.g. a hostdev <source> with nothing to say)
    open_when_empty: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        own = [v for v in vars(cls).values() if isinstance(v, Field)]
        inherited = [f for f in cls.fields if f.name not in vars(cls)]
        cls.fields = tuple(inherited + own)
        cls._by_attr = {f.xml: f for f in cls.fields if f.kind == "attr"}
        cls._by_child = {f.xml: f for f in cls.fields if f.kind not in ("attr", "text")}
        texts = [f for f in cls.fields if f.kind == "text"]
        cls._text = texts[0] if texts else None
        # Instance values shadow the Field declarations. Precomputed so that
        # parsing an element is one dict update, not a setattr per field.
        cls._defaults = {f.name: (False if f.kind == "flag" else f.default)
                         for f in cls.fields if f.kind != "children"}
        cls._list_fields = tuple(f.name for f in cls.fields if f.kind == "children")
        cls._nested = tuple(f for f in cls.fields if f.kind in ("child", "children"))
        cls._names = frozenset(f.name for f in cls.fields)
        # hooks that most classes leave alone are not called at all
        cls._variants = cls.variant_for.__func__ is not Element.variant_for.__func__  # type: ignore[attr-defined]
        cls._checks = cls.parsed is not Element.parsed

    def __init__(self, **values: Any) -> None:
        d = self.__dict__
        d.update(self._defaults)
        for name in self._list_fields:
            d[name] = []
        d["_src"] = None
        for k, v in values.items():
            if k not in self._names:
                raise TypeError(f"{type(self).__name__} has no field {k}")
            d[k] = v

    # ---- errors
    def error(self, message: str, cls: type[ConfigError] = ConfigError) -> ConfigError:
        """A located error about this element."""
        err = cls(message)
        if self._src is not None:
            path, line, col = locate_source(self._src)
            err.located(path, line, col)
        return err

    # ---- parsing
    @classmethod
    def variant_for(cls, elem: etree._Element) -> type[Element]:
        """Which concrete class models ``elem``; unions (addresses) override this."""
        return cls

    @classmethod
    def variants(cls) -> tuple[type[Element], ...]:
        """Every class ``variant_for`` may pick (unions override this with it)."""
        return (cls,)

    @classmethod
    def xml_paths(cls, prefix: str) -> set[str]:
        """The element/attribute paths this class declares below ``prefix``
        (``/domain/devices/disk/@type`` style), the model's own view of the schema."""
        out: set[str] = set()
        for variant in cls.variants():
            for f in variant.fields:
                if f.kind == "attr":
                    out.add(f"{prefix}/@{f.xml}")
                elif f.kind in ("textchild", "flag"):
                    out.add(f"{prefix}/{f.xml}")
                elif f.kind == "attrchild":
                    out |= {f"{prefix}/{f.xml}", f"{prefix}/{f.xml}/@{f.attr}"}  # type: ignore[attr-defined]
                elif f.kind in ("child", "children"):
                    out.add(f"{prefix}/{f.xml}")
                    out |= f.cls.xml_paths(f"{prefix}/{f.xml}")  # type: ignore[attr-defined]
        return out

    @classmethod
    def parse(cls: type[T], elem: etree._Element, doc: Any = None) -> T:
        if cls._variants:
            cls = cls.variant_for(elem)  # type: ignore[assignment]
        obj = cls.__new__(cls)
        d = obj.__dict__
        d.update(cls._defaults)
        for name in cls._list_fields:
            d[name] = []
        d["_src"] = (doc, elem)
        by_attr = cls._by_attr
        for key, text in elem.items():
            f = by_attr.get(key)
            if f is None:
                raise obj.error(f"unexpected attribute '{key}' on <{etree.QName(elem).localname}>")
            if f.conv is STR:
                d[f.name] = text
            else:
                try:
                    d[f.name] = f.conv.parse(text)
                except ValueError as e:
                    raise obj.error(f"invalid {key}: {e}") from None
        tf = cls._text
        if tf is not None:
            t = (elem.text or "").strip()
            d[tf.name] = (t if tf.conv is STR else _convert(obj, tf, t, "text")) if t or tf.conv is STR \
                else tf.default
        if not len(elem):
            if cls._checks:
                obj.parsed()
            return obj
        seen: set[str] = set()
        by_child = cls._by_child
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            f = by_child.get(tag)
            if f is None:
                raise _child_error(obj, doc, child, f"unexpected element <{tag}>")
            kind = f.kind
            if kind == "children":
                d[f.name].append(f.cls.parse(child, doc))
                continue
            if tag in seen:
                raise _child_error(obj, doc, child, f"duplicate element <{tag}>")
            seen.add(tag)
            if kind == "child":
                d[f.name] = f.cls.parse(child, doc)
            elif kind == "flag":
                d[f.name] = True
            elif kind == "textchild":
                # virXPathString: text kept as written, an empty one is no value
                t = child.text or ""
                d[f.name] = (t or None) if f.conv is STR else _convert(obj, f, t.strip(), tag)
            elif kind == "attrchild":
                v = child.get(f.attr)
                if v is None:
                    raise _child_error(obj, doc, child, f"<{tag}> lacks attribute '{f.attr}'")
                d[f.name] = v if f.conv is STR else _convert(obj, f, v, f"{tag}/@{f.attr}")
        if cls._checks:
            obj.parsed()
        return obj

    def parsed(self) -> None:
        """Hook run right after parsing this element (element-local checks)."""

    # ---- formatting
    def format(self, tag: str, indent: int = 0) -> str:
        out: list[str] = []
        self.write(out, tag, indent)
        return "".join(out)

    def write(self, out: list[str], tag: str, indent: int) -> None:
        pad = " " * indent
        head = [pad, "<", tag]
        for f in self.fields:
            if f.kind == "attr":
                v = getattr(self, f.name)
                if v is not None:
                    head.append(f" {f.xml}='{esc_attr(f.conv.format(v))}'")
        text_f = self._text
        if text_f is not None:
            v = getattr(self, text_f.name)
            out.append("".join(head))
            out.append(f">{esc_text(text_f.conv.format(v)) if v is not None else ''}</{tag}>\n")
            return
        body: list[str] = []
        cpad = " " * (indent + 2)
        for f in self.fields:
            kind = f.kind
            if kind == "attr":
                continue
            v = getattr(self, f.name)
            if kind == "children":
                for item in v:
                    item.write(body, f.xml, indent + 2)
            elif v is None or v is False:
                continue
            elif kind == "child":
                v.write(body, f.xml, indent + 2)
            elif kind == "flag":
                body.append(f"{cpad}<{f.xml}/>\n")
            elif kind == "textchild":
                body.append(f"{cpad}<{f.xml}>{esc_text(f.conv.format(v))}</{f.xml}>\n")
            elif kind == "attrchild":
                body.append(f"{cpad}<{f.xml} {f.attr}='{esc_attr(f.conv.format(v))}'/>\n")
        out.append("".join(head))
        if body:
            out.append(">\n")
            out.extend(body)
            out.append(f"{pad}</{tag}>\n")
        elif self.open_when_empty:
            out.append(f">\n{pad}</{tag}>\n")
        else:
            out.append("/>\n")

    # ---- misc
    def walk(self) -> Iterator[Element]:
        """This element and every element below it."""
        yield self
        for f in self.fields:
            if f.kind == "child":
                v = getattr(self, f.name)
                if v is not None:
                    yield from v.walk()
            elif f.kind == "children":
                for item in getattr(self, f.name):
                    yield from item.walk()

    def copy(self: T) -> T:
        """A deep copy of the element tree (values themselves are immutable)."""
        new = self.__class__.__new__(self.__class__)
        d = new.__dict__
        d.update(self.__dict__)
        for f in self._nested:
            v = d[f.name]
            if f.kind == "child":
                if v is not None:
                    d[f.name] = v.copy()
            else:
                d[f.name] = [c.copy() for c in v]
        return new

    def __repr__(self) -> str:
        vals = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.fields
                         if getattr(self, f.name) not in (None, [], False))
        return f"{type(self).__name__}({vals})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in self.fields)

    __hash__ = None  # type: ignore[assignment]


def _convert(obj: Element, f: Field, text: str, what: str) -> Any:
    try:
        return f.conv.parse(text)
    except ValueError as e:
        raise obj.error(f"invalid {what}: {e}") from None


def _child_error(obj: Element, doc: Any, child: etree._Element, message: str) -> ConfigError:
    err = ConfigError(message)
    if doc is not None:
        line, col = doc.locate(child)
        err.located(doc.path, line, col)
    elif obj._src is not None:
        path, line, col = locate_source(obj._src)
        err.located(path, line, col)
    return err
