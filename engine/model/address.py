"""Device addresses: PCI slots, drive (controller/bus/unit), virtio-serial ports.

One ``<address>`` element, three shapes chosen by its ``type`` attribute
(virDomainDeviceInfoParseXML); host-side addresses of passed-through devices
have no type.
"""
from __future__ import annotations

from lxml import etree

from .base import Attr, CInt, Element, Hex, Signed

ADDRESS_TYPES = ("pci", "drive", "virtio-serial")


def _pci_field(name: str, width: int) -> Attr:
    return Attr(name, Hex(width, f"Cannot parse <address> '{name}' attribute", base=0), 0)


def _number(name: str) -> Attr:
    return Attr(name, Signed(CInt("ui", 10, f"Cannot parse <address> '{name}' attribute")), 0)


class Address(Element):
    """Union: ``variant_for`` picks the concrete class from the type attribute."""

    type = Attr("type")

    @classmethod
    def variant_for(cls, elem: etree._Element) -> type[Element]:
        return _VARIANTS.get(elem.get("type") or "", cls)

    @classmethod
    def variants(cls) -> tuple[type[Element], ...]:
        return tuple(_VARIANTS.values()) if cls is Address else (cls,)

    def parsed(self, elem: etree._Element) -> None:
        if type(self) is Address:
            if self.type is None:
                raise self.error("No type specified for device address")
            if self.type == "none":
                raise self.error("Unknown device address type")
            raise self.error(f"unknown address type '{self.type}'")


class PciAddress(Address):
    domain = _pci_field("domain", 4)
    bus = _pci_field("bus", 2)
    slot = _pci_field("slot", 2)
    function = _pci_field("function", 1)

    def parsed(self, elem: etree._Element) -> None:
        if not (self.domain or self.bus or self.slot):
            raise self.error("Insufficient specification for PCI address")

    def key(self) -> tuple[int, int, int, int]:
        return (self.domain, self.bus, self.slot, self.function)

    def __str__(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.slot:02x}.{self.function:x}"


class DriveAddress(Address):
    controller = _number("controller")
    bus = _number("bus")
    unit = _number("unit")


class VirtioSerialAddress(Address):
    controller = _number("controller")
    bus = _number("bus")
    port = _number("port")


_VARIANTS: dict[str, type[Element]] = {
    "pci": PciAddress, "drive": DriveAddress, "virtio-serial": VirtioSerialAddress,
}


def read_address(owner: Element, elem: etree._Element) -> Address | None:
    """virDomainDeviceInfoParseXML: the device's first <address>, at the point of its
    parser where libvirt reads it."""
    for c in elem:
        if c.tag == "address":
            return Address.parse(c, owner._src[0] if owner._src is not None else None)
    return None


def pci(slot: int, function: int = 0) -> PciAddress:
    return PciAddress(type="pci", domain=0, bus=0, slot=slot, function=function)


# Host-side addresses of passed-through devices (no type attribute).

class HostPciAddress(Element):
    """The host PCI device of a <hostdev type='pci'>: the same reader as a guest
    PCI address (virDomainDevicePCIAddressParseXML)."""

    domain = _pci_field("domain", 4)
    bus = _pci_field("bus", 2)
    slot = _pci_field("slot", 2)
    function = _pci_field("function", 1)

    parsed = PciAddress.parsed


class HostUsbAddress(Element):
    """The host USB device of a <hostdev type='usb'>: bus and device numbers, read
    with C base 0 (0x hex, leading 0 octal) and printed in decimal."""

    bus = Attr("bus", Signed(CInt("ui", 0, "cannot parse bus %s")))
    device = Attr("device", Signed(CInt("ui", 0, "cannot parse device %s")))

    def parsed(self, elem: etree._Element) -> None:
        if self.bus is None:
            raise self.error("usb address needs bus id")
        if self.device is None:
            raise self.error("usb address needs device id")


USB_ID = Hex(4, "cannot parse id %s", base=0)
PORT = CInt("i", 10, "cannot parse port %s")
