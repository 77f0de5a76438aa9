"""Declarative XML fields: each XML attribute/element of the domain is declared once.

A model class lists its fields in libvirt's output order; parsing, formatting
(libvirt 0.8.3's exact layout: two-space indent, single-quoted attributes,
empty elements self-closed) and the generators' view of the model all derive
from those declarations. virt-manager's XMLProperty idea, without XPath.

Parsing follows libvirt's reader, not a schema validator: unknown elements and
attributes are ignored, a repeated single element counts once (the first), a
text element's value is all the text inside it and an empty one is no value
(virXPathString). Element-specific rules of libvirt's parser live in the
``parsed`` hook of each class; where libvirt prints a value only under some
condition, the field's ``show`` predicate says so.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from lxml import etree

from ..errors import ConfigError
from . import cvalues

T = TypeVar("T", bound="Element")


# --------------------------------------------------------------------------- converters

class Conv:
    """Text <-> value for one XML value type; ``parse`` raises ValueError(message)."""

    name = "string"

    def parse(self, text: str) -> Any:
        return text

    def format(self, value: Any) -> str:
        return str(value)


class _Str(Conv):
    pass


class CInt(Conv):
    """An integer read the way libvirt reads it: ``ui`` virStrToLong_ui, ``i``
    virStrToLong_i (whole string, C range), ``ul`` virXPathULong (a leading number,
    C unsigned long with its wrap-around). ``error`` is libvirt's message, with %s
    for the text."""

    name = "integer"

    def __init__(self, kind: str = "ui", base: int = 10, error: str = "cannot parse '%s'") -> None:
        self.kind, self.base, self.error = kind, base, error

    def parse(self, text: str) -> int:
        if self.kind == "ul":
            try:
                v = cvalues.xpath_ulong(text, self.base)
            except ValueError:
                v = None
        elif self.kind == "i":
            v = cvalues.str_to_i(text, self.base)
        else:
            v = cvalues.str_to_ui(text, self.base)
        if v is None:
            raise ValueError(self.error.replace("%s", text))
        return v


class Hex(CInt):
    """virStrToLong_ui base 16, formatted 0x%.Nx (PCI addresses, USB ids)."""

    name = "hex"

    def __init__(self, width: int, error: str, base: int = 16) -> None:
        super().__init__("ui", base, error)
        self.width = width

    def format(self, value: int) -> str:
        return f"0x{value:0{self.width}x}"


class Signed(Conv):
    """An unsigned C value that libvirt prints with %d."""

    def __init__(self, inner: CInt) -> None:
        self.inner = inner
        self.name = inner.name

    def parse(self, text: str) -> int:
        return self.inner.parse(text)

    def format(self, value: int) -> str:
        return str(cvalues.as_int32(value))


class Enum(Conv):
    """One of libvirt's enum strings (virEnumFromString: exact match)."""

    name = "enum"

    def __init__(self, *values: str, error: str = "unknown value '%s'") -> None:
        self.values = values
        self.error = error

    def parse(self, text: str) -> str:
        if text not in self.values:
            raise ValueError(self.error.replace("%s", text))
        return text


class YesNo(Conv):
    """'yes' or 'no', anything else refused with ``error``."""

    name = "yesno"

    def __init__(self, error: str = "unknown value '%s'") -> None:
        self.error = error

    def parse(self, text: str) -> bool:
        if text == "yes":
            return True
        if text == "no":
            return False
        raise ValueError(self.error.replace("%s", text))

    def format(self, value: bool) -> str:
        return "yes" if value else "no"


class YesOnly(YesNo):
    """STREQ(value, "yes"): anything else is no."""

    def parse(self, text: str) -> bool:
        return text == "yes"


class Uuid(Conv):
    """virUUIDParse, formatted in the canonical lower-case form."""

    name = "uuid"

    def __init__(self, error: str = "malformed uuid element") -> None:
        self.error = error

    def parse(self, text: str) -> str:
        v = cvalues.uuid_parse(text)
        if v is None:
            raise ValueError(self.error.replace("%s", text))
        return v


STR = _Str()
UINT = CInt("ui")
INT = CInt("i")


# --------------------------------------------------------------------------- fields

def _shown(value: Any) -> bool:
    return value is not None and value is not False


