"""Sound cards: -soundhw a,b (legacy) or -device per card; both directions."""
from __future__ import annotations

from typing import Any

from ..model.sound import Sound
from .address import address_opt
from .argvstate import ArgvState
from .context import Build
from .family import Family, Option

_SOUND_DEVICE = {"es1370": "ES1370", "ac97": "AC97"}


def add_sounds(b: Build) -> None:
    sounds = b.dom.devices.sounds
    if not sounds:
        return
    if b.device:
        for s in sounds:
            if s.model == "pcspk":  # the PC speaker has no -device form
                b.arg("-soundhw", "pcspk")
            else:
                b.arg("-device", f"{_SOUND_DEVICE.get(s.model, s.model)},id={b.alias(s)}" + address_opt(b, s))
    else:
        b.arg("-soundhw", soundhw_list([s.model for s in sounds]))


def soundhw_list(models: list[str]) -> str:
    """The -soundhw value as libvirt 0.8.3 joins it: strncat into a 100-byte budget that
    it counts down, so a long list is cut short (and may end in a comma)."""
    out = ""
    size = 100
    for i, model in enumerate(models):
        if size <= 0:
            break
        out += model[:size]
        size -= len(model)
        if i < len(models) - 1:
            out += "," if size != 0 else ""  # strncat(",", size): a size_t, so only 0 stops it
            size -= 1
    return out


def _soundhw_opt(st: ArgvState, opt: str, val: str) -> None:
    """-soundhw a,b,...: each item that *starts* with a model name is that model;
    others are skipped (libvirt's STRPREFIX walk)."""
    for item in val.split(","):
        model = next((m for m in ("pcspk", "sb16", "es1370", "ac97") if item.startswith(m)), None)
        if model is not None:
            st.dom.devices.sounds.append(Sound(model=model))


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"sound{i}" if "device" in flags else None


FAMILY = Family(
    name="sound",
    devices=lambda devs: devs.sounds,
    # the SB16 is an ISA card and the PC speaker is no card at all
    pci=lambda s, i: s.model not in ("sb16", "pcspk"),
    alias=_alias,
    guest_name=lambda s, i: (f"sound {s.model}", {}),
    options={"-soundhw": Option(_soundhw_opt)},
)
