"""Controllers: IDE/FDC/SCSI/SATA/virtio-serial, explicit or implied by disks and
channels (virDomainControllerDefParseXML, virDomainDefAddImplicitControllers)."""
from __future__ import annotations

from lxml import etree

from .address import Address, PciAddress
from .base import Attr, Child, CInt, Element, Enum

CONTROLLER_TYPES = ("ide", "fdc", "scsi", "sata", "virtio-serial")
CONTROLLER_MODELS = ("buslogic", "lsilogic", "lsisas1068")
_COUNT = CInt("i", 10)


class Controller(Element):
    type = Attr("type", Enum(*CONTROLLER_TYPES, error="Unknown controller type '%s'"), "ide")
    index = Attr("index", CInt("i", 10, "Cannot parse controller index %s"), 0)
    model = Attr("model", Enum(*CONTROLLER_MODELS, error="Unknown model type '%s'"))
    # only a virtio-serial controller has (and reads) these
    ports = Attr("ports", _COUNT, read=False)
    vectors = Attr("vectors", _COUNT, read=False)
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.type == "virtio-serial":
            for name in ("ports", "vectors"):
                text = elem.get(name)
                if text is None:
                    continue
                try:
                    v = _COUNT.parse(text)
                except ValueError:
                    v = -1
                if v < 0:
                    raise self.error(f"Invalid {name}: {text}")
                setattr(self, name, v)
        if self.address is not None and not isinstance(self.address, PciAddress):
            raise self.error("Controllers must use the 'pci' address type")
