"""Controllers: IDE/FDC/SCSI/virtio-serial, explicit or implied by disks and channels."""
from __future__ import annotations

from .address import Address
from .base import UINT, Attr, Child, Element, Enum

CONTROLLER_TYPES = ("ide", "fdc", "scsi", "sata", "virtio-serial")


class Controller(Element):
    type = Attr("type", Enum(*CONTROLLER_TYPES))
    index = Attr("index", UINT)
    ports = Attr("ports", UINT)
    vectors = Attr("vectors", UINT)
    address = Child("address", Address)

    def parsed(self) -> None:
        if self.index is None:
            raise self.error("controller lacks an index")
        if self.type != "virtio-serial" and (self.ports is not None or self.vectors is not None):
            raise self.error(f"ports/vectors are only valid for virtio-serial controllers, not '{self.type}'")
