"""<filesystem>: a container's mounts (the QEMU driver of libvirt 0.8.3 refuses them)."""
from __future__ import annotations

from lxml import etree

from .address import Address
from .base import Attr, Child, Element, Enum, Flag


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
