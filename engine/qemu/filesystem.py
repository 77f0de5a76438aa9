"""Filesystem passthrough (<filesystem>): libvirt 0.8.3's QEMU driver has no option for it."""
from __future__ import annotations

from .context import Build
from .family import Family


def add_filesystems(b: Build) -> None:
    for fs in b.dom.devices.filesystems:
        b.warn("filesystem passthrough has no QEMU option in libvirt 0.8.3: it builds the guest "
               "without it", fs)


#: no alias, no slot of its own, nothing read back; an address it has is still kept free
FAMILY = Family(name="filesystem", devices=lambda devs: devs.filesystems)
