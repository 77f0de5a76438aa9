"""The documents of a crosscheck, with the values libvirt draws at random pinned.

libvirt draws a random UUID for a domain without ``<uuid>``, a random MAC for
a NIC without ``<mac>`` and a random instance UUID for an 802.1Qbg virtual port
without ``instanceid``; the engine derives them instead (a deliberate
difference). Both sides are given the document with those values written in,
derived from the document itself, so that a run compares rules, not dice.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from virtconform.engine.errors import InputError

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Document:
    name: str   # a file path, or "seed S #k" for a generated one
    text: str   # as both sides see it: random values pinned


def pin_random(text: str) -> str:
    """``text`` with a ``<uuid>`` and a ``<mac>`` on every NIC (the same ones for the same text);
    returned unchanged when it needs none or is not a domain that parses."""
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return text
    if root.tag != "domain":
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    changed = False
    if root.find("uuid") is None:
        uuid = etree.Element("uuid")
        uuid.text = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        name = root.find("name")
        at = root.index(name) + 1 if name is not None else 0
        uuid.tail = name.tail if name is not None else root.text
        root.insert(at, uuid)
        changed = True
    n = 0
    for nic in root.iterfind("devices/interface"):
        if nic.find("mac") is None:
            n += 1
            mac = etree.Element("mac", address=f"52:54:00:{digest[32:34]}:{digest[34:36]}:{n % 256:02x}")
            mac.tail = nic.text if nic.text and not nic.text.strip() else None
            nic.insert(0, mac)
            if mac.tail is None and len(nic) > 1:
                mac.tail = nic[1].tail
            changed = True
    for k, params in enumerate(root.iterfind("devices/interface/virtualport[@type='802.1Qbg']/parameters")):
        if params.get("instanceid") is None:
            d = hashlib.sha256(f"{digest}:{k}".encode()).hexdigest()
            params.set("instanceid", f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}")
            changed = True
    if not changed:
        return text
    return etree.tostring(root.getroottree(), encoding="unicode") + "\n"


def generated(count: int, seed: int) -> Iterator[Document]:
    """The documents of ``virtconform generate --count N --seed S``, pinned."""
    for k in range(count):
        yield generated_one(seed, k)


def generated_one(seed: int, k: int) -> Document:
    from virtconform.conformance.generators.domaingen import numbered_domain, to_text
    _, root = numbered_domain(seed, k)
    return Document(f"seed {seed} #{k:04d}", pin_random(to_text(root)))


def from_paths(paths: Iterable[str]) -> list[Document]:
    """Files as given, directories as their ``*.xml`` (recursively, sorted), ``-`` as stdin:
    the project's one input expander (cli/inputs.py)."""
    from virtconform.conformance.cli.inputs import expand, read_input
    out: list[Document] = []
    for path in expand(list(paths)):
        name, data = read_input(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not UTF-8 at byte {e.start}") from None
        out.append(Document(name, pin_random(text)))
    return out
