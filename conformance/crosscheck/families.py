"""Device families: which family a part of a domain, an option of a command line, and so a
kind of disagreement belongs to; and the matrix family x release of a crosscheck.

Nothing here lists devices; everything is read from the engine's registry
(``engine/qemu/registry.FAMILIES``) and model:

- a device element belongs to the family whose ``devices`` accessor reads its field of
  the model's ``Devices`` (the accessor is run on a recorder of the fields it reads; the
  field declares the XML name): ``<interface>`` is net, ``<memballoon>`` memballoon;
- a part of ``<domain>`` named as a family belongs to it (``<clock>``);
- every other part of the domain (``<os>``, ``<cpu>``, ``<vcpu>``, ``<memory>``,
  ``<features>``, the lifecycle, ``<emulator>``, ...) belongs to the machine family, the
  room without devices that builds and reads those options (``-M``, ``-m``, ``-smp``,
  ``-cpu``, ``-boot``, ...);
- a kind of device no family serves gets a row of its own, so that nothing hides;
- an option belongs to the family that reads it back (its argv2xml reader, by exact name,
  then by libvirt's prefixes).

A kind of disagreement is attributed by what it names when that is unambiguous (the XML
path's element, the option), and otherwise by its minimized witness: the families whose
elements the minimization had to keep (the machine's parts are in every document, so they
count only when nothing else is left). The matrix counts, per family and column (xml2xml,
argv per capability set, argv2xml over every set), the comparisons whose document has the
family or whose disagreement is attributed to it (``compared``), and among them those
with a disagreement attributed to it (``drift``).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

#: the family of the domain's own parts (see the module's docstring)
MACHINE = "machine"
#: the column names of the modes that have no capability set, or all of them
XML2XML, ARGV, ARGV2XML = "xml2xml", "argv", "argv2xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                          huge_tree=False)


class _Recorder:
    """Stands for ``Devices`` while a family's accessor runs: notes the fields it reads."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __getattr__(self, name: str) -> list[Any]:
        self.read.append(name)
        return []


@dataclass(frozen=True)
class Families:
    """The families of the registry and where each lives in XML and on a command line."""

    names: tuple[str, ...]                 # rows: the registry's order, then devices of no family
    devices: Mapping[str, str]             # <devices> child tag -> family
    parts: Mapping[str, str]               # <domain> child tag -> family
    options: Mapping[str, tuple[str, ...]]  # option -> the families reading it
    prefixes: Mapping[str, tuple[str, ...]]
    unserved: tuple[str, ...] = ()         # rows that are device kinds no family serves

    def elements(self, family: str) -> list[str]:
        """The XML elements of a family (devices first), as a row's legend shows them."""
        return [t for t, f in self.devices.items() if f == family] + \
               [t for t, f in self.parts.items() if f == family]

    def of_element(self, top: str, device: str | None = None) -> str | None:
        """The family of ``<domain>/<top>`` or of ``<domain>/<devices>/<device>``; None for
        what the model does not know. ``<domain>`` itself (its attributes) is the machine's."""
        if top == "devices":
            return self.devices.get(device) if device else None
        return self.parts.get(top) if top else MACHINE

    def of_option(self, option: str) -> tuple[tuple[str, ...], bool]:
        """(families, exact): who reads ``option`` back, by exact name or else by prefix."""
        if option in self.options:
            return self.options[option], True
        for prefix, fams in self.prefixes.items():
            if option.startswith(prefix):
                return fams, False
        return (), False


@lru_cache(maxsize=1)
def registry() -> Families:
    """The families, derived from the engine's registry and model (once per process)."""
    from virtconform.engine.model.base import Child, Children, Field
    from virtconform.engine.model.domain import Devices, Domain
    from virtconform.engine.qemu.registry import FAMILIES

    fields = {f.name: f for f in vars(Devices).values() if isinstance(f, Child | Children)}
    devices: dict[str, str] = {}
    for fam in FAMILIES:
        rec = _Recorder()
        fam.devices(rec)
        for name in rec.read:
            if name in fields:
                devices.setdefault(fields[name].xml, fam.name)
    names = [fam.name for fam in FAMILIES]
    unserved = tuple(f.xml for f in fields.values() if f.xml not in devices)
    for tag in unserved:
        devices[tag] = tag
    for f in vars(Devices).values():  # <emulator>: a part of <devices> that is no device
        if isinstance(f, Field) and not isinstance(f, Child | Children):
            devices[f.xml] = MACHINE
    if MACHINE not in names:
        raise AssertionError(f"the registry has no {MACHINE!r} family: the domain's own parts have no row")
    parts = {f.xml: (f.xml if f.xml in names else MACHINE) for f in vars(Domain).values()
             if isinstance(f, Field) and f.kind not in ("attr", "text") and f.xml != "devices"}
    options: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for fam in FAMILIES:
        for table, own in ((options, fam.options), (prefixes, fam.prefixes)):
            for opt in own:
                if fam.name not in table.setdefault(opt, []):
                    table[opt].append(fam.name)
    return Families(tuple(names) + unserved, devices, parts,
                    {k: tuple(v) for k, v in options.items()}, {k: tuple(v) for k, v in prefixes.items()},
                    unserved)


