"""Host devices passed through: USB (-usbdevice host: / -device usb-host) and PCI
(-pcidevice / -device pci-assign); both directions."""
from __future__ import annotations

from typing import Any

from ..model.address import HostPciAddress, HostUsbAddress
from ..model.cvalues import printf_d
from ..model.hostdev import Hostdev, HostdevSource
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, as_unsigned, str_to_int
from .context import Build
from .family import Family, Option


def add_hostdevs(b: Build) -> None:
    for h in b.dom.devices.hostdevs:
        if h.mode != "subsystem":
            b.warn(f"host device mode '{h.mode}' has no QEMU option: libvirt 0.8.3 builds the "
                   "guest without it", h)
            continue
        src = h.source
        if h.type == "usb":
            a = src.address
            if a is None or not (a.bus or a.device):
                raise b.refuse("USB host device is missing bus/device information (libvirtd looks "
                               "a vendor/product device up on the host at start-up)", h)
            if b.device:
                b.arg("-device", f"usb-host,hostbus={printf_d(a.bus, 3)},hostaddr={printf_d(a.device, 3)},"
                                 f"id={b.alias(h)}")
            else:
                b.arg("-usbdevice", f"host:{printf_d(a.bus, 3)}.{printf_d(a.device, 3)}")  # %.3d
        else:
            a = src.address
            host = f"{a.bus:02x}:{a.slot:02x}.{a.function:x}"
            if b.device:
                b.arg("-device", f"pci-assign,host={host},id={b.alias(h)}" + address_opt(b, h))
            elif b.has("pcidevice"):
                b.arg("-pcidevice", f"host={host}")
            else:
                raise b.refuse("PCI device assignment is not supported by this version of qemu", h)


# --------------------------------------------------------------------------- argv2xml

def parse_usb_host(val: str) -> Hostdev:
    """qemuParseCommandLineUSB: host:VENDOR:PRODUCT (hex) or host:BUS.DEVICE (decimal),
    C integers as strtol reads them (signs and blanks included)."""
    if not val.startswith("host:"):
        raise ArgError(f"unknown USB device syntax '{val}'")
    start = val[len("host:"):]
    if ":" in start:
        first, end = str_to_int(start, 16, trailing=True)
        if first is None or start[end:end + 1] != ":":
            raise ArgError(f"cannot extract USB device vendor '{val}'")
        second, _ = str_to_int(start[end + 1:], 16)
        if second is None:
            raise ArgError(f"cannot extract USB device product '{val}'")
        src = HostdevSource(vendor=as_unsigned(first) if first else None,
                            product=as_unsigned(second) if first else None)
    else:
        first, end = str_to_int(start, 10, trailing=True)
        if first is None or start[end:end + 1] != ".":
            raise ArgError(f"cannot extract USB device bus '{val}'")
        second, _ = str_to_int(start[end + 1:], 10)
        if second is None:
            raise ArgError(f"cannot extract USB device address '{val}'")
        # libvirt formats a bus/device pair only when one of them is not 0
        src = HostdevSource(address=HostUsbAddress(bus=first, device=second) if (first or second) else None)
    return Hostdev(mode="subsystem", type="usb", managed=False, source=src)


def parse_pci_host(val: str) -> Hostdev:
    """qemuParseCommandLinePCI: host=BUS:SLOT.FUNCTION, hexadecimal C integers, domain 0."""
    if not val.startswith("host="):
        raise ArgError(f"unknown PCI device syntax '{val}'")
    rest = val[len("host="):]
    bus, end = str_to_int(rest, 16, trailing=True)
    if bus is None or rest[end:end + 1] != ":":
        raise ArgError(f"cannot extract PCI device bus '{val}'")
    rest = rest[end + 1:]
    slot, end = str_to_int(rest, 16, trailing=True)
    if slot is None or rest[end:end + 1] != ".":
        raise ArgError(f"cannot extract PCI device slot '{val}'")
    func, _ = str_to_int(rest[end + 1:], 16)
    if func is None:
        raise ArgError(f"cannot extract PCI device function '{val}'")
    addr = HostPciAddress(domain=0, bus=as_unsigned(bus), slot=as_unsigned(slot), function=as_unsigned(func))
    return Hostdev(mode="subsystem", type="pci", managed=True, source=HostdevSource(address=addr))


def _usbdevice_opt(st: ArgvState, opt: str, val: str) -> None:
    st.dom.devices.hostdevs.append(parse_usb_host(val))


def _pcidevice_opt(st: ArgvState, opt: str, val: str) -> None:
    st.dom.devices.hostdevs.append(parse_pci_host(val))


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"hostdev{i}" if "device" in flags else None


def _guest_name(h: Any, i: int) -> tuple[str, dict[str, str | None]]:
    src = h.source
    a = src.address if src is not None else None
    if src is not None and src.vendor is not None:
        name = f"usb {src.vendor:04x}:{src.product:04x}"
    elif a is not None and getattr(a, "slot", None) is not None:
        name = f"pci {a.domain:04x}:{a.bus:02x}:{a.slot:02x}.{a.function:x}"
    elif a is not None:
        name = f"usb {a.bus}.{a.device}"
    else:
        name = h.type or "device"
    return f"hostdev {name}", {}


FAMILY = Family(
    name="hostdev",
    devices=lambda devs: devs.hostdevs,
    pci=lambda h, i: h.mode == "subsystem" and h.type == "pci",
    pci_address_only="PCI host devices",
    alias=_alias,
    guest_name=_guest_name,
    # -usbdevice values no other family claims are host devices (or an error naming the syntax)
    options={"-usbdevice": Option(_usbdevice_opt), "-pcidevice": Option(_pcidevice_opt)},
)
