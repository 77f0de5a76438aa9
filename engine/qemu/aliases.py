"""Device aliases (qemuAssignDeviceAliases): stable, unique ids for -device/-drive/-net.

Each family declares its alias rule (registry.FAMILIES); aliases are runtime
state: they live in the build's table (device -> alias), never in the domain,
which the builder does not change.
"""
from __future__ import annotations

from ..model.domain import Domain
from .registry import FAMILIES


def assign_aliases(dom: Domain, flags: frozenset[str]) -> dict[int, str]:
    """Name devices the way libvirt 0.8.3 did for the given flags: {id(device): alias}."""
    devs = dom.devices
    out: dict[int, str] = {}
    for fam in FAMILIES:
        if fam.alias is None:
            continue
        for i, dev in enumerate(fam.devices(devs)):
            alias = fam.alias(dev, i, flags)
            if alias is not None:
                out[id(dev)] = alias
    return out
