"""The registry: every family's declaration, walked by the builder, the parser,
PCI slot assignment, alias assignment and the guest-ABI view (see
engine/qemu/__init__.py).

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
from .family import Family, Handler, Option

#: Device families in libvirt's device order (virDomainDeviceInfoIterate, which is
#: also the order qemuAssignDevicePCISlots hands out slots in), then the rooms
#: without devices.
FAMILIES: tuple[Family, ...] = (
    disk.FAMILY, net.FAMILY, sound.FAMILY, hostdev.FAMILY, video.FAMILY, controller.FAMILY,
    input.FAMILY, chardev.SERIAL, chardev.PARALLEL, chardev.CHANNEL, filesystem.FAMILY, watchdog.FAMILY,
    balloon.FAMILY, chardev.CONSOLE,
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


#: What qemuParseCommandLine decides after its loop over the arguments, in its order
#: (argvparse.py runs them; the domain-wide rest is its own).
ARGV_AFTER_LOOP: tuple[Callable[[Any], None], ...] = (
    graphics.default_display,
    video.video_with_graphics,
    input.mouse_with_graphics,
    balloon.default_balloon,
    chardev.console_echo,
)


def _collect(kind: str) -> dict[str, tuple[Option, ...]]:
    """option (or prefix) -> its readers; for a shared option those that claim values
    come first and exactly one takes the rest."""
    table: dict[str, list[Option]] = {}
    for fam in FAMILIES:
        for name, option in getattr(fam, kind).items():
            table.setdefault(name, []).append(option)
    out: dict[str, tuple[Option, ...]] = {}
    for name, options in table.items():
        fallback = [o for o in options if o.claims is None]
        if len(fallback) != 1 or len({o.takes_value for o in options}) > 1:
            raise AssertionError(f"option {name} is declared inconsistently by two families")
        out[name] = tuple(o for o in options if o.claims is not None) + tuple(fallback)
    return out


OPTIONS: dict[str, tuple[Option, ...]] = _collect("options")
PREFIXES: dict[str, tuple[Option, ...]] = _collect("prefixes")
PRESCAN: dict[str, tuple[Handler, ...]] = {}
for _fam in FAMILIES:
    for _name, _handler in _fam.prescan.items():
        PRESCAN[_name] = (*PRESCAN.get(_name, ()), _handler)


def readers(option: str) -> tuple[Option, ...]:
    """The readers of ``option`` (folded to one leading dash); () when no family reads it.

    libvirt tests the prefixes ``-hd``, ``-sd``, ``-fd`` before every exact name
    but ``-vnc``, ``-m``, ``-smp`` and ``-uuid`` (none of which shares a prefix), so a
    prefix wins: ``-sdl`` is a SCSI disk named 'sdl' to libvirt 0.8.3.
    """
    for prefix, options in PREFIXES.items():
        if option.startswith(prefix):
            return options
    return OPTIONS.get(option, ())
