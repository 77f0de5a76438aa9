"""Valid or not, through libxml2's C API, without importing lxml.

Most documents a batch `validate` sees are valid, and for them the whole answer is one
libxml2 RELAX NG validation. Importing lxml costs ~100M instructions of start-up (more
than validating 150 domains), and a tree of Python proxies per document is not needed
to say yes. So the library lxml itself runs is opened with ctypes -- lxml's extension
module exports libxml2's API, whether libxml2 is linked into it or beside it -- and
asked directly: the same library, the same parser options as xmlio's parser, the same
compiled schema file, hence the same verdicts.

Only a sure answer is given: VALID (the document parsed cleanly and the schema accepts
it) or REJECTED (it parsed cleanly and the schema rejects it). Anything else --
a DOCTYPE, bytes that do not prove the depth limit, a parse error, a libxml2 failure,
no usable library -- is UNDECIDED, and the caller takes the lxml path (xmlio, schema),
which also says why a document is rejected, exactly as it always did.
"""
from __future__ import annotations

import ctypes
import os
import sys

from .xmlbytes import shallow_for_sure

VALID, REJECTED, UNDECIDED = 0, 1, 2

# libxml2's xmlParserOption bits: what xmlio's XMLParser(resolve_entities=False,
# no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False,
# collect_ids=False) passes (lxml: NOCDATA | NONET | COMPACT | BIG_LINES), plus
# NOERROR | NOWARNING, which only keep libxml2 from printing (errors are still recorded).
_NOERROR, _NOWARNING, _NONET, _NOCDATA, _COMPACT, _BIG_LINES = \
    1 << 5, 1 << 6, 1 << 11, 1 << 14, 1 << 16, 1 << 22
_LXML_OPTIONS = _NOCDATA | _NONET | _COMPACT | _BIG_LINES
_OPTIONS = _LXML_OPTIONS | _NOERROR | _NOWARNING
_XML_ERR_ERROR = 2  # xmlErrorLevel: lxml refuses a parse whose last error is at least this


class _XmlError(ctypes.Structure):
    """The head of libxml2's xmlError (unchanged since libxml2 2.6)."""

    _fields_ = [("domain", ctypes.c_int), ("code", ctypes.c_int), ("message", ctypes.c_void_p),
                ("level", ctypes.c_int)]


_ErrorHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_IGNORE = _ErrorHandler(lambda _data, _error: None)  # the caller's lxml path reports errors


def _library_path() -> str | None:
    """lxml's etree extension module, found without importing it."""
    loaded = sys.modules.get("lxml.etree")
    if loaded is not None:
        return getattr(loaded, "__file__", None)
    from importlib.machinery import EXTENSION_SUFFIXES
    try:
        import lxml
    except ImportError:
        return None
    for entry in getattr(lxml, "__path__", ()):
        for suffix in EXTENSION_SUFFIXES:
            candidate = os.path.join(entry, "etree" + suffix)
            if os.path.isfile(candidate):
                return candidate
    return None


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    signatures = {
        "xmlInitParser": (None, []),
        "xmlNewParserCtxt": (vp, []),
        "xmlCtxtReadMemory": (vp, [vp, cp, i, cp, cp, i]),
        "xmlCtxtReadFile": (vp, [vp, cp, cp, i]),
        "xmlCtxtGetLastError": (ctypes.POINTER(_XmlError), [vp]),
        "xmlFreeDoc": (None, [vp]),
        "xmlRelaxNGNewDocParserCtxt": (vp, [vp]),
        "xmlRelaxNGSetParserStructuredErrors": (None, [vp, _ErrorHandler, vp]),
        "xmlRelaxNGParse": (vp, [vp]),
        "xmlRelaxNGFreeParserCtxt": (None, [vp]),
        "xmlRelaxNGNewValidCtxt": (vp, [vp]),
        "xmlRelaxNGSetValidStructuredErrors": (None, [vp, _ErrorHandler, vp]),
        "xmlRelaxNGValidateDoc": (i, [vp, vp]),
        "xmlRelaxNGFreeValidCtxt": (None, [vp]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)  # AttributeError: not this library
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class FastSchema:
    """A RELAX NG schema compiled by libxml2 through its C API, and a parser context."""

    def __init__(self, lib: ctypes.CDLL, schema: int, parser: int) -> None:
        self._lib = lib
        self._schema = schema
        self._parser = parser
        # one validation context serves a run of valid documents (its pool of validation
        # states is reused: ~6% of the work per document); after any other outcome it is
        # dropped, so no context ever carries what a failed validation left in it
        self._valid_ctxt: int | None = None

    def verdict(self, data: bytes) -> int:
        """VALID, REJECTED or UNDECIDED (see the module's docstring) for a document's bytes."""
        if b"<!DOCTYPE" in data or not shallow_for_sure(data):
            return UNDECIDED  # xmlio's checks decide: entities refused, depth from the tree
        lib = self._lib
        doc = lib.xmlCtxtReadMemory(self._parser, data, len(data), None, None, _OPTIONS)
        if not doc:
            return UNDECIDED
        try:
            last = lib.xmlCtxtGetLastError(self._parser)
            if last and last.contents.code and last.contents.level >= _XML_ERR_ERROR:
                return UNDECIDED  # well-formed, but lxml refuses it (a namespace error)
            ctxt = self._valid_ctxt
            if ctxt is None:
                ctxt = lib.xmlRelaxNGNewValidCtxt(self._schema)
                if not ctxt:
                    return UNDECIDED
                lib.xmlRelaxNGSetValidStructuredErrors(ctxt, _IGNORE, None)
            status = lib.xmlRelaxNGValidateDoc(ctxt, doc)
            if status == 0:
                self._valid_ctxt = ctxt
            else:
                self._valid_ctxt = None
                lib.xmlRelaxNGFreeValidCtxt(ctxt)
        finally:
            lib.xmlFreeDoc(doc)
        return VALID if status == 0 else REJECTED if status > 0 else UNDECIDED


def load(schema_path: str) -> FastSchema | None:
    """The schema at ``schema_path`` compiled through libxml2's C API; None when that API
    cannot be reached or the schema does not compile (the lxml path then reports why)."""
    path = _library_path()
    if path is None:
        return None
    try:
        lib = _bind(ctypes.CDLL(path))
    except (OSError, AttributeError):
        return None
    lib.xmlInitParser()
    parser = lib.xmlNewParserCtxt()
    if not parser:
        return None
    # the schema document is read as xmlio reads one, then compiled as lxml compiles a tree
    doc = lib.xmlCtxtReadFile(parser, os.fsencode(schema_path), None, _OPTIONS)
    if not doc:
        return None
    try:
        pctxt = lib.xmlRelaxNGNewDocParserCtxt(doc)
        if not pctxt:
            return None
        try:
            lib.xmlRelaxNGSetParserStructuredErrors(pctxt, _IGNORE, None)
            schema = lib.xmlRelaxNGParse(pctxt)
        finally:
            lib.xmlRelaxNGFreeParserCtxt(pctxt)
    finally:
        lib.xmlFreeDoc(doc)
    return FastSchema(lib, schema, parser) if schema else None


_SHIPPED: list[FastSchema | None] = []


def shipped() -> FastSchema | None:
    """The shipped domain schema through libxml2's C API (once per process), or None."""
    if not _SHIPPED:
        from virtconform.schemas import shipped as shipped_file
        found = shipped_file()
        _SHIPPED.append(load(found) if found is not None else None)
    return _SHIPPED[0]
