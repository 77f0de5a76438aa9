"""Device addresses: PCI slots, drive (controller/bus/unit), virtio-serial ports.

One ``<address>`` element, three shapes chosen by its ``type`` attribute.
"""
from __future__ import annotations

from lxml import etree

from .base import AUTO_UINT, UINT, Attr, Element, Enum, Hex, _Int

ADDRESS_TYPES = ("pci", "drive", "virtio-serial")


class Address(Element):
    """Union: ``variant_for`` picks the concrete class from the type attribute."""

    type = Attr("type", Enum(*ADDRESS_TYPES))

    @classmethod
    def variant_for(cls, elem: etree._Element) -> type[Element]:
        return _VARIANTS.get(elem.get("type") or "", cls)

    @classmethod
    def variants(cls) -> tuple[type[Element], ...]:
        return tuple(_VARIANTS.values()) if cls is Address else (cls,)

    def parsed(self) -> None:
        if type(self) is Address:
            raise self.error(f"unknown address type '{self.type}'")


class PciAddress(Address):
    domain = Attr("domain", Hex(4, 0xFFFF), 0)
    bus = Attr("bus", Hex(2, 0xFF), 0)
    slot = Attr("slot", Hex(2, 0x1F), 0)
    function = Attr("function", Hex(1, 0x7), 0)

    def parsed(self) -> None:
        if not (self.domain or self.bus or self.slot):
            raise self.error("insufficient specification for PCI address")

    def key(self) -> tuple[int, int, int, int]:
        return (self.domain, self.bus, self.slot, self.function)

    def __str__(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.slot:02x}.{self.function:x}"


class DriveAddress(Address):
    controller = Attr("controller", UINT, 0)
    bus = Attr("bus", UINT, 0)
    unit = Attr("unit", UINT, 0)


class VirtioSerialAddress(Address):
    controller = Attr("controller", UINT, 0)
    bus = Attr("bus", UINT, 0)
    port = Attr("port", UINT, 0)


_VARIANTS: dict[str, type[Element]] = {
    "pci": PciAddress, "drive": DriveAddress, "virtio-serial": VirtioSerialAddress,
}


def pci(slot: int, function: int = 0) -> PciAddress:
    return PciAddress(type="pci", domain=0, bus=0, slot=slot, function=function)


# Host-side addresses of passed-through devices (no type attribute).

class HostPciAddress(Element):
    domain = Attr("domain", Hex(4, 0xFFFF), 0)
    bus = Attr("bus", Hex(2, 0xFF), 0)
    slot = Attr("slot", Hex(2, 0x1F), 0)
    function = Attr("function", Hex(1, 0x7), 0)

    @classmethod
    def variant_for(cls, elem: etree._Element) -> type[Element]:
        if elem.get("device") is not None and elem.get("slot") is None:
            return HostUsbAddress
        return HostPciAddress

    @classmethod
    def variants(cls) -> tuple[type[Element], ...]:
        return (HostPciAddress, HostUsbAddress)


class HostUsbAddress(Element):
    bus = Attr("bus", AUTO_UINT)
    device = Attr("device", AUTO_UINT)


USB_ID = Hex(4, 0xFFFF)
PORT = _Int(10, 0, 65535)
