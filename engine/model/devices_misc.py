"""The small device families: input, graphics, video, sound, watchdog, memballoon,
hostdev, filesystem. Each is a model class with libvirt 0.8.3's reading rules."""
from __future__ import annotations

from lxml import etree

from .address import USB_ID, Address, HostPciAddress, HostUsbAddress, PciAddress
from .base import INT, Attr, AttrChild, Child, CInt, Element, Enum, Flag, YesNo, YesOnly

INPUT_TYPES = ("mouse", "tablet")
INPUT_BUSES = ("ps2", "usb", "xen")
GRAPHICS_TYPES = ("sdl", "vnc", "rdp", "desktop")
VIDEO_MODELS = ("vga", "cirrus", "vmvga", "xen", "vbox")
SOUND_MODELS = ("sb16", "es1370", "pcspk", "ac97")
WATCHDOG_MODELS = ("i6300esb", "ib700")
WATCHDOG_ACTIONS = ("reset", "shutdown", "poweroff", "pause", "none")
#: libvirt 0.8.3 knows these two; 'none' came later (the argv parser still makes one)
BALLOON_MODELS = ("virtio", "xen")


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

    @classmethod
    def with_graphics(cls, os_type: str) -> Input:
        """The mouse that comes with graphics (PS/2, or Xen's), which libvirt adds and prints."""
        mouse = cls(type="mouse", bus="ps2" if os_type == "hvm" else "xen")
        mouse.__dict__["_with_graphics"] = True
        return mouse

    def listed(self) -> bool:
        """virDomainDefFormat prints the USB inputs and the mouse that comes with graphics;
        libvirt keeps the others unprinted (a Xen guest's tablet: an address it gives still
        takes its PCI slot)."""
        return self.bus == "usb" or self.__dict__.get("_with_graphics", False)

    def is_implicit(self, os_type: str) -> bool:
        """The PS/2 (or Xen) mouse that comes with graphics is not stored."""
        return self.type == "mouse" and self.bus == ("ps2" if os_type == "hvm" else "xen")


def _vnc(g: Graphics) -> bool:
    return g.type == "vnc"


class Graphics(Element):
    type = Attr("type")
    # vnc: port, autoport, listen, keymap; sdl/desktop: display, xauth, fullscreen;
    # rdp: port, autoport, replaceUser, multiUser, listen
    port = Attr("port", INT, read=False)
    autoport = Attr("autoport", YesNo(), read=False, show=lambda g: g.type == "vnc" or bool(g.autoport))
    replaceUser = Attr("replaceUser", YesNo(), read=False)
    multiUser = Attr("multiUser", YesNo(), read=False)
    display = Attr("display", read=False)
    xauth = Attr("xauth", read=False)
    fullscreen = Attr("fullscreen", YesNo(), read=False)
    listen = Attr("listen", raw=True, read=False)
    keymap = Attr("keymap", read=False)
    #: kept for the command line (-vnc ...,password), printed only in secure dumps
    passwd = Attr("passwd", read=False, show=lambda g: False)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainGraphicsDefParseXML for an inactive definition, stored as printed."""
        t = self.type
        if t is None:
            raise self.error("missing graphics device type")
        if t not in GRAPHICS_TYPES:
            raise self.error(f"unknown graphics device type '{t}'")
        get = elem.get
        if t in ("vnc", "rdp"):
            port, auto = 0, False
            text = get("port")
            if text is not None:
                try:
                    port = INT.parse(text)
                except ValueError:
                    raise self.error(f"cannot parse {t} port {text}") from None
                if t == "vnc" and port == -1:  # legacy spelling of autoport
                    port, auto = 0, True
            else:
                auto = True
            if get("autoport") == "yes":
                port, auto = 0, True
            self.autoport = auto
            self.listen = get("listen")
            if t == "vnc":
                # printed: the port, or -1 when libvirt picks one at start-up
                self.port = port if port else (-1 if auto else None)
                self.keymap = get("keymap")
                self.passwd = get("passwd")
            else:
                self.port = port if port else (0 if auto else None)
                self.autoport = True if auto else None
                self.replaceUser = True if get("replaceUser") == "yes" else None
                self.multiUser = True if get("multiUser") == "yes" else None
        else:
            full = get("fullscreen")
            if full not in (None, "yes", "no"):
                raise self.error(f"unknown fullscreen value '{full}'")
            self.fullscreen = True if full == "yes" else None
            self.display = get("display")
            if t == "sdl":
                self.xauth = get("xauth")


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


class Sound(Element):
    model = Attr("model")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.model not in SOUND_MODELS:
            raise self.error(f"unknown sound model '{self.model if self.model is not None else '(null)'}'")


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


class MemBalloon(Element):
    model = Attr("model")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        if self.model not in BALLOON_MODELS:
            raise self.error(f"unknown memory balloon model '{self.model if self.model is not None else '(null)'}'")


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
        if self.type == "pci" and self.address is not None and not isinstance(self.address, PciAddress):
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


class FsSource(Element):
    dir = Attr("dir")
    dev = Attr("dev")
    file = Attr("file")
    name = Attr("name")


class FsTarget(Element):
    dir = Attr("dir", raw=True)


_FS_SOURCE = {"mount": "dir", "file": "file", "block": "dev", "template": "name"}


class Filesystem(Element):
    type = Attr("type", Enum(*_FS_SOURCE, error="unknown filesystem type '%s'"), "mount")
    source = Child("source", FsSource, read=False)
    target = Child("target", FsTarget, read=False)
    readonly = Flag("readonly")
    address = Child("address", Address)

    def parsed(self, elem: etree._Element) -> None:
        """virDomainFSDefParseXML: the first <source> naming a source of the type,
        the first <target> naming a directory."""
        want = _FS_SOURCE[self.type]
        src = dst = None
        for c in elem:
            if c.tag == "source" and src is None:
                src = c.get(want)
            elif c.tag == "target" and dst is None:
                dst = c.get("dir")
        if src is None:
            raise self.error(f"missing source information for device {dst}" if dst is not None
                             else "missing source information for device")
        if dst is None:
            raise self.error(f"missing target information for device {src}")
        self.source = FsSource(**{want: src})
        self.target = FsTarget(dir=dst)

