"""<video>: the card, its model, video memory and heads, and the defaults libvirt 0.8.3
picks by hypervisor."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, CInt, Element, YesOnly

VIDEO_MODELS = ("vga", "cirrus", "vmvga", "xen", "vbox")


class VideoAccel(Element):
    """Printed with both attributes, 'no' for anything but 'yes'."""

    accel3d = Attr("accel3d", YesOnly(), False, show=lambda a: True)
    accel2d = Attr("accel2d", YesOnly(), False, show=lambda a: True)


class VideoModel(Element):
    type = Attr("type")
    vram = Attr("vram", CInt("ui", 10, "cannot parse video ram '%s'"), show=lambda m: bool(m.vram))
    heads = Attr("heads", CInt("ui", 10, "cannot parse video heads '%s'"), show=lambda m: bool(m.heads))
    acceleration = Child("acceleration", VideoAccel, read=False)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainVideoAccelDefParseXML: the first <acceleration> saying anything."""
        for c in elem:
            if c.tag == "acceleration" and (c.get("accel3d") is not None or c.get("accel2d") is not None):
                self.acceleration = VideoAccel.parse(c, self._src[0])
                return


def default_video_type(virt_type: str, os_type: str) -> str | None:
    """virDomainVideoDefaultType."""
    if virt_type in ("test", "qemu", "kqemu", "kvm", "xen"):
        return "xen" if os_type in ("xen", "linux") else "cirrus"
    if virt_type == "vbox":
        return "vbox"
    if virt_type == "vmware":
        return "vmvga"
    return None


def default_video_ram(virt_type: str, model: str) -> int:
    """virDomainVideoDefaultRAM: QEMU's odd 9 MB, VirtualBox's 8, VMware's and Xen PVFB's 4."""
    if model in ("vga", "cirrus", "vmvga"):
        return {"vbox": 8 * 1024, "vmware": 4 * 1024}.get(virt_type, 9 * 1024)
    if model == "xen":
        return 4 * 1024
    return 0


class Video(Element):
    always_open = True
    model = Child("model", VideoModel, read=False, show=lambda v: True)
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainVideoDefParseXML: the first <model> with a type, vram or heads."""
        doc = self._src[0]
        model = None
        for c in elem:
            if c.tag == "model" and model is None and any(c.get(k) is not None for k in ("type", "vram", "heads")):
                model = VideoModel.parse(c, doc)
        self.model = model

    def apply_defaults(self, virt_type: str, os_type: str) -> None:
        m = self.model or VideoModel()
        m._src = m._src or self._src
        if m.type is None:
            m.type = default_video_type(virt_type, os_type)
            if m.type is None:
                raise self.error("missing video model and cannot determine default")
        elif m.type not in VIDEO_MODELS:
            raise self.error(f"unknown video model '{m.type}'")
        if m.vram is None:
            m.vram = default_video_ram(virt_type, m.type)
        if m.heads is None:
            m.heads = 1
        self.model = m
