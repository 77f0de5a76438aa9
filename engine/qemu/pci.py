"""PCI slot assignment for -device QEMU (libvirt 0.8.3's qemuAssignDevicePCISlots).

QEMU 0.12 has one PCI bus of 32 slots; libvirt keys a slot by domain:bus:slot
(functions are not told apart). The steps, as libvirt takes them:

1. collect every PCI address the document gives, on any device (even one that
   never takes a slot of its own): a slot given twice is an error;
2. reserve the machine's own places: slot 0 (host bridge), the first IDE
   controller at 1.1 (the PIIX3), the primary video card at slot 2, a virtio
   memory balloon without an address at slot 3 -- reserving moves the search
   start past the reserved slot when it lies beyond it;
3. hand every device without an address, in the registry's device order, the
   next free slot from the search start upwards (never wrapping around); which
   devices take one is each family's ``pci`` predicate.
"""
from __future__ import annotations

from typing import Any

from ..errors import Refused
from ..model.address import PciAddress, pci
from ..model.domain import Domain
from .registry import FAMILIES

LAST_SLOT = 31


class _Slots:
    """qemuDomainPCIAddressSet: the used slots and where the next search starts."""

    def __init__(self) -> None:
        self.used: set[int] = {0}  # the host bridge
        self.next = 0
        self.assigned: dict[int, PciAddress] = {}

    def reserve(self, dev: Any, slot: int, function: int = 0) -> None:
        """qemuDomainPCIAddressReserveAddr."""
        if slot in self.used:
            raise dev.error(f"unable to reserve PCI address 0:0:{slot} (it is already taken)", Refused)
        self.used.add(slot)
        if slot > self.next:
            self.next = slot + 1
        self.assigned[id(dev)] = pci(slot, function)

    def next_free(self, dev: Any, kind: str) -> None:
        """qemuDomainPCIAddressSetNextAddr."""
        for slot in range(self.next, LAST_SLOT + 1):
            if slot not in self.used:
                self.used.add(slot)
                self.assigned[id(dev)] = pci(slot)
                self.next = slot + 1
                return
        raise dev.error(f"No more available PCI addresses (for a {kind})", Refused)


def assign_pci_slots(dom: Domain) -> dict[int, PciAddress]:
    """A PCI address for every PCI device of ``dom`` without one: {id(device): address}."""
    devs = dom.devices
    slots = _Slots()
    for fam in FAMILIES:
        for dev in fam.devices(devs):
            a = getattr(dev, "address", None)
            if not isinstance(a, PciAddress):
                continue
            if a.domain != 0 or a.bus != 0:
                raise dev.error("Only PCI domain 0 and bus 0 are available", Refused)
            if a.slot in slots.used:
                raise dev.error(f"PCI slot 0x{a.slot:02x} is given to two devices (libvirt 0.8.3 "
                                "fails here without a message)", Refused)
            slots.used.add(a.slot)
    for c in devs.controllers:
        if c.type == "ide" and c.index == 0:
            if isinstance(c.address, PciAddress):
                if c.address.key() != (0, 0, 1, 1):
                    raise c.error("Primary IDE controller must have PCI address 0:0:1.1", Refused)
            else:
                slots.reserve(c, 1, 1)
    if devs.videos:
        video = devs.videos[0]
        if isinstance(video.address, PciAddress):
            if video.address.key() != (0, 0, 2, 0):
                raise video.error("Primary video card must have PCI address 0:0:2.0", Refused)
        else:
            slots.reserve(video, 2)
    balloon = devs.memballoon
    if balloon is not None and balloon.model == "virtio" and balloon.address is None:
        slots.reserve(balloon, 3)
    for fam in FAMILIES:
        if fam.pci is None:
            continue
        for i, dev in enumerate(fam.devices(devs)):
            if not fam.pci(dev, i) or id(dev) in slots.assigned:
                continue
            a = dev.address
            if isinstance(a, PciAddress):
                continue
            if a is not None:
                if fam.pci_address_only:
                    raise dev.error(f"{fam.pci_address_only} must use the 'pci' address type", Refused)
                continue  # libvirt leaves it where it is: no slot, no address on the command line
            slots.next_free(dev, fam.name)
    return slots.assigned
