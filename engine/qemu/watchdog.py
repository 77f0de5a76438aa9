"""The watchdog: -watchdog MODEL (or -device MODEL) and -watchdog-action; both directions."""
from __future__ import annotations

from typing import Any

from ..model.watchdog import WATCHDOG_ACTIONS, WATCHDOG_MODELS, Watchdog
from .address import address_opt
from .argvstate import ArgvState
from .context import Build
from .family import Family, Option


def add_watchdog(b: Build) -> None:
    wd = b.dom.devices.watchdog
    if wd is None:
        return
    if b.device:
        b.arg("-device", f"{wd.model},id={b.alias(wd)}" + address_opt(b, wd))
    else:
        b.arg("-watchdog", wd.model)
    b.arg("-watchdog-action", wd.action)


def _watchdog_opt(st: ArgvState, opt: str, val: str) -> None:
    """-watchdog MODEL: a known model replaces any earlier watchdog; others are ignored."""
    if val in WATCHDOG_MODELS:
        st.dom.devices.watchdog = Watchdog(model=val, action="reset")


def _action_opt(st: ArgvState, opt: str, val: str) -> None:
    """-watchdog-action ACTION (read only after a -watchdog; an unknown action is ignored)."""
    if val in WATCHDOG_ACTIONS:
        st.dom.devices.watchdog.action = val


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return "watchdog0" if "device" in flags else None


FAMILY = Family(
    name="watchdog",
    devices=lambda devs: [devs.watchdog] if devs.watchdog is not None else [],
    pci=lambda w, i: True,
    alias=_alias,
    guest_name=lambda w, i: ("watchdog", {"model": w.model}),
    options={"-watchdog": Option(_watchdog_opt),
             "-watchdog-action": Option(_action_opt, when=lambda st: st.dom.devices.watchdog is not None)},
)
