"""<watchdog>: the model and the action libvirt 0.8.3 knows."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, Element

WATCHDOG_MODELS = ("i6300esb", "ib700")
WATCHDOG_ACTIONS = ("reset", "shutdown", "poweroff", "pause", "none")


class Watchdog(Element):
    model = Attr("model")
    action = Attr("action", default="reset")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.model is None:
            raise self.error("watchdog must contain model name")
        if self.model not in WATCHDOG_MODELS:
            raise self.error(f"unknown watchdog model '{self.model}'")
        if self.action not in WATCHDOG_ACTIONS:
            raise self.error(f"unknown watchdog action '{self.action}'")
