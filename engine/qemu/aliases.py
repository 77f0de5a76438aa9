"""Device aliases (qemuAssignDeviceAliases): stable, unique ids for -device/-drive/-net.

Aliases are runtime state, so they live as a plain ``alias`` attribute on the
builder's private copy of the domain, never in the formatted XML.
"""
from __future__ import annotations

from typing import Any

from ..model.address import DriveAddress
from ..model.disk import disk_index
from ..model.domain import Domain


def alias(dev: Any) -> str:
    return getattr(dev, "alias", None) or ""


def disk_alias(disk: Any) -> str:
    addr = disk.address
    if isinstance(addr, DriveAddress):
        return f"{disk.bus}{addr.controller}-{addr.bus}-{addr.unit}"
    return f"{disk.bus}-disk{disk_index(disk.dst)}"


def assign_aliases(dom: Domain, flags: frozenset[str]) -> None:
    """Name devices the way libvirt 0.8.3 did for the given flags."""
    devs = dom.devices
    if "drive" in flags:
        for d in devs.disks:
            d.alias = disk_alias(d)
    if "net-name" in flags or "device" in flags:
        for i, n in enumerate(devs.interfaces):
            n.alias = f"net{i}"
    if "device" not in flags:
        return
    for kind, items in (("sound", devs.sounds), ("hostdev", devs.hostdevs), ("video", devs.videos),
                        ("input", devs.inputs), ("parallel", devs.parallels),
                        ("serial", devs.serials), ("channel", devs.channels)):
        for i, dev in enumerate(items):
            dev.alias = f"{kind}{i}"
    for c in devs.controllers:
        c.alias = f"{c.type}{c.index}"
    if devs.watchdog is not None:
        devs.watchdog.alias = "watchdog0"
    if devs.memballoon is not None:
        devs.memballoon.alias = "balloon0"
