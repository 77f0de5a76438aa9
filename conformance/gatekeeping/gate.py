"""Gatekeeping of a configuration change: may NEW replace OLD?

A change passes when the new document is valid, still builds a command line for
every capability set the old one built for, and keeps the hardware the guest
sees (its ABI): machine, memory, CPUs, disks and their addresses, NICs and
their MACs/models, PCI slots as the builder assigns them, and so on. libvirt
itself grew such a check later (virDomainDefCheckABIStability); this one also
compares the PCI slots that -device QEMUs get, because adding one device can
silently move the slots of the others.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from virtconform.engine.errors import VirtconformError
from virtconform.engine.model.domain import Domain

_DEVICE_ID = re.compile(r"(?:^|,)id=([^,]+)")
_ADDR = re.compile(r",addr=(0x[0-9a-f]+)")


@dataclass
class GateReport:
    abi: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    argv_changes: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.abi and not self.regressions

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "abi": self.abi, "regressions": self.regressions,
                "argv": {k: {"removed": r, "added": a} for k, (r, a) in self.argv_changes.items()}}


def guest_view(dom: Domain) -> dict[str, Any]:
    """What the guest can observe, keyed by a stable name per item."""
    d = dom.devices
    view: dict[str, Any] = {
        "domain type": dom.type, "os type": dom.os_type, "arch": dom.arch, "machine": dom.machine,
        "memory": dom.memory, "vcpus": dom.vcpu.count,
        "cpu topology": (dom.cpu.topology.format("topology") if dom.cpu and dom.cpu.topology else None),
        "features": sorted(f for f in ("acpi", "apic", "pae") if dom.has_feature(f)),
        "clock offset": dom.clock.offset,
    }
    for disk in d.disks:
        key = f"disk {disk.dst}"
        view[key] = (disk.device, disk.bus, disk.address.format("address") if disk.address else None)
    for c in d.controllers:
        view[f"controller {c.type}{c.index}"] = (c.ports, c.vectors,
                                                 c.address.format("address") if c.address else None)
    for i, n in enumerate(d.interfaces):
        view[f"interface {i}"] = (n.mac, n.model or "rtl8139 (default)")
    for kind, items in (("serial", d.serials), ("parallel", d.parallels)):
        for i in range(len(items)):
            view[f"{kind} {i}"] = "present"
    for i, ch in enumerate(d.channels):
        view[f"channel {i}"] = ch.target.format("target") + (ch.address.format("address") if ch.address else "")
    for i, s in enumerate(d.sounds):
        view[f"sound {i}"] = s.model
    for i, v in enumerate(d.videos):
        view[f"video {i}"] = v.model.format("model")
    for i, h in enumerate(d.hostdevs):
        view[f"hostdev {i}"] = h.source.format("source")
    for i, inp in enumerate(d.inputs):
        view[f"input {i}"] = (inp.type, inp.bus)
    view["watchdog"] = d.watchdog.model if d.watchdog else None
    view["memballoon"] = d.memballoon.model if d.memballoon else None
    return view


def _slots(argv: list[str]) -> dict[str, str]:
    """device id -> PCI slot, read from the -device arguments of a command line."""
    out: dict[str, str] = {}
    for i, a in enumerate(argv[:-1]):
        if a != "-device":
            continue
        spec = argv[i + 1]
        m_id, m_addr = _DEVICE_ID.search(spec), _ADDR.search(spec)
        if m_id and m_addr:
            out[m_id.group(1)] = m_addr.group(1)
    return out


def _diff(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key not in old:
            out.append(f"{kind}: {key} added")
        elif key not in new:
            out.append(f"{kind}: {key} removed")
        else:
            out.append(f"{kind}: {key} changed: {_short(a)} -> {_short(b)}")
    return out


def _short(v: Any) -> str:
    return " ".join(str(v).split())


def gate(old: Domain, new: Domain, capsets: dict[str, Any], *, profile: Any,
         conf: Any = None) -> GateReport:
    """Compare two defaulted domains; ``capsets`` maps a label to a flag set."""
    from virtconform.engine.qemu.builder import build_command_line
    report = GateReport(abi=_diff("ABI", guest_view(old), guest_view(new)))
    for label, flags in capsets.items():
        lines: list[list[str] | None] = []
        for which, dom in (("old", old), ("new", new)):
            try:
                lines.append(build_command_line(dom, flags, profile=profile, conf=conf).argv)
            except VirtconformError as e:
                lines.append(None)
                if which == "new":
                    reason = e.message
        o, n = lines
        if o is not None and n is None:
            report.regressions.append(f"{label}: the new definition no longer builds: {reason}")
        if o is None or n is None:
            continue
        report.abi += _diff(f"PCI slot ({label})", _slots(o), _slots(n))
        removed = [a for a in o if a not in n]
        added = [a for a in n if a not in o]
        if removed or added:
            report.argv_changes[label] = (removed, added)
    return report
