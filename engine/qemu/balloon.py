"""The memory balloon: -balloon virtio (legacy) or -device virtio-balloon-pci; both directions."""
from __future__ import annotations

from typing import Any

from ..model.balloon import MemBalloon, default_balloon_model
from .address import address_opt
from .argvstate import ArgvState
from .context import Build
from .family import Family


def add_balloon(b: Build) -> None:
    bal = b.dom.devices.memballoon
    if bal is None or bal.model == "none":
        return
    if bal.model != "virtio":
        raise b.refuse(f"memory balloon device type '{bal.model}' is not supported by this version of qemu", bal)
    if b.device:
        b.arg("-device", f"virtio-balloon-pci,id={b.alias(bal)}" + address_opt(b, bal))
    elif b.has("balloon"):
        b.arg("-balloon", "virtio")


def default_balloon(st: ArgvState) -> None:
    """After the loop: every guest has a balloon (virtio; a Xen guest's own)."""
    devs = st.dom.devices
    if devs.memballoon is None:
        devs.memballoon = MemBalloon(model=default_balloon_model(st.dom.type))


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return "balloon0" if "device" in flags else None


FAMILY = Family(
    name="memballoon",
    devices=lambda devs: [devs.memballoon] if devs.memballoon is not None else [],
    alias=_alias,
    guest_name=lambda b, i: ("memory balloon", {"model": b.model}),
)
