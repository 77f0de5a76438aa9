"""What the argv2xml loop gathers before the Domain is assembled.

One state object for the whole command line: family parsers add the devices
they read; the -device/-chardev/-netdev syntax links values by id, so the
tables of not-yet-claimed ``-drive if=none``, ``-chardev`` and ``-netdev``
values live here too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.chardev import CharDev
from ..model.controller import Controller
from ..model.devices_misc import Graphics, Hostdev, Input, MemBalloon, Sound, Watchdog
from ..model.disk import Disk
from ..model.domain import Timer, Topology
from ..model.net import Interface
from .argvsplit import SplitCommandLine, Token
from .argvvalues import ArgError


@dataclass
class ArgvState:
    """Everything read so far, in command-line order."""

    path: str
    cmd: SplitCommandLine
    virt_type: str = "qemu"
    os_type: str = "hvm"
    arch: str = "i686"
    machine: str | None = None
    machine_tok: Token | None = None
    name: str | None = None
    uuid: str | None = None
    memory: int = 64 * 1024
    vcpus: int = 1
    acpi: bool = True
    pae: bool = False
    clock: str = "utc"
    on_reboot: str = "restart"
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    bootloader: str | None = None
    boot: list[str] = field(default_factory=list)
    nographic: bool = False
    fullscreen: bool = False
    video: str = "cirrus"
    nics: list[Any] = field(default_factory=list)      # net.Nic: guest sides of -net nic
    nic_toks: list[Token] = field(default_factory=list)
    nvirtio: int = 0
    disks: list[Disk] = field(default_factory=list)
    nets: list[Interface] = field(default_factory=list)
    serials: list[CharDev] = field(default_factory=list)
    parallels: list[CharDev] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    graphics: list[Graphics] = field(default_factory=list)
    sounds: list[Sound] = field(default_factory=list)
    hostdevs: list[Hostdev] = field(default_factory=list)
    watchdog: Watchdog | None = None
    hugepages: bool = False
    # the -device/-chardev/-netdev syntax
    tok: Token | None = None  # the value being handled, for errors found later
    nodefaults: bool = False
    chardevs: dict[str, tuple[CharDev, Token]] = field(default_factory=dict)
    drives: dict[str, tuple[Disk, Token]] = field(default_factory=dict)
    netdevs: dict[str, tuple[Interface, Token]] = field(default_factory=dict)
    channels: list[CharDev] = field(default_factory=list)
    controllers: list[Controller] = field(default_factory=list)
    memballoon: MemBalloon | None = None
    timers: list[Timer] = field(default_factory=list)
    topology: Topology | None = None
    sdl: bool = False

    def fingerprint(self) -> str:
        """A stable seed for what libvirt draws at random (UUID, MAC addresses)."""
        c = self.cmd
        return "\0".join([f"{k}={v}" for k, v in c.env] + [c.emulator.text] + [t.text for t in c.args])

    def remember(self, table: dict[str, tuple[Any, Token]], ident: str, what: str, value: Any) -> None:
        """Keep an id-named value (``-chardev``, ``-drive if=none``, ``-netdev``) until a device claims it."""
        if ident in table:
            raise ArgError(f"{what} id '{ident}' given twice")
        assert self.tok is not None
        table[ident] = (value, self.tok)


def take(table: dict[str, tuple[Any, Token]], ident: str, what: str) -> Any:
    """Claim the id-named value ``ident`` (each is claimed once)."""
    if ident not in table:
        raise ArgError(f"no {what} with id '{ident}' before it (or it is used twice)")
    return table.pop(ident)[0]
