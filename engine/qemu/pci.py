"""PCI slot assignment for -device QEMU (libvirt 0.8.x qemuAssignDevicePCISlots).

Fixed slots: 0 host bridge, 1 PIIX3 (ISA bridge, IDE, USB), 2 the first VGA,
3 the virtio balloon. Every other PCI device without a user-given address gets
the lowest free slot from 4 on, in the registry's device order; which devices
take one is each family's ``pci`` predicate. User-given addresses are collected
first and skipped. Conflicts and exhaustion are errors, not QEMU start-up failures.
"""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..model.address import PciAddress, pci
from ..model.domain import Devices, Domain
from .address import check_supported
from .registry import FAMILIES

LAST_SLOT = 31
FIRST_FREE = 4
_RESERVED = {0: "the host bridge", 1: "the PIIX3 (ISA bridge, IDE and USB controllers)",
             2: "the primary VGA card", 3: "the virtio memory balloon"}


def _fixed_places(devs: Devices) -> list[tuple[Any, tuple[int, int, int, int], str]]:
    """The machine's own places: the first IDE controller is the PIIX3's function 1,
    the primary video card sits in slot 2."""
    out = [(c, (0, 0, 1, 1), "the primary IDE controller must have PCI address 0:0:1.1")
           for c in devs.controllers if c.type == "ide" and c.index == 0]
    if devs.videos:
        out.append((devs.videos[0], (0, 0, 2, 0), "the primary video card must have PCI address 0:0:2.0"))
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

    fixed = _fixed_places(devs)
    for dev, key, message in fixed:
        if isinstance(dev.address, PciAddress) and dev.address.key() != key:
            raise dev.error(message)
    fixed_ids = {id(dev) for dev, _, _ in fixed}
    # user-given addresses first, on every device (libvirt's qemuCollectPCIAddress):
    # even a device that never gets a slot of its own must not lose its one
    for fam in FAMILIES:
        for dev in fam.devices(devs):
            a = getattr(dev, "address", None)
            if not isinstance(a, PciAddress) or id(dev) in fixed_ids:
                continue
            check_supported(dev, a)
            reserved = a.slot in _RESERVED and (a.slot != 3 or (balloon is not None and balloon.address is None))
            if reserved and not (dev is balloon and a.slot == 3):
                raise dev.error(f"PCI slot 0x{a.slot:02x} is reserved for {_RESERVED[a.slot]}")
            claim(a.slot, fam.name, dev)
    pci_devices = [(fam.name, dev) for fam in FAMILIES if fam.pci is not None
                   for i, dev in enumerate(fam.devices(devs)) if fam.pci(dev, i)]
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
