"""Disks: model and libvirt 0.8.3's reading of them (virDomainDiskDefParseXML).

libvirt walks a disk's children once, keeping the first <source> that names a
source of the disk's type, the first <target> with a device name and the
<driver> elements up to the first with a name; the disk's bus follows the
target's prefix and a drive address follows its index.
"""
from __future__ import annotations

from lxml import etree

from .address import Address, DriveAddress, read_address
from .base import Attr, Child, Children, Element, Enum, Flag, TextChild, Uuid, xml_error
from .cvalues import as_int32

DISK_TYPES = ("file", "block", "dir")
DISK_DEVICES = ("disk", "cdrom", "floppy")
DISK_BUSES = ("ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata")  # sata: the parser knows it, the 2010 schema does not
CACHE_MODES = ("default", "none", "writethrough", "writeback")
ERROR_POLICIES = ("default", "stop", "ignore", "enospace")
#: virDiskNameToIndex's prefixes (libvirt 0.8.3 has no 'ubd' among them)
_PREFIXES = ("fd", "hd", "vd", "sd", "xvd")
#: names a hard disk may have (the parser's own check, which does know 'ubd')
_DISK_PREFIXES = ("hd", "sd", "vd", "xvd", "ubd")
_SOURCE_ATTR = {"file": "file", "block": "dev", "dir": "dir"}


def drive_address(bus: str, idx: int) -> DriveAddress | None:
    """The drive address of disk number ``idx`` on ``bus``: IDE has 2 units per bus and 2
    buses per controller, SCSI 7 units, FDC 2 units; other buses have none."""
    if bus == "scsi":
        c, b, u = idx // 7, 0, idx % 7
    elif bus == "ide":
        c, b, u = idx // 4, (idx % 4) // 2, idx % 2
    elif bus == "fdc":
        c, b, u = idx // 2, 0, idx % 2
    else:
        return None
    return DriveAddress(type="drive", controller=c, bus=b, unit=u)


def disk_index(name: str) -> int:
    """virDiskNameToIndex: 'hda' -> 0, 'sdz' -> 25, 'sdaa' -> 26; -1 when not a disk name.

    The arithmetic is a C int's, so a long name wraps: 'sdvjhssffey' is index 1650
    (controller 235, unit 5, as libvirt gives it) and 'sdemulatorb' is negative (no disk
    name: libvirt fails without a message)."""
    for p in _PREFIXES:
        if name.startswith(p):
            rest = name[len(p):]
            break
    else:
        return -1
    idx = 0
    for i, ch in enumerate(rest):
        if not ("a" <= ch <= "z"):
            return -1
        idx = as_int32((idx + (1 if i else 0)) * 26 + (ord(ch) - ord("a")))
    return idx


def disk_name(prefix: str, idx: int) -> str:
    """Inverse of disk_index for one prefix."""
    letters = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        letters = chr(ord("a") + r) + letters
    return prefix + letters


def _enum(obj: Element, value: str | None, values: tuple[str, ...], message: str) -> str | None:
    if value is not None and value not in values:
        raise obj.error(message % value)
    return value


class DiskDriver(Element):
    """The backend driver; libvirt prints it only when it has a name, a type or a
    cache mode, although the error policy alone still reaches the command line."""

    name = Attr("name", raw=True)
    type = Attr("type", raw=True)
    cache = Attr("cache", Enum(*CACHE_MODES), show=lambda d: d.cache not in (None, "default"))
    error_policy = Attr("error_policy", Enum(*ERROR_POLICIES),
                        show=lambda d: d.error_policy not in (None, "default"))

    def printed(self) -> bool:
        return self.name is not None or self.type is not None or self.cache not in (None, "default")


class DiskSource(Element):
    file = Attr("file")
    dev = Attr("dev")
    dir = Attr("dir")


class DiskTarget(Element):
    dev = Attr("dev", raw=True)
    bus = Attr("bus", Enum(*DISK_BUSES))


class Secret(Element):
    type = Attr("type")
    uuid = Attr("uuid")

    def parsed(self, elem: etree._Element) -> None:
        """virStorageEncryptionSecretParse."""
        if not self.type:
            raise self.error(xml_error("unknown volume encryption secret type"))
        if self.type != "passphrase":
            raise self.error(xml_error(f"unknown volume encryption secret type {self.type}"))
        if not self.uuid:
            raise self.error(xml_error("missing volume encryption uuid"))
        try:
            self.uuid = Uuid().parse(self.uuid)
        except ValueError:
            raise self.error(xml_error(f"malformed volume encryption uuid '{self.uuid}'")) from None