# ---------------------------------------------------------------- documents

def in_document(text: str, fams: Families | None = None) -> frozenset[str]:
    """The families a document has: the machine always (every domain has its own parts),
    each device's family, ``<clock>``'s. Elements the model does not know are not counted;
    a text that is no XML has the machine only."""
    fams = fams or registry()
    out = {MACHINE}
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return frozenset(out)
    for top in root:
        if not isinstance(top.tag, str):
            continue
        if top.tag == "devices":
            for dev in top:
                if isinstance(dev.tag, str):
                    fam = fams.of_element("devices", dev.tag)
                    if fam:
                        out.add(fam)
        else:
            fam = fams.of_element(top.tag)
            if fam:
                out.add(fam)
    return frozenset(out)


# ---------------------------------------------------------------- kinds

@dataclass(frozen=True)
class Attribution:
    families: tuple[str, ...]
    basis: str            # what decided: "option -drive", "XML path /domain/devices/disk", "witness: ..."

    def to_dict(self) -> dict[str, Any]:
        return {"families": list(self.families), "basis": self.basis}


_PATH = re.compile(r"/domain(?P<rest>(?:/[\w:.-]+)*)(?:/@[\w:.-]+)?(?: |$)")


def named_by(kind: str, fams: Families | None = None) -> tuple[tuple[str, ...], bool, str]:
    """(families, certain, what) the kind itself names: the element of its XML path, or
    its option. ``certain`` is False for a prefix match or an option several families read."""
    fams = fams or registry()
    mode, _, rest = kind.partition(": ")
    m = _PATH.match(rest)
    if m:
        parts = [p for p in m.group("rest").split("/") if p] or [""]
        fam = fams.of_element(parts[0], parts[1] if len(parts) > 1 else None)
        shown = "/".join(["/domain", *parts[:2 if parts[0] == "devices" else 1]]).rstrip("/")
        return ((fam,), True, f"XML path {shown}") if fam else ((), False, "")
    if mode != ARGV:
        return (), False, ""
    key = rest.split(": ", 1)[0]
    for suffix in (" placed differently", " only in ours", " only in libvirt"):
        key = key.removesuffix(suffix)
    word = key.split(" ", 1)[0]
    if word in ("env", "emulator"):  # the environment and the binary: the machine's
        return (MACHINE,), True, "the emulator and its environment"
    if not word.startswith("-"):
        return (), False, ""
    found, exact = fams.of_option(word)
    if not found:
        return (), False, ""
    return found, exact and len(found) == 1, f"option {word}"


def attribute(kind: str, witness: str | None, state: str = "minimized",
              fams: Families | None = None) -> Attribution:
    """The families a kind of disagreement belongs to: what it names when certain;
    otherwise the families its witness keeps (among what it names, if any). ``state``
    says how far the witness is minimized (report.Group.witness_state)."""
    fams = fams or registry()
    named, certain, what = named_by(kind, fams)
    if certain:
        return Attribution(named, what)
    kept = sorted(in_document(witness, fams) - {MACHINE}, key=fams.names.index) if witness else []
    label = ("minimized witness" if state.startswith("minimized") else
             "partly minimized witness" if state.startswith("partly") else "witness (not minimized)")
    pick = tuple(f for f in named if f in kept)
    if pick:
        return Attribution(pick, f"{what}, read by {', '.join(named)}; the {label} has {', '.join(pick)}")
    if kept:
        return Attribution(tuple(kept), f"{label}: {', '.join(_tags(fams, kept))}")
    if named:
        return Attribution(named, what)
    if witness:
        return Attribution((MACHINE,), f"{label}: no device, only the domain's own parts")
    return Attribution((MACHINE,), "no witness: the domain's own parts")


