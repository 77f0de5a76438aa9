"""The documents of a crosscheck, with the values libvirt draws at random pinned.

libvirt draws a random UUID for a domain without ``<uuid>``, a random MAC for
a NIC without ``<mac>`` and a random instance id for an 802.1Qbg port profile
without one; the engine derives them instead (a deliberate
difference). Both sides are given the document with those values written in,
derived from the document itself, so that a run compares rules, not dice.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from virtconform.engine.errors import InputError

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Document:
    name: str   # a file path, or "seed S #k" for a generated one
    text: str   # as both sides see it: random values pinned


def pin_random(text: str) -> str:
    """``text`` with a ``<uuid>``, a ``<mac>`` on every NIC and an ``instanceid`` on every
    802.1Qbg port profile's parameters (the same ones for the same text);
    returned unchanged when it needs none or is not a domain that parses."""
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return text
    if root.tag != "domain":
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    changed = False
    pinned = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    first = root.find("uuid")
    if first is not None and not "".join(first.itertext()):
        first.text = pinned  # libvirt reads string(./uuid[1]): an empty one is none, and it draws
        changed = True
    if first is None:
        uuid = etree.Element("uuid")
        uuid.text = pinned
        name = root.find("name")
        at = root.index(name) + 1 if name is not None else 0
        uuid.tail = name.tail if name is not None else root.text
        root.insert(at, uuid)
        changed = True
    n = 0
    for nic in root.iterfind("devices/interface"):
        # libvirt reads the first <mac> with an address; none: it draws one
        if any(m.get("address") is not None for m in nic.iterfind("mac")):
            continue
        n += 1
        address = f"52:54:00:{digest[32:34]}:{digest[34:36]}:{n % 256:02x}"
        mac = nic.find("mac")
        if mac is not None:
            mac.set("address", address)
        else:
            mac = etree.Element("mac", address=address)
            mac.tail = nic.text if nic.text and not nic.text.strip() else None
            nic.insert(0, mac)
            if mac.tail is None and len(nic) > 1:
                mac.tail = nic[1].tail
        changed = True
    for k, params in enumerate(_qbg_parameters(root)):
        if params.get("instanceid") is None:
            tail = f"{k % 65536:04x}{digest[36:44]}"
            params.set("instanceid", f"{digest[44:52]}-{digest[52:56]}-{digest[56:60]}-{digest[60:64]}-{tail}")
            changed = True
    if not changed:
        return text
    return etree.tostring(root.getroottree(), encoding="unicode") + "\n"


def _qbg_parameters(root: etree._Element) -> Iterator[etree._Element]:
    """The ``<parameters>`` libvirt reads of each 802.1Qbg ``<virtualport>`` of a NIC
    (virVirtualPortProfileParamsParseXML takes the first one)."""
    for port in root.iterfind("devices/interface/virtualport"):
        if port.get("type") == "802.1Qbg":
            params = port.find("parameters")
            if params is not None:
                yield params


def generated(count: int, seed: int) -> Iterator[Document]:
    """The documents of ``virtconform generate --count N --seed S``, pinned."""
    for k in range(count):
        yield generated_one(seed, k)


def generated_one(seed: int, k: int) -> Document:
    from virtconform.conformance.generators.domaingen import numbered_domain, to_text
    _, root = numbered_domain(seed, k)
    return Document(f"seed {seed} #{k:04d}", pin_random(to_text(root)))


def inputs(paths: Iterable[str]) -> tuple[list[Document], list[Document]]:
    """(domain documents, QEMU command lines) through the project's one input expander
    (cli/inputs.py): ``*.args`` files are command lines (for argv2xml, as given), other
    files (``-``: standard input) documents; a directory gives its ``*.xml`` and its
    ``*.args`` (recursively, sorted). Documents get their random values pinned."""
    from virtconform.conformance.cli.inputs import expand
    docs: list[str] = []
    lines: list[str] = []
    for path in paths:
        if not Path(path).is_dir():
            (lines if path.endswith(".args") else docs).append(path)
            continue
        found = 0
        for pattern, into in (("*.xml", docs), ("*.args", lines)):
            try:
                into += expand([path], pattern)
                found += 1
            except InputError:
                pass
        if not found:
            expand([path])  # the input error of a directory with nothing to read
    return ([Document(n, pin_random(t)) for n, t in _read(docs)],
            [Document(n, t) for n, t in _read(lines)])


def _read(paths: list[str]) -> Iterator[tuple[str, str]]:
    from virtconform.conformance.cli.inputs import read_input
    for path in paths:
        name, data = read_input(path)
        try:
            yield name, data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not UTF-8 at byte {e.start}") from None