class Encryption(Element):
    """A qcow disk's encryption (virStorageEncryptionFormat always closes the tag)."""

    always_open = True
    format = Attr("format")
    secrets = Children("secret", Secret)

    def parsed(self, elem: etree._Element) -> None:
        if not self.format:
            raise self.error(xml_error("unknown volume encryption format"))
        if self.format not in ("default", "qcow"):
            raise self.error(xml_error(f"unknown volume encryption format type {self.format}"))


class Disk(Element):
    type = Attr("type", Enum(*DISK_TYPES, error="unknown disk type '%s'"))
    device = Attr("device")
    driver = Child("driver", DiskDriver, read=False, show=lambda d: d.driver is not None and d.driver.printed())
    source = Child("source", DiskSource, read=False)
    target = Child("target", DiskTarget, read=False)
    readonly = Flag("readonly")
    shareable = Flag("shareable")
    serial = TextChild("serial", keep_empty=True, show=lambda d: d.serial is not None)
    encryption = Child("encryption", Encryption)
    address = Child("address", Address, read=False)

    # ---- convenience views used by the argv builder
    @property
    def src(self) -> str | None:
        s = self.source
        return None if s is None else (s.file or s.dev or s.dir)

    @property
    def dst(self) -> str:
        return self.target.dev

    @property
    def bus(self) -> str:
        return self.target.bus

    @property
    def driver_name(self) -> str | None:
        return self.driver.name if self.driver else None

    @property
    def driver_type(self) -> str | None:
        return self.driver.type if self.driver else None

    @property
    def cache(self) -> str | None:
        c = self.driver.cache if self.driver else None
        return None if c in (None, "default") else c

    @property
    def error_policy(self) -> str | None:
        p = self.driver.error_policy if self.driver else None
        return None if p in (None, "default") else p

    def parsed(self, elem: etree._Element) -> None:
        """virDomainDiskDefParseXML, in libvirt's order."""
        if self.type is None:
            self.type = "file"
        want = _SOURCE_ATTR[self.type]
        source = dev = bus = None
        driver: DiskDriver | None = None
        for c in elem:
            tag = c.tag
            if tag == "source" and source is None:
                source = c.get(want) or None  # an empty path means no medium
            elif tag == "target" and dev is None:
                dev, bus = c.get("dev"), c.get("bus")
                if dev is not None and dev.startswith("ioemu:"):
                    dev = dev[len("ioemu:"):]  # compatibility with old Xen configurations
            elif tag == "driver" and (driver is None or driver.name is None):
                driver = DiskDriver(name=c.get("name"), type=c.get("type"), cache=c.get("cache"),
                                    error_policy=c.get("error_policy"))
                driver._src = self._src[0], c
        self.device = _enum(self, self.device, DISK_DEVICES, "unknown disk device '%s'") or "disk"
        if source is None and self.device not in ("cdrom", "floppy"):
            raise self.error(f"missing source information for device {dev}" if dev is not None
                             else "missing source information for device")
        if dev is None:
            raise self.error(f"missing target information for device {source}" if source is not None
                             else "missing target information for device")
        if self.device == "floppy" and not dev.startswith("fd"):
            raise self.error(f"Invalid floppy device name: {dev}")
        if self.device == "cdrom":
            self.readonly = True
        if self.device == "disk" and not dev.startswith(_DISK_PREFIXES):
            raise self.error(f"Invalid harddisk device name: {dev}")
        if bus is not None:
            _enum(self, bus, DISK_BUSES, "unknown disk bus type '%s'")
        elif self.device == "floppy":
            bus = "fdc"
        else:
            bus = next((b for p, b in (("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"),
                                       ("xvd", "xen"), ("ubd", "uml")) if dev.startswith(p)), "ide")
        if self.device == "floppy" and bus != "fdc":
            raise self.error(f"Invalid bus type '{bus}' for floppy disk")
        if self.device != "floppy" and bus == "fdc":
            raise self.error(f"Invalid bus type '{bus}' for disk")
        if driver is not None:
            _enum(self, driver.cache, CACHE_MODES, "unknown disk cache mode '%s'")
            _enum(self, driver.error_policy, ERROR_POLICIES, "unknown disk error policy '%s'")
        self.address = read_address(self, elem)
        self.driver = driver
        self.source = None if source is None else DiskSource(**{want: source})
        self.target = DiskTarget(dev=dev, bus=bus)
        if self.address is None:
            self.address = self.default_address()

    def default_address(self) -> Address | None:
        """virDomainDiskDefAssignAddress: controller/bus/unit from the target name."""
        bus = self.target.bus
        idx = disk_index(self.target.dev)
        if idx < 0:
            # libvirt fails here without saying why
            raise self.error(f"cannot derive a device address from disk target '{self.target.dev}'")
        return drive_address(bus, idx)

