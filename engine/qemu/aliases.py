"""Device aliases (qemuAssignDeviceAliases): stable, unique ids for -device/-drive/-net.

Aliases are runtime state: they live in the build's table (device -> alias),
never in the domain, which the builder does not change.
"""
from __future__ import annotations

from typing import Any

from ..model.address import DriveAddress
from ..model.disk import disk_index
from ..model.domain import Domain


def disk_alias(disk: Any) -> str:
    addr = disk.address
    if isinstance(addr, DriveAddress):
        return f"{disk.bus}{addr.controller}-{addr.bus}-{addr.unit}"
    return f"{disk.bus}-disk{disk_index(disk.dst)}"


def assign_aliases(dom: Domain, flags: frozenset[str]) -> dict[int, str]:
    """Name devices the way libvirt 0.8.3 did for the given flags: {id(device): alias}."""
    devs = dom.devices
    out: dict[int, str] = {}
    if "drive" in flags:
        for d in devs.disks:
            out[id(d)] = disk_alias(d)
    if "net-name" in flags or "device" in flags:
        for i, n in enumerate(devs.interfaces):
            out[id(n)] = f"net{i}"
    if "device" not in flags:
        return out
    for kind, items in (("sound", devs.sounds), ("hostdev", devs.hostdevs), ("video", devs.videos),
                        ("input", devs.inputs), ("parallel", devs.parallels),
                        ("serial", devs.serials), ("channel", devs.channels)):
        for i, dev in enumerate(items):
            out[id(dev)] = f"{kind}{i}"
    for c in devs.controllers:
        out[id(c)] = f"{c.type}{c.index}"
    if devs.watchdog is not None:
        out[id(devs.watchdog)] = "watchdog0"
    if devs.memballoon is not None:
        out[id(devs.memballoon)] = "balloon0"
    return out
