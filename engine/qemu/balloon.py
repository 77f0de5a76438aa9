"""The memory balloon: -balloon virtio (legacy) or -device virtio-balloon-pci; both directions."""
from __future__ import annotations

from typing import Any

from ..model.devices_misc import MemBalloon
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, no_more, pci_address
from .context import Build
from .family import Family, Option


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


def _balloon_opt(st: ArgvState, opt: str, val: str) -> None:
    if val != "virtio":
        raise ArgError(f"unsupported balloon '{val}'")
    if st.memballoon is not None:
        raise ArgError("a second memory balloon")
    st.memballoon = MemBalloon(model="virtio")


def _balloon_device(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    keys.pop("id", None)
    address = pci_address(keys, val)
    no_more(keys, driver)
    if st.memballoon is not None:
        raise ArgError("a second memory balloon")
    # slot 3 is where the builder puts the balloon anyway
    st.memballoon = MemBalloon(model="virtio",
                               address=None if address is None or address.slot == 3 else address)


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return "balloon0" if "device" in flags else None


FAMILY = Family(
    name="memballoon",
    devices=lambda devs: [devs.memballoon] if devs.memballoon is not None else [],
    alias=_alias,
    options={"-balloon": Option(_balloon_opt)},
    drivers={"virtio-balloon-pci": _balloon_device},
)
