"""<hostdev>: host PCI and USB devices passed through, with libvirt 0.8.3's reading
rules for their source."""
from __future__ import annotations

from lxml import etree

from .address import USB_ID, Address, HostPciAddress, HostUsbAddress, PciAddress
from .base import Attr, AttrChild, Child, CInt, Element, YesOnly


class HostAddress(Element):
    """The host-side address of a passed-through device: PCI or USB, by hostdev type."""

    @classmethod
    def variants(cls) -> tuple[type[Element], ...]:
        return (HostPciAddress, HostUsbAddress)


class HostdevSource(Element):
    always_open = True
    vendor = AttrChild("vendor", "id", USB_ID, read=False)
    product = AttrChild("product", "id", USB_ID, read=False)
    address = Child("address", HostAddress, read=False)


class Hostdev(Element):
    mode = Attr("mode", default="subsystem")
    type = Attr("type")
    managed = Attr("managed", YesOnly(), False, show=lambda h: True)
    source = Child("source", HostdevSource, read=False, show=lambda h: True)
    address = Child("address", Address, read=False)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainHostdevDefParseXML: every <source> is read (the later ones
        overwrite)."""
        if self.mode not in ("subsystem", "capabilities"):
            raise self.error(f"unknown hostdev mode '{self.mode}'")
        if self.type is None:
            raise self.error("missing type in hostdev")
        if self.type not in ("usb", "pci"):
            raise self.error(f"unknown host device type '{self.type}'")
        doc = self._src[0]
        src = HostdevSource()
        src._src = self._src
        for c in elem:
            if c.tag != "source" or self.mode != "subsystem":
                continue
            if self.type == "usb":
                self._usb_source(src, c, doc)
            else:
                for a in c:
                    if not isinstance(a.tag, str):
                        continue
                    if a.tag != "address":
                        raise src.error(f"unknown pci source type '{a.tag}'")
                    src.address = HostPciAddress.parse(a, doc)
        self.source = src
        a = next((c for c in elem if c.tag == "address"), None)
        self.address = Address.parse(a, doc) if a is not None else None
        if self.mode == "subsystem" and self.type == "pci" and self.address is not None \
                and not isinstance(self.address, PciAddress):
            raise self.error("PCI host devices must use 'pci' address type")

    def printable(self) -> None:
        """virDomainHostdevDefFormat prints subsystem devices only."""
        if self.mode != "subsystem":
            raise self.error("unexpected hostdev mode 1")

    def _usb_source(self, src: HostdevSource, elem: etree._Element, doc: object) -> None:
        got_vendor = got_product = False
        for c in elem:
            if not isinstance(c.tag, str):
                continue
            if c.tag in ("vendor", "product"):
                ident = c.get("id")
                if ident is None:
                    raise src.error(f"usb {c.tag} needs id")
                try:
                    value = _USB_NUMBER.parse(ident)
                except ValueError:
                    raise src.error(f"cannot parse {'vendor id' if c.tag == 'vendor' else 'product'} {ident}") \
                        from None
                setattr(src, c.tag, value)
                if c.tag == "vendor":
                    got_vendor = True
                else:
                    got_product = True
            elif c.tag == "address":
                src.address = HostUsbAddress.parse(c, doc)
            else:
                raise src.error(f"unknown usb source type '{c.tag}'")
        if got_vendor and src.vendor == 0:
            raise src.error("vendor cannot be 0.")
        if not got_vendor and got_product:
            raise src.error("missing vendor")
        if got_vendor and not got_product:
            raise src.error("missing product")

    def usb_by_product(self) -> bool:
        return self.type == "usb" and self.source is not None and self.source.vendor is not None

    def apply_defaults(self) -> None:
        """Printed: vendor and product when there is a vendor, the bus address when it
        is not 0/0; a PCI device's address always."""
        src = self.source
        if self.type == "usb":
            if not src.vendor:
                src.vendor = src.product = None
            elif src.product is None:
                src.product = 0
            a = src.address
            if a is not None and not (a.bus or a.device):
                src.address = None
        elif src.address is None:
            src.address = HostPciAddress(domain=0, bus=0, slot=0, function=0)


_USB_NUMBER = CInt("ui", 0)
