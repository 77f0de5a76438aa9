"""Input devices: USB mice and tablets (-usbdevice or -device usb-*); the PS/2 mouse
comes with graphics and has no option. Both directions."""
from __future__ import annotations

from typing import Any

from ..model.input import Input
from .argvstate import ArgvState
from .context import Build
from .family import Family, Option


def add_inputs(b: Build) -> None:
    for inp in b.dom.devices.inputs:
        if inp.bus != "usb":
            continue
        if b.device:
            b.arg("-device", f"usb-{inp.type},id={b.alias(inp)}")
        else:
            b.arg("-usbdevice", inp.type)


def _usbdevice_opt(st: ArgvState, opt: str, val: str) -> None:
    """-usbdevice tablet|mouse."""
    st.dom.devices.inputs.append(Input(type=val, bus="usb"))


def mouse_with_graphics(st: ArgvState) -> None:
    """After the loop: a display comes with a PS/2 mouse (a Xen guest's: its own)."""
    dom = st.dom
    if dom.devices.graphics:
        dom.devices.inputs.append(Input.graphics_mouse(dom.os_type))


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"input{i}" if "device" in flags else None


FAMILY = Family(
    name="input",
    devices=lambda devs: devs.inputs,
    alias=_alias,
    guest_name=lambda d, i: (f"input {d.type} {d.bus}", {}),
    options={"-usbdevice": Option(_usbdevice_opt, claims=lambda v: v in ("tablet", "mouse"))},
)
