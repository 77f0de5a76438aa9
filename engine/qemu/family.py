"""The declaration of one device family's QEMU side (see engine/qemu/__init__.py).

A ``Family`` says which devices of a domain it serves, whether each takes a
PCI slot, which alias it gets, and which command-line options it reads back
(argv2xml). The registry walks these declarations; nothing else lists devices.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .argvstate import ArgvState

#: argv2xml handler of one option: (state, option name as written, value; '' for a flag option)
Handler = Callable[[ArgvState, str, str], None]
#: the guest-ABI view (engine/abi.py) of the i-th device: the name a person gives it and
#: what of it the guest sees ({property: value, None where unset})
GuestName = Callable[[Any, int], tuple[str, dict[str, str | None]]]


@dataclass(frozen=True)
class Option:
    """One QEMU option a family reads back, as qemuParseCommandLine reads it."""

    handler: Handler
    takes_value: bool = True
    #: for an option several families share (``-usbdevice``): does this value belong here?
    claims: Callable[[str], bool] | None = None
    #: read only in this state (``-watchdog-action`` after a ``-watchdog``); otherwise the
    #: option is an unknown argument, as in libvirt
    when: Callable[[ArgvState], bool] | None = None


def none_of(_devices: Any) -> Sequence[Any]:
    return ()


def shown(value: Any) -> str | None:
    """A property value of the guest view: its text, None where unset."""
    return None if value is None else str(value)


@dataclass(frozen=True)
class Family:
    """One room: a device family's devices, PCI predicate, alias, guest view and readers."""

    name: str
    #: the family's devices of a domain's <devices>, in libvirt's order
    devices: Callable[[Any], Sequence[Any]] = none_of
    #: with -device: does the i-th device take a PCI slot of its own (qemuAssignDevicePCISlots)?
    pci: Callable[[Any, int], bool] | None = None
    #: the devices this family names in the error when one has another address type
    #: than 'pci' (None: such a device just takes no slot)
    pci_address_only: str | None = None
    #: the alias of the i-th device for these flags (qemuAssignDeviceAliases); None: no alias
    alias: Callable[[Any, int, frozenset[str]], str | None] | None = None
    #: the guest-ABI view of a device (None: the family's name and the device's number)
    guest_name: GuestName | None = None
    #: False for devices the guest does not see (the display backend)
    guest_sees: bool = True
    #: options read back by argv2xml, by exact name
    options: Mapping[str, Option] = field(default_factory=dict)
    #: options read back by argv2xml, by prefix (libvirt's STRPREFIX tests: ``-hd``, ...)
    prefixes: Mapping[str, Option] = field(default_factory=dict)
    #: first pass over the arguments, before the option loop (the -net nic list)
    prescan: Mapping[str, Handler] = field(default_factory=dict)