class Field:
    """One XML item of a model class, declared once.

    ``show(element)`` decides whether it is printed (default: it has a value);
    ``raw`` prints the value unescaped, as libvirt's plain printf does; ``read``
    False declares an item of the language that libvirt's parser never reads."""

    kind = "attr"

    def __init__(self, xml: str, conv: Conv = STR, default: Any = None, *,
                 show: Callable[[Any], bool] | None = None, raw: bool = False,
                 read: bool = True, doc: str = "") -> None:
        self.xml = xml
        self.conv = conv
        self.default = default
        self.show = show
        self.raw = raw
        self.read = read
        self.doc = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} xml={self.xml!r}>"

    def text(self, value: Any) -> str:
        s = value if value.__class__ is str else self.conv.format(value)
        return s if self.raw else s.translate(_ESC)


class Attr(Field):
    """An attribute of the element."""


class Text(Field):
    """The element's own text content."""

    kind = "text"


class TextChild(Field):
    """A child element that carries only text: ``<name>x</name>``. ``keep_empty``:
    an empty one is the empty string (xmlNodeGetContent), not no value."""

    kind = "textchild"

    def __init__(self, xml: str, conv: Conv = STR, default: Any = None, *,
                 keep_empty: bool = False, **kw: Any) -> None:
        super().__init__(xml, conv, default, **kw)
        self.keep_empty = keep_empty


class Flag(Field):
    """An empty child element whose presence is the value: ``<readonly/>``."""

    kind = "flag"

    def __init__(self, xml: str, **kw: Any) -> None:
        super().__init__(xml, STR, False, **kw)


class AttrChild(Field):
    """A child element with a single attribute: ``<mac address='..'/>``."""

    kind = "attrchild"

    def __init__(self, xml: str, attr: str, conv: Conv = STR, default: Any = None,
                 **kw: Any) -> None:
        super().__init__(xml, conv, default, **kw)
        self.attr = attr


class Child(Field):
    """A single child element modelled by ``cls``."""

    kind = "child"

    def __init__(self, xml: str, cls: type[Element], **kw: Any) -> None:
        super().__init__(xml, STR, None, **kw)
        self.cls = cls


class Children(Field):
    """Repeated child elements modelled by ``cls``, in document order."""

    kind = "children"

    def __init__(self, xml: str, cls: type[Element], **kw: Any) -> None:
        super().__init__(xml, STR, None, **kw)
        self.cls = cls


# --------------------------------------------------------------------------- escaping

_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;"})


def esc(s: str) -> str:
    """libvirt's virBufferEscapeString: the five XML specials, nothing else."""
    return s.translate(_ESC)


esc_attr = esc_text = esc


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


def first_child(elem: etree._Element, tag: str) -> etree._Element | None:
    for c in elem:
        if c.tag == tag:
            return c
    return None


def string_value(elem: etree._Element) -> str:
    """XPath string(): all the text inside the element."""
    return "".join(elem.itertext())


