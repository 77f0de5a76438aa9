"""<memballoon>: the memory balloon device."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, Element

#: libvirt 0.8.3 knows these two; 'none' came later (the argv parser still makes one)
BALLOON_MODELS = ("virtio", "xen")


def default_balloon_model(virt_type: str) -> str:
    """The balloon a guest gets without a <memballoon>: Xen's for a Xen guest, else virtio."""
    return "xen" if virt_type == "xen" else "virtio"


class MemBalloon(Element):
    model = Attr("model")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.model not in BALLOON_MODELS:
            raise self.error(f"unknown memory balloon model '{self.model if self.model is not None else '(null)'}'")
