"""The watchdog: -watchdog MODEL (or -device MODEL) and -watchdog-action; both directions."""
from __future__ import annotations

from typing import Any

from ..model.devices_misc import WATCHDOG_ACTIONS, WATCHDOG_MODELS, Watchdog
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, no_more, pci_address
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
    if val not in WATCHDOG_MODELS:
        raise ArgError(f"unsupported watchdog model '{val}'")
    st.watchdog = Watchdog(model=val, action="reset")


def _action_opt(st: ArgvState, opt: str, val: str) -> None:
    if val not in WATCHDOG_ACTIONS:
        raise ArgError(f"unknown watchdog action '{val}'")
    if st.watchdog is None:
        raise ArgError("-watchdog-action without a -watchdog before it")
    st.watchdog.action = val


def _watchdog_device(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    keys.pop("id", None)
    address = pci_address(keys, val)
    no_more(keys, driver)
    if st.watchdog is not None:
        raise ArgError("a second watchdog")
    st.watchdog = Watchdog(model=driver, action="reset", address=address)


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return "watchdog0" if "device" in flags else None


FAMILY = Family(
    name="watchdog",
    devices=lambda devs: [devs.watchdog] if devs.watchdog is not None else [],
    pci=lambda w, i: True,
    alias=_alias,
    options={"-watchdog": Option(_watchdog_opt), "-watchdog-action": Option(_action_opt)},
    drivers={m: _watchdog_device for m in WATCHDOG_MODELS},
)
