"""Guest capabilities (libvirt ``<capabilities>`` XML) and libvirt 0.8.3's lookups.

Why: a domain that omits its arch, machine type or emulator gets them from the
host's guest capabilities (src/conf/capabilities.c), and the QEMU driver turns
machine aliases into canonical names (qemudCanonicalizeMachine). The order of
guests, domains and machines decides the answer, so it is kept as written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import DocumentError

if TYPE_CHECKING:
    from ..xmlio import Document


@dataclass(frozen=True)
class Machine:
    """A machine type; ``canonical`` is set when ``name`` is an alias of it."""

    name: str
    canonical: str | None = None


@dataclass(frozen=True)
class DomainInfo:
    """A ``<domain type=...>`` of a guest arch: its own emulator and machines, if any."""

    emulator: str | None = None
    machines: tuple[Machine, ...] = ()


@dataclass(frozen=True)
class Guest:
    """One ``<guest>``: an os type on an arch with its default emulator/machines."""

    os_type: str
    arch: str
    wordsize: int | None = None
    emulator: str | None = None
    machines: tuple[Machine, ...] = ()
    loader: str | None = None
    #: virt type ("qemu", "kvm", ...) -> info, in document order
    domains: dict[str, DomainInfo] = field(default_factory=dict)


def _canonical_in(machines: tuple[Machine, ...], machine: str) -> str | None:
    """qemudCanonicalizeMachineFromInfo: the alias's target, or None."""
    for m in machines:
        if m.canonical and m.name == machine:
            return m.canonical
    return None


@dataclass(frozen=True)
class Capabilities:
    """The host's guest capabilities with the lookups libvirt 0.8.3 makes."""

    host_arch: str | None
    guests: tuple[Guest, ...]

    def supports_os_type(self, os_type: str) -> bool:
        """virCapabilitiesSupportsGuestOSType."""
        return any(g.os_type == os_type for g in self.guests)

    def supports(self, os_type: str, arch: str) -> bool:
        """virCapabilitiesSupportsGuestArch: some guest has this os type and arch."""
        return any(g.os_type == os_type and g.arch == arch for g in self.guests)

    def default_arch(self, os_type: str, virt_type: str) -> str | None:
        """virCapabilitiesDefaultGuestArch: the arch of the first guest of ``os_type``
        that has a ``<domain type=virt_type>``, unless one of them is the host's own
        arch, which wins."""
        first = None
        for g in self.guests:
            if g.os_type == os_type and virt_type in g.domains:
                if first is None:
                    first = g.arch
                if self.host_arch is not None and g.arch == self.host_arch:
                    return g.arch
        return first

    def default_machine(self, os_type: str, arch: str, virt_type: str) -> str | None:
        """virCapabilitiesDefaultGuestMachine: the domain's first machine when that
        domain lists machines, else the arch's first machine.

        This is why a kvm domain on x86_64 gets ``pc`` (from /usr/bin/kvm's own
        list) and not ``pc-0.11`` (the qemu-system-x86_64 list).
        """
        for g in self.guests:
            if g.os_type != os_type or g.arch != arch:
                continue
            dom = g.domains.get(virt_type)
            if dom is not None and dom.machines:
                return dom.machines[0].name
            if g.machines:
                return g.machines[0].name
        return None

    def default_emulator(self, os_type: str, arch: str, virt_type: str) -> str | None:
        """virCapabilitiesDefaultGuestEmulator: the first guest of os type/arch;
        its domain's emulator when it has one, else the arch's emulator."""
        for g in self.guests:
            if g.os_type == os_type and g.arch == arch:
                dom = g.domains.get(virt_type)
                if dom is not None and dom.emulator:
                    return dom.emulator
                return g.emulator
        return None

    def canonical_machine(self, emulator: str | None, machine: str | None) -> str | None:
        """qemudCanonicalizeMachine: replace an alias by its canonical machine.

        The first guest whose domain uses ``emulator`` (with that domain's
        machines, or the arch's when the domain lists none), or else whose arch
        default emulator is ``emulator``, decides; the search stops there even
        if the machine is not found. libvirt would then probe the binary with
        ``-M ?``; we cannot run it, so an unknown emulator keeps the machine.
        """
        if not emulator or not machine:
            return machine
        for g in self.guests:
            for dom in g.domains.values():
                if dom.emulator and dom.emulator == emulator:
                    machines = dom.machines or g.machines
                    return _canonical_in(machines, machine) or machine
            if g.emulator and g.emulator == emulator:
                return _canonical_in(g.machines, machine) or machine
        return machine

    def emulators(self) -> list[str]:
        """Every emulator path named, in document order, without repeats."""
        seen: dict[str, None] = {}
        for g in self.guests:
            if g.emulator:
                seen.setdefault(g.emulator)
            for d in g.domains.values():
                if d.emulator:
                    seen.setdefault(d.emulator)
        return list(seen)


