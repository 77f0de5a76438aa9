"""The registry: every family's declaration, walked by the builder, the parser,
PCI slot assignment and alias assignment (see engine/qemu/__init__.py).

Adding a device family: write ``engine/qemu/<family>.py`` with its build
function(s) and a ``FAMILY`` declaration, then name it here, once in
``FAMILIES`` (libvirt's device order) and its build function in
``COMMAND_LINE`` (libvirt's option order). Nothing else lists devices.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    balloon,
    chardev,
    clock,
    controller,
    disk,
    filesystem,
    graphics,
    hostdev,
    input,
    machine,
    net,
    sound,
    video,
    watchdog,
)
from .argvstate import ArgvState
from .argvvalues import ArgError, device_keywords
from .family import DeviceHandler, Family, Handler, Option

#: Device families in libvirt's device order (virDomainDeviceInfoIterate, which is
#: also the order qemuAssignDevicePCISlots hands out slots in), then the rooms
#: without devices.
FAMILIES: tuple[Family, ...] = (
    disk.FAMILY, net.FAMILY, sound.FAMILY, hostdev.FAMILY, video.FAMILY, controller.FAMILY,
    input.FAMILY, chardev.SERIAL, chardev.PARALLEL, chardev.CHANNEL, filesystem.FAMILY, watchdog.FAMILY,
    balloon.FAMILY,
    graphics.FAMILY, clock.FAMILY, machine.FAMILY,
)

#: The sections of qemudBuildCommandLine in the order libvirt writes them.
COMMAND_LINE: tuple[Callable[[Any], None], ...] = (
    machine.add_environment,
    machine.add_machine,
    graphics.add_nographic,
    machine.add_no_defaults,
    chardev.add_monitor,
    clock.add_clock,
    machine.add_lifecycle_and_boot,
    controller.add_controllers,
    disk.add_disks,
    net.add_nets,
    chardev.add_serials_parallels,
    chardev.add_channels,
    machine.add_usb_bus,
    input.add_inputs,
    graphics.add_graphics,
    video.add_video,
    sound.add_sounds,
    watchdog.add_watchdog,
    hostdev.add_hostdevs,
    machine.add_incoming,
    balloon.add_balloon,
    filesystem.add_filesystems,
)


def _device_opt(st: ArgvState, opt: str, val: str) -> None:
    """``-device DRIVER,...``: to the family that claims it, else by driver name."""
    driver, keys = device_keywords(val)
    for claims, handle in _DEVICE_CLAIMS:
        if claims(driver, keys):
            handle(st, driver, keys, val)
            return
    handler = DRIVERS.get(driver)
    if handler is None:
        raise ArgError(f"unsupported device '{driver}'")
    handler(st, driver, keys, val)


def _collect_options() -> dict[str, tuple[Option, ...]]:
    """option -> its readers; for a shared option those that claim values come first
    and exactly one takes the rest."""
    table: dict[str, list[Option]] = {"-device": [Option(_device_opt)]}
    for fam in FAMILIES:
        for name, option in fam.options.items():
            table.setdefault(name, []).append(option)
    out: dict[str, tuple[Option, ...]] = {}
    for name, options in table.items():
        fallback = [o for o in options if o.claims is None]
        if len(fallback) > 1 or len({o.takes_value for o in options}) > 1:
            raise AssertionError(f"option {name} is declared inconsistently by two families")
        out[name] = tuple(o for o in options if o.claims is not None) + tuple(fallback)
    return out


def _collect_drivers() -> dict[str, DeviceHandler]:
    out: dict[str, DeviceHandler] = {}
    for fam in FAMILIES:
        for driver, handler in fam.drivers.items():
            if driver in out:
                raise AssertionError(f"-device {driver} is declared by two families")
            out[driver] = handler
    return out


OPTIONS: dict[str, tuple[Option, ...]] = _collect_options()
DRIVERS: dict[str, DeviceHandler] = _collect_drivers()
_DEVICE_CLAIMS: tuple[tuple[Callable[[str, dict[str, str]], bool], DeviceHandler], ...] = tuple(
    (f.claims_device, f.handle_device) for f in FAMILIES
    if f.claims_device is not None and f.handle_device is not None)
PRESCAN: dict[str, tuple[Handler, ...]] = {}
for _fam in FAMILIES:
    for _name, _handler in _fam.prescan.items():
        PRESCAN[_name] = (*PRESCAN.get(_name, ()), _handler)
FINISH: tuple[Callable[[ArgvState], None], ...] = tuple(f.finish for f in FAMILIES if f.finish is not None)


def reader(option: str, value: str) -> Option | None:
    """The reader of ``option`` with this value (None: no family reads the option).
    A claims predicate may raise ArgError on a malformed value."""
    options = OPTIONS.get(option)
    if options is None:
        return None
    for o in options:
        if o.claims is None or o.claims(value):
            return o
    return None


def takes_value(option: str) -> bool:
    return OPTIONS[option][0].takes_value
