"""A device's PCI address on the -device command line (qemuBuildDeviceAddressStr)."""
from __future__ import annotations

from typing import Any

from ..errors import VirtconformError
from ..model.address import PciAddress


def check_supported(dev: Any, a: PciAddress) -> None:
    """QEMU 0.12 has one PCI domain and bus, no functions."""
    if a.domain != 0:
        raise dev.error("only PCI device addresses with domain=0 are supported")
    if a.bus != 0:
        raise dev.error("only PCI device addresses with bus=0 are supported")
    if a.function != 0:
        raise dev.error("only PCI device addresses with function=0 are supported")


def address_opt(b: Any, dev: Any, *, failure_ignored: bool = False) -> str:
    """',bus=pci.0,addr=0xN' for a PCI-addressed device, else ''.

    ``failure_ignored``: the caller, as libvirt's qemuBuildDriveDevStr for a virtio disk,
    ignores qemuBuildDeviceAddressStr's failure: an address QEMU cannot take is left out
    (QEMU then picks a slot) and the build goes on -- a located warning here."""
    a = b.address(dev)
    if isinstance(a, PciAddress):
        try:
            check_supported(dev, a)
        except VirtconformError as e:
            if not failure_ignored:
                raise
            b.warn(f"{e.message}; libvirt leaves the address out and QEMU picks a slot", dev)
            return ""
        return f",bus=pci.0,addr=0x{a.slot:x}"
    return ""
