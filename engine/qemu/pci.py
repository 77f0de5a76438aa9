"""PCI slot assignment for -device QEMU (libvirt 0.8.x qemuAssignDevicePCISlots).

Fixed slots: 0 host bridge, 1 PIIX3 (ISA bridge, IDE, USB), 2 the first VGA,
3 the virtio balloon. Every other PCI device without a user-given address gets
the lowest free slot from 4 on; user-given addresses are collected first and
skipped. Conflicts and exhaustion are errors, not QEMU start-up failures.
"""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..model.address import PciAddress, pci
from ..model.domain import Domain

LAST_SLOT = 31
FIRST_FREE = 4
_RESERVED = {0: "the host bridge", 1: "the PIIX3 (ISA bridge, IDE and USB controllers)",
             2: "the primary VGA card", 3: "the virtio memory balloon"}


def _pci_devices(dom: Domain) -> list[tuple[str, Any]]:
    """Every device that may sit on the PCI bus, in libvirt's assignment order."""
    devs = dom.devices
    out: list[tuple[str, Any]] = []
    out += [("disk", d) for d in devs.disks if d.bus == "virtio"]
    out += [("net", n) for n in devs.interfaces]
    out += [("sound", s) for s in devs.sounds if s.model not in ("sb16", "pcspk")]
    out += [("hostdev", h) for h in devs.hostdevs if h.type == "pci"]
    out += [("video", v) for v in devs.videos[1:]]
    out += [("controller", c) for c in devs.controllers
            if c.type != "fdc" and not (c.type == "ide" and c.index == 0)]
    if devs.watchdog is not None:
        out.append(("watchdog", devs.watchdog))
    return out


def _addressable(dom: Domain) -> list[tuple[str, Any]]:
    """Every device that can carry an <address> (virDomainDeviceInfoIterate)."""
    d = dom.devices
    out: list[tuple[str, Any]] = [("disk", x) for x in d.disks] + [("net", x) for x in d.interfaces]
    out += [("sound", x) for x in d.sounds] + [("hostdev", x) for x in d.hostdevs]
    out += [("video", x) for x in d.videos] + [("controller", x) for x in d.controllers]
    out += [("input", x) for x in d.inputs] + [("serial", x) for x in d.serials]
    out += [("parallel", x) for x in d.parallels] + [("channel", x) for x in d.channels]
    out += [("watchdog", x) for x in ([d.watchdog] if d.watchdog else [])]
    out += [("memballoon", x) for x in ([d.memballoon] if d.memballoon else [])]
    return out


def assign_pci_slots(dom: Domain) -> dict[int, PciAddress]:
    """A PCI address for every PCI device of ``dom`` without one: {id(device): address}.
    User-given addresses are checked and kept; conflicts raise."""
    devs = dom.devices
    used: dict[int, str] = {}
    balloon = devs.memballoon if (devs.memballoon and devs.memballoon.model == "virtio") else None

    def claim(slot: int, who: str, dev: Any) -> None:
        if slot in used:
            raise dev.error(f"PCI slot 0x{slot:02x} is assigned twice ({used[slot]} and {who})")
        used[slot] = who

    # user-given addresses first, on every device (libvirt's qemuCollectPCIAddress):
    # even a device that never gets a slot of its own must not lose its one
    for c in devs.controllers:
        if c.type == "ide" and c.index == 0 and isinstance(c.address, PciAddress):
            a = c.address
            if a.key() != (0, 0, 1, 1):
                raise c.error("the primary IDE controller must have PCI address 0:0:1.1")
    if devs.videos and isinstance(devs.videos[0].address, PciAddress):
        if devs.videos[0].address.key() != (0, 0, 2, 0):
            raise devs.videos[0].error("the primary video card must have PCI address 0:0:2.0")
    for kind, dev in _addressable(dom):
        a = dev.address
        if not isinstance(a, PciAddress):
            continue
        if (kind == "controller" and dev.type == "ide" and dev.index == 0) or \
                (kind == "video" and dev is devs.videos[0]):
            continue  # their fixed places, checked above
        _check_supported(dev, a)
        reserved = a.slot in _RESERVED and (a.slot != 3 or (balloon is not None and balloon.address is None))
        if reserved and not (kind == "memballoon" and a.slot == 3):
            raise dev.error(f"PCI slot 0x{a.slot:02x} is reserved for {_RESERVED[a.slot]}")
        claim(a.slot, kind, dev)
    pci_devices = _pci_devices(dom)
    for kind, dev in pci_devices:
        a = dev.address
        if a is not None and not isinstance(a, PciAddress):
            raise dev.error(f"{kind} cannot have a '{a.type}' address")
    slots: dict[int, PciAddress] = {}
    if balloon is not None and balloon.address is None:
        if 3 in used:
            raise balloon.error("PCI slot 0x03 is reserved for the virtio memory balloon")
        slots[id(balloon)] = pci(3)
        used[3] = "memballoon"
    nxt = FIRST_FREE
    for kind, dev in pci_devices:
        if dev.address is not None:
            continue
        while nxt <= LAST_SLOT and nxt in used:
            nxt += 1
        if nxt > LAST_SLOT:
            raise ConfigError(f"no more available PCI slots for {kind}")
        slots[id(dev)] = pci(nxt)
        used[nxt] = kind
    return slots


def _check_supported(dev: Any, a: PciAddress) -> None:
    """qemuBuildDeviceAddressStr: QEMU 0.12 has one PCI domain and bus, no functions."""
    if a.domain != 0:
        raise dev.error("only PCI device addresses with domain=0 are supported")
    if a.bus != 0:
        raise dev.error("only PCI device addresses with bus=0 are supported")
    if a.function != 0:
        raise dev.error("only PCI device addresses with function=0 are supported")


def address_opt(b: Any, dev: Any) -> str:
    """',bus=pci.0,addr=0xN' for a PCI-addressed device, else ''."""
    a = b.address(dev)
    if isinstance(a, PciAddress):
        _check_supported(dev, a)
        return f",bus=pci.0,addr=0x{a.slot:x}"
    return ""
