"""The small device families: input, graphics, video, sound, watchdog, memballoon,
hostdev, filesystem. Each is a model class with its libvirt defaults."""
from __future__ import annotations

from .address import USB_ID, Address, HostPciAddress
from .base import INT, UINT, Attr, AttrChild, Child, Element, Enum, Flag, YesNo

INPUT_TYPES = ("mouse", "tablet")
INPUT_BUSES = ("ps2", "usb", "xen")
GRAPHICS_TYPES = ("sdl", "vnc", "rdp", "desktop")
VIDEO_MODELS = ("vga", "cirrus", "vmvga", "xen", "vbox")
SOUND_MODELS = ("sb16", "es1370", "pcspk", "ac97")
WATCHDOG_MODELS = ("i6300esb", "ib700")
WATCHDOG_ACTIONS = ("reset", "shutdown", "poweroff", "pause", "none")
BALLOON_MODELS = ("virtio", "xen", "none")


class Input(Element):
    type = Attr("type", Enum(*INPUT_TYPES))
    bus = Attr("bus", Enum(*INPUT_BUSES))
    address = Child("address", Address)

    def apply_defaults(self, os_type: str) -> None:
        hvm = os_type == "hvm"
        if self.bus is None:
            self.bus = ("ps2" if self.type == "mouse" else "usb") if hvm else "xen"
        if hvm:
            if self.bus == "ps2" and self.type != "mouse":
                raise self.error(f"ps2 bus does not support {self.type} input device")
            if self.bus == "xen":
                raise self.error(f"unsupported input bus {self.bus}")
        elif self.bus != "xen":
            raise self.error(f"unsupported input bus {self.bus}")
        elif self.type != "mouse":
            raise self.error(f"xen bus does not support {self.type} input device")

    def is_implicit(self, os_type: str) -> bool:
        """The PS/2 (or Xen) mouse that comes with graphics is not stored."""
        return self.type == "mouse" and self.bus == ("ps2" if os_type == "hvm" else "xen")


class Graphics(Element):
    type = Attr("type", Enum(*GRAPHICS_TYPES))
    display = Attr("display")
    xauth = Attr("xauth")
    fullscreen = Attr("fullscreen", YesNo())
    port = Attr("port", INT)
    autoport = Attr("autoport", YesNo())
    replaceUser = Attr("replaceUser", YesNo())
    multiUser = Attr("multiUser", YesNo())
    listen = Attr("listen")
    keymap = Attr("keymap")
    passwd = Attr("passwd")

    def apply_defaults(self) -> None:
        """Inactive-definition rules of virDomainGraphicsDefParseXML/Format."""
        t = self.type
        if t == "vnc":
            auto = self.autoport is True or self.port in (None, -1)
            self.port = -1 if auto else self.port
            self.autoport = auto
            self.passwd = None  # only formatted with VIR_DOMAIN_XML_SECURE
            self._clear("display", "xauth", "fullscreen", "replaceUser", "multiUser")
        elif t == "sdl":
            self.fullscreen = True if self.fullscreen else None
            self._clear("port", "autoport", "replaceUser", "multiUser", "listen", "keymap", "passwd")
        elif t == "rdp":
            auto = bool(self.autoport)
            self.port = self.port if self.port else (0 if auto else None)
            self.autoport = True if auto else None
            self.replaceUser = True if self.replaceUser else None
            self.multiUser = True if self.multiUser else None
            self._clear("display", "xauth", "fullscreen", "keymap", "passwd")
        else:  # desktop
            self.fullscreen = True if self.fullscreen else None
            self._clear("xauth", "port", "autoport", "replaceUser", "multiUser", "listen",
                        "keymap", "passwd")

    def _clear(self, *names: str) -> None:
        for n in names:
            setattr(self, n, None)


class VideoAccel(Element):
    accel3d = Attr("accel3d", YesNo())
    accel2d = Attr("accel2d", YesNo())


class VideoModel(Element):
    type = Attr("type", Enum(*VIDEO_MODELS))
    vram = Attr("vram", UINT)
    heads = Attr("heads", UINT)
    acceleration = Child("acceleration", VideoAccel)


def default_video_type(virt_type: str, os_type: str) -> str | None:
    """virDomainVideoDefaultType."""
    if virt_type in ("test", "qemu", "kqemu", "kvm", "xen"):
        return "xen" if os_type in ("xen", "linux") else "cirrus"
    if virt_type == "vbox":
        return "vbox"
    return None


def default_video_ram(virt_type: str, model: str) -> int:
    """virDomainVideoDefaultRAM: QEMU's odd 9 MB, Xen PVFB's 4 MB."""
    if model in ("vga", "cirrus", "vmvga"):
        return 8 * 1024 if virt_type == "vbox" else 9 * 1024
    if model == "xen":
        return 4 * 1024
    return 0


class Video(Element):
    model = Child("model", VideoModel)
    address = Child("address", Address)

    def apply_defaults(self, virt_type: str, os_type: str) -> None:
        m = self.model or VideoModel()
        if m.type is None:
            m.type = default_video_type(virt_type, os_type)
            if m.type is None:
                raise self.error("cannot determine default video type")
        if not m.vram:
            m.vram = default_video_ram(virt_type, m.type) or None
        if not m.heads:
            m.heads = 1
        self.model = m


class Sound(Element):
    model = Attr("model", Enum(*SOUND_MODELS))
    address = Child("address", Address)


class Watchdog(Element):
    model = Attr("model", Enum(*WATCHDOG_MODELS))
    action = Attr("action", Enum(*WATCHDOG_ACTIONS), "reset")
    address = Child("address", Address)


class MemBalloon(Element):
    model = Attr("model", Enum(*BALLOON_MODELS))
    address = Child("address", Address)


class HostdevSource(Element):
    open_when_empty = True  # virDomainHostdevDefFormat: "<source>" ... "</source>"
    vendor = AttrChild("vendor", "id", USB_ID)
    product = AttrChild("product", "id", USB_ID)
    address = Child("address", HostPciAddress)


class Hostdev(Element):
    mode = Attr("mode", Enum("subsystem"), "subsystem")
    type = Attr("type", Enum("usb", "pci"))
    managed = Attr("managed", YesNo(), False)
    source = Child("source", HostdevSource)
    address = Child("address", Address)

    def apply_defaults(self) -> None:
        src = self.source
        if src is None:
            raise self.error("hostdev lacks a source")
        if self.type == "usb":
            if (src.vendor is None) != (src.product is None):
                raise self.error("usb hostdev needs both vendor and product")
            if src.address is not None and type(src.address).__name__ != "HostUsbAddress":
                raise self.error("usb hostdev source address needs bus and device")
            if src.vendor is None and src.address is None:
                raise self.error("usb hostdev needs vendor/product or bus/device")
            if src.address is not None and (src.address.bus is None or src.address.device is None):
                raise self.error("usb hostdev source address needs bus and device")
            if src.address is not None and not (src.address.bus or src.address.device):
                src.address = None
        else:
            if src.vendor is not None or src.product is not None:
                raise self.error("pci hostdev takes an address, not vendor/product")
            if not isinstance(src.address, HostPciAddress):
                raise self.error("pci hostdev lacks a source address")


class FsSource(Element):
    dir = Attr("dir")
    dev = Attr("dev")
    file = Attr("file")
    name = Attr("name")


class FsTarget(Element):
    dir = Attr("dir")


class Filesystem(Element):
    type = Attr("type", Enum("mount", "block", "file", "template"), "mount")
    source = Child("source", FsSource)
    target = Child("target", FsTarget)
    readonly = Flag("readonly")
    address = Child("address", Address)
