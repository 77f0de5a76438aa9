"""<sound>: the sound card models libvirt 0.8.3 knows."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, Element

SOUND_MODELS = ("sb16", "es1370", "pcspk", "ac97")


class Sound(Element):
    model = Attr("model")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.model not in SOUND_MODELS:
            raise self.error(f"unknown sound model '{self.model if self.model is not None else '(null)'}'")