# ---------------------------------------------------------------- parsing

def _text(doc: Document, elem, what: str) -> str:
    value = (elem.text or "").strip()
    if not value:
        line, col = doc.locate(elem)
        raise DocumentError(f"<{what}> is empty", path=doc.path, line=line, column=col)
    return value


def _machines(doc: Document, parent) -> tuple[Machine, ...]:
    out = []
    for m in parent.findall("machine"):
        canonical = m.get("canonical")
        if canonical is not None and not canonical.strip():
            line, col = doc.locate(m)
            raise DocumentError("<machine> has an empty canonical attribute", path=doc.path,
                                line=line, column=col)
        out.append(Machine(_text(doc, m, "machine"), canonical))
    return tuple(out)


def _optional_text(doc: Document, parent, tag: str) -> str | None:
    elem = parent.find(tag)
    return None if elem is None else _text(doc, elem, tag)


def capabilities_from_document(doc: Document) -> Capabilities:
    """Build Capabilities from a parsed ``<capabilities>`` document."""
    root = doc.root

    def err(elem, msg: str) -> DocumentError:
        line, col = doc.locate(elem)
        return DocumentError(msg, path=doc.path, line=line, column=col)

    if root.tag != "capabilities":
        raise err(root, f"expected a <capabilities> document, found <{root.tag}>")
    host_arch = None
    host = root.find("host")
    if host is not None:
        arch = host.find("cpu/arch")
        if arch is None:
            arch = host.find("arch")
        if arch is not None:
            host_arch = _text(doc, arch, "arch")
    guests = []
    for g in root.findall("guest"):
        os_elem = g.find("os_type")
        if os_elem is None:
            raise err(g, "<guest> has no <os_type>")
        os_type = _text(doc, os_elem, "os_type")
        arch_elem = g.find("arch")
        if arch_elem is None:
            raise err(g, "<guest> has no <arch>")
        arch = (arch_elem.get("name") or "").strip()
        if not arch:
            raise err(arch_elem, "<arch> has no name attribute")
        wordsize = None
        ws = arch_elem.find("wordsize")
        if ws is not None:
            raw = _text(doc, ws, "wordsize")
            if not raw.isdigit():
                raise err(ws, f"<wordsize> is not a number: '{raw}'")
            wordsize = int(raw)
        domains: dict[str, DomainInfo] = {}
        for d in arch_elem.findall("domain"):
            vtype = (d.get("type") or "").strip()
            if not vtype:
                raise err(d, "<domain> has no type attribute")
            if vtype in domains:
                raise err(d, f"<domain type='{vtype}'> appears twice in one <arch>")
            domains[vtype] = DomainInfo(_optional_text(doc, d, "emulator"), _machines(doc, d))
        guests.append(Guest(os_type=os_type, arch=arch, wordsize=wordsize,
                            emulator=_optional_text(doc, arch_elem, "emulator"),
                            machines=_machines(doc, arch_elem),
                            loader=_optional_text(doc, arch_elem, "loader"),
                            domains=domains))
    return Capabilities(host_arch=host_arch, guests=tuple(guests))


def read_capabilities(path: str) -> Capabilities:
    """Read a capabilities XML file (safely, through xmlio)."""
    from ..xmlio import read_document  # lxml: only when capabilities are needed

    return capabilities_from_document(read_document(path))


def parse_capabilities(data: bytes, path: str = "<capabilities>") -> Capabilities:
    """Capabilities from XML bytes."""
    from ..xmlio import parse_bytes

    return capabilities_from_document(parse_bytes(data, path))