def _tags(fams: Families, names: Iterable[str]) -> list[str]:
    out = []
    for n in names:
        els = fams.elements(n)
        out.append(f"<{els[0]}>" if len(els) == 1 else n)
    return out


# ---------------------------------------------------------------- the matrix

@dataclass(frozen=True)
class Column:
    id: str
    mode: str
    caps: str     # the capability set; "-" for xml2xml, "all" for argv2xml over every set
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "mode": self.mode, "caps": self.caps, "label": self.label}


def columns(modes: Iterable[str], sets: Iterable[str]) -> list[Column]:
    """xml2xml, then argv under each capability set (a QEMU release), then argv2xml."""
    modes, sets = list(modes), list(sets)
    out = [Column(XML2XML, XML2XML, "-", XML2XML)] if XML2XML in modes else []
    if ARGV in modes:
        out += [Column(f"{ARGV}:{s}", ARGV, s, s) for s in sets]
    if ARGV2XML in modes:
        out.append(Column(ARGV2XML, ARGV2XML, "all", ARGV2XML))
    return out


def column_of(mode: str, caps: str) -> str:
    return f"{ARGV}:{caps}" if mode == ARGV else mode


#: how a comparison counts: compared (agrees or drifts), or apart as the mode table counts
COMPARED, DELIBERATE, HOST, CRASH = "compared", "deliberate", "host", "crash"


@dataclass
class Tally:
    """What the run saw, compactly: (column, families of the document, how it counts, kinds)
    -> comparisons. The kinds are attributed once the witnesses are minimized."""

    seen: Counter[tuple[str, frozenset[str], str, tuple[str, ...]]] = field(default_factory=Counter)
    _docs: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def add(self, mode: str, caps: str, text: str, how: str, kinds: Iterable[str] = ()) -> None:
        fams = self._docs.get(text)
        if fams is None:
            fams = self._docs[text] = in_document(text)
        self.seen[(column_of(mode, caps), fams, how, tuple(kinds))] += 1


@dataclass
class FamilyCell:
    family: str
    column: str
    compared: int = 0
    drift: int = 0
    deliberate: int = 0
    host: int = 0
    crashes: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def agree(self) -> int:
        return self.compared - self.drift

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "column": self.column, "compared": self.compared, "agree": self.agree,
                "drift": self.drift, "agree_percent": round(100.0 * self.agree / self.compared, 2)
                if self.compared else None, "deliberate": self.deliberate, "host_dependent": self.host,
                "libvirt_crashes": self.crashes, "kinds": dict(self.kinds.most_common())}


def matrix(tally: Tally, cols: list[Column], attributions: Mapping[str, Attribution],
           fams: Families | None = None) -> dict[str, Any]:
    """The matrix family x column as data (the report's ``families``)."""
    fams = fams or registry()
    cells = {(f, c.id): FamilyCell(f, c.id) for f in fams.names for c in cols}

    def of(kinds: tuple[str, ...]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k in kinds:
            for f in attributions[k].families if k in attributions else (MACHINE,):
                out.setdefault(f, []).append(k)
        return out

    for (col, doc, how, kinds), n in tally.seen.items():
        blamed = of(kinds)
        if how == CRASH:
            for f, ks in blamed.items():
                cells[(f, col)].crashes += n
                cells[(f, col)].kinds.update({k: n for k in ks})
            continue
        for f in doc | set(blamed):
            c = cells[(f, col)]
            if how == DELIBERATE:
                c.deliberate += n
            elif how == HOST:
                c.host += n
            else:
                c.compared += n
                if f in blamed:
                    c.drift += n
                    c.kinds.update({k: n for k in blamed[f]})
    rows = [{"family": f, "elements": fams.elements(f), "in_registry": f not in fams.unserved,
             "exercised": any(cells[(f, c.id)].compared for c in cols),
             "drift": sum(cells[(f, c.id)].drift for c in cols)} for f in fams.names]
    return {"rows": rows, "columns": [c.to_dict() for c in cols],
            "cells": [cells[(f, c.id)].to_dict() for f in fams.names for c in cols],
            "attribution": {k: a.to_dict() for k, a in attributions.items()}}