class Element:
    """Base of every model class; subclasses declare ``Field``s as class attributes.

    ``always_open``: libvirt prints the element with an end tag even when empty."""

    fields: ClassVar[tuple[Field, ...]] = ()
    always_open: ClassVar[bool] = False
    _by_attr: ClassVar[dict[str, Field]]
    _text: ClassVar[Field | None]
    _defaults: ClassVar[dict[str, Any]]
    _list_fields: ClassVar[tuple[str, ...]]
    _nested: ClassVar[tuple[Field, ...]]
    _names: ClassVar[frozenset[str]]
    _read_children: ClassVar[tuple[Field, ...]]
    _attr_fields: ClassVar[tuple[Field, ...]]
    _child_fields: ClassVar[tuple[Field, ...]]
    _variants: ClassVar[bool] = False
    _checks: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        own = [v for v in vars(cls).values() if isinstance(v, Field)]
        inherited = [f for f in cls.fields if f.name not in vars(cls)]
        cls.fields = tuple(inherited + own)
        cls._by_attr = {f.xml: f for f in cls.fields if f.kind == "attr" and f.read}
        texts = [f for f in cls.fields if f.kind == "text"]
        cls._text = texts[0] if texts else None
        # Instance values shadow the Field declarations. Precomputed so that
        # parsing an element is one dict update, not a setattr per field.
        cls._defaults = {f.name: (False if f.kind == "flag" else f.default)
                         for f in cls.fields if f.kind != "children"}
        cls._list_fields = tuple(f.name for f in cls.fields if f.kind == "children")
        cls._nested = tuple(f for f in cls.fields if f.kind in ("child", "children"))
        cls._names = frozenset(f.name for f in cls.fields)
        cls._read_children = tuple(f for f in cls.fields if f.kind not in ("attr", "text") and f.read)
        cls._attr_fields = tuple(f for f in cls.fields if f.kind == "attr")
        cls._child_fields = tuple(f for f in cls.fields if f.kind not in ("attr", "text"))
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
        attrs = elem.attrib
        for key, f in cls._by_attr.items():
            text = attrs.get(key)
            if text is None:
                continue
            d[f.name] = text if f.conv is STR else _convert(obj, f, text)
        tf = cls._text
        if tf is not None:
            t = string_value(elem)
            d[tf.name] = (t if tf.conv is STR else _convert(obj, tf, t)) if t else tf.default
        if len(elem):
            for f in cls._read_children:
                kind = f.kind
                if kind == "children":
                    d[f.name] = [f.cls.parse(c, doc) for c in elem if c.tag == f.xml]  # type: ignore[attr-defined]
                    continue
                child = first_child(elem, f.xml)
                if child is None:
                    continue
                if kind == "child":
                    d[f.name] = f.cls.parse(child, doc)  # type: ignore[attr-defined]
                elif kind == "flag":
                    d[f.name] = True
                elif kind == "textchild":
                    t = string_value(child)
                    if t or f.keep_empty:  # type: ignore[attr-defined]
                        d[f.name] = t if f.conv is STR else _convert(obj, f, t)
                elif kind == "attrchild":
                    v = child.get(f.attr)  # type: ignore[attr-defined]
                    if v is not None:
                        d[f.name] = v if f.conv is STR else _convert(obj, f, v)
        if cls._checks:
            obj.parsed(elem)
        return obj

    def parsed(self, elem: etree._Element) -> None:
        """Hook run right after parsing this element: libvirt's element-local rules
        (``elem`` is the source, for the rules that look at it again)."""

    # ---- formatting
    def format(self, tag: str, indent: int = 0) -> str:
        out: list[str] = []
        self.write(out, tag, indent)
        return "".join(out)

    def shows(self, f: Field, value: Any) -> bool:
        return f.show(self) if f.show is not None else _shown(value)

    def write(self, out: list[str], tag: str, indent: int) -> None:
        pad = " " * indent
        head = [pad, "<", tag]
        d = self.__dict__
        for f in self._attr_fields:
            v = d[f.name]
            if (f.show(self) if f.show is not None else v is not None and v is not False):
                head.append(f" {f.xml}='{f.text(v)}'")
        text_f = self._text
        if text_f is not None:
            v = d[text_f.name]
            out.append("".join(head))
            out.append(f">{text_f.text(v) if v is not None else ''}</{tag}>\n")
            return
        body: list[str] = []
        cpad = " " * (indent + 2)
        for f in self._child_fields:
            kind = f.kind
            v = d[f.name]
            if kind == "children":
                for item in v:
                    if item.listed():
                        item.write(body, f.xml, indent + 2)
                continue
            if not self.shows(f, v):
                continue
            if kind == "child":
                v.write(body, f.xml, indent + 2)
            elif kind == "flag":
                body.append(f"{cpad}<{f.xml}/>\n")
            elif kind == "textchild":
                body.append(f"{cpad}<{f.xml}>{f.text(v)}</{f.xml}>\n")
            elif kind == "attrchild":
                body.append(f"{cpad}<{f.xml} {f.attr}='{f.text(v)}'/>\n")  # type: ignore[attr-defined]
        out.append("".join(head))
        if body or self.always_open:
            out.append(">\n")
            out.extend(body)
            out.append(f"{pad}</{tag}>\n")
        else:
            out.append("/>\n")

    def listed(self) -> bool:
        """Whether libvirt prints this item of a list (most are always printed)."""
        return True

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


def xml_error(message: str) -> str:
    """libvirt's VIR_ERR_XML_ERROR wording around a message."""
    return f"XML description for {message} is not well formed or invalid"


def _convert(obj: Element, f: Field, text: str) -> Any:
    try:
        return f.conv.parse(text)
    except ValueError as e:
        raise obj.error(str(e)) from None
