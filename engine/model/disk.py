"""Disks: model, libvirt 0.8.3 post-parse defaults (bus from target, drive address)."""
from __future__ import annotations

from .address import Address, DriveAddress
from .base import Attr, Child, Children, Element, Enum, Flag, TextChild

DISK_TYPES = ("file", "block", "dir")
DISK_DEVICES = ("disk", "cdrom", "floppy")
DISK_BUSES = ("ide", "fdc", "scsi", "virtio", "xen", "usb", "uml")
CACHE_MODES = ("default", "none", "writethrough", "writeback")
ERROR_POLICIES = ("default", "stop", "ignore")
_PREFIXES = ("fd", "hd", "vd", "sd", "xvd", "ubd")


def disk_index(name: str) -> int:
    """virDiskNameToIndex: 'hda' -> 0, 'sdz' -> 25, 'sdaa' -> 26; -1 when not a disk name."""
    for p in _PREFIXES:
        if name.startswith(p):
            rest = name[len(p):]
            break
    else:
        return -1
    if not rest:
        return -1
    idx = 0
    for i, ch in enumerate(rest):
        if not ("a" <= ch <= "z"):
            return -1
        idx = (idx + (1 if i else 0)) * 26 + (ord(ch) - ord("a"))
    return idx


def disk_name(prefix: str, idx: int) -> str:
    """Inverse of disk_index for one prefix."""
    letters = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        letters = chr(ord("a") + r) + letters
    return prefix + letters


class DiskDriver(Element):
    name = Attr("name")
    type = Attr("type")
    cache = Attr("cache", Enum(*CACHE_MODES))
    error_policy = Attr("error_policy", Enum(*ERROR_POLICIES))


class DiskSource(Element):
    file = Attr("file")
    dev = Attr("dev")
    dir = Attr("dir")


class DiskTarget(Element):
    dev = Attr("dev")
    bus = Attr("bus", Enum(*DISK_BUSES))


class Secret(Element):
    type = Attr("type", Enum("passphrase"))
    uuid = Attr("uuid")


class Encryption(Element):
    format = Attr("format", Enum("default", "qcow"))
    secrets = Children("secret", Secret)


class Disk(Element):
    type = Attr("type", Enum(*DISK_TYPES), "file")
    device = Attr("device", Enum(*DISK_DEVICES), "disk")
    driver = Child("driver", DiskDriver)
    source = Child("source", DiskSource)
    target = Child("target", DiskTarget)
    readonly = Flag("readonly")
    shareable = Flag("shareable")
    serial = TextChild("serial")
    encryption = Child("encryption", Encryption)
    address = Child("address", Address)

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

    def apply_defaults(self, os_type: str) -> None:
        """virDomainDiskDefParseXML's defaults, in libvirt's order."""
        if self.target is None or not self.target.dev:
            raise self.error("missing target definition for disk")
        t = self.target
        if self.device == "cdrom" and t.dev.startswith("ioemu:"):
            t.dev = t.dev[len("ioemu:"):]
        if t.bus is None:
            if self.device == "floppy":
                t.bus = "fdc"
            elif t.dev.startswith("hd"):
                t.bus = "ide"
            elif t.dev.startswith("sd"):
                t.bus = "scsi"
            elif t.dev.startswith("vd"):
                t.bus = "virtio"
            elif t.dev.startswith("xvd"):
                t.bus = "xen"
            elif t.dev.startswith("ubd"):
                t.bus = "uml"
            else:
                t.bus = "ide"
        if self.device == "floppy" and t.bus != "fdc":
            raise self.error(f"invalid bus type '{t.bus}' for floppy disk")
        if self.device != "floppy" and t.bus == "fdc":
            raise self.error(f"invalid bus type '{t.bus}' for disk")
        # only the source attribute that matches the disk type counts
        if self.source is not None:
            want = {"file": "file", "block": "dev", "dir": "dir"}[self.type]
            val = getattr(self.source, want)
            self.source = None if val is None else DiskSource(**{want: val})
        if self.source is None and self.device not in ("cdrom", "floppy"):
            raise self.error(f"missing source for disk '{t.dev}'")
        if self.driver is not None:
            if self.driver.cache == "default":
                self.driver.cache = None
            if self.driver.error_policy == "default":
                self.driver.error_policy = None
        if self.driver is not None and not any((self.driver.name, self.driver.type, self.driver.cache)):
            # libvirt formats <driver> only with a name, type or cache mode, so an
            # error_policy on its own does not survive a round trip
            self.driver = None
        if self.address is None:
            self.address = self.default_address()

    def default_address(self) -> Address | None:
        """virDomainDiskDefAssignAddress: controller/bus/unit from the target name."""
        bus = self.target.bus
        if bus not in ("scsi", "ide", "fdc"):
            return None
        idx = disk_index(self.target.dev)
        if idx < 0:
            raise self.error(f"cannot derive a {bus} address from disk target '{self.target.dev}'")
        if bus == "scsi":
            c, b, u = idx // 7, 0, idx % 7
        elif bus == "ide":
            c, b, u = idx // 4, (idx % 4) // 2, idx % 2
        else:
            c, b, u = idx // 2, 0, idx % 2
        return DriveAddress(type="drive", controller=c, bus=b, unit=u)
