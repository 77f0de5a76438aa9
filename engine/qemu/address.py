"""A device's PCI address on the -device command line (qemuBuildDeviceAddressStr)."""
from __future__ import annotations

from typing import Any

from ..model.address import PciAddress


def check_supported(dev: Any, a: PciAddress) -> None:
    """QEMU 0.12 has one PCI domain and bus, no functions."""
    if a.domain != 0:
        raise dev.error("only PCI device addresses with domain=0 are supported")
    if a.bus != 0:
        raise dev.error("only PCI device addresses with bus=0 are supported")
    if a.function != 0:
        raise dev.error("only PCI device addresses with function=0 are supported")


def address_opt(b: Any, dev: Any) -> str:
    """',bus=pci.0,addr=0xN' for a PCI-addressed device, else ''."""
    a = b.address(dev)
    if isinstance(a, PciAddress):
        check_supported(dev, a)
        return f",bus=pci.0,addr=0x{a.slot:x}"
    return ""
