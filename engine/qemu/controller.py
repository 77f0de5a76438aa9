"""Controllers on the command line (-device lsi / virtio-serial-pci); both directions.

The PIIX3's IDE controller and the ISA floppy controller come with the machine:
they have no option of their own.
"""
from __future__ import annotations

from typing import Any

from .address import address_opt
from .context import Build
from .family import Family, shown


def add_controllers(b: Build) -> None:
    """-device for controllers; the PIIX3's IDE and the ISA FDC come with the machine."""
    if not b.device:
        return
    for c in b.dom.devices.controllers:
        if c.type in ("ide", "fdc"):
            continue
        if c.type == "scsi":
            spec = f"lsi,id=scsi{c.index}"
        elif c.type == "virtio-serial":
            spec = f"virtio-serial-pci,id=virtio-serial{c.index}"
            if c.ports is not None:
                spec += f",max_ports={c.ports}"
            if c.vectors is not None:
                spec += f",vectors={c.vectors}"
        elif c.type == "sata":
            raise b.refuse("SATA is not supported with this QEMU binary", c)
        else:
            raise b.refuse(f"Unknown controller type: {c.type}", c)
        b.arg("-device", spec + address_opt(b, c))


def _alias(c: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"{c.type}{c.index}" if "device" in flags else None


FAMILY = Family(
    name="controller",
    devices=lambda devs: devs.controllers,
    # the FDC sits behind the ISA bridge, the first IDE controller on the PIIX3
    pci=lambda c, i: c.type != "fdc" and not (c.type == "ide" and c.index == 0),
    pci_address_only="Controllers",
    alias=_alias,
    guest_name=lambda c, i: (f"controller {c.type} {c.index}", {"ports": shown(c.ports),
                                                                 "vectors": shown(c.vectors)}),
)
