"""<input>: mice and tablets, on the PS/2, USB or Xen bus; libvirt 0.8.3's reading rules
(the bus follows the guest when it is missing)."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, Element

INPUT_TYPES = ("mouse", "tablet")
INPUT_BUSES = ("ps2", "usb", "xen")


class Input(Element):
    type = Attr("type")
    bus = Attr("bus")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.type is None:
            raise self.error("missing input device type")
        if self.type not in INPUT_TYPES:
            raise self.error(f"unknown input device type '{self.type}'")

    def apply_defaults(self, os_type: str) -> None:
        """virDomainInputDefParseXML: a bus that is given is checked against the guest
        (a Xen guest takes mice only, on whatever bus); a missing one follows it."""
        hvm = os_type == "hvm"
        if self.bus is None:
            self.bus = ("ps2" if self.type == "mouse" else "usb") if hvm else "xen"
            return
        if self.bus not in INPUT_BUSES:
            raise self.error(f"unknown input bus type '{self.bus}'")
        if hvm:
            if self.bus == "ps2" and self.type != "mouse":
                raise self.error(f"ps2 bus does not support {self.type} input device")
            if self.bus == "xen":
                raise self.error(f"unsupported input bus {self.bus}")
        elif self.type != "mouse":
            raise self.error(f"xen bus does not support {self.type} input device")

    #: the mouse libvirt's formatter adds to a guest with graphics (not a device of the
    #: definition: no alias, no address)
    with_graphics = False

    @classmethod
    def graphics_mouse(cls, os_type: str) -> Input:
        """The mouse that comes with graphics: PS/2 on an HVM guest, Xen's otherwise."""
        mouse = cls(type="mouse", bus="ps2" if os_type == "hvm" else "xen")
        mouse.with_graphics = True
        return mouse

    def is_implicit(self, os_type: str) -> bool:
        """The PS/2 (or Xen) mouse that comes with graphics is not stored."""
        mouse = self.graphics_mouse(os_type)
        return self.type == mouse.type and self.bus == mouse.bus

    def listed(self) -> bool:
        """virDomainDefFormat prints the USB devices only (and the mouse of the graphics);
        the others stay in the definition: they count in aliases and keep their address."""
        return self.bus == "usb" or self.with_graphics
