"""Host devices passed through: USB (-usbdevice host: / -device usb-host) and PCI
(-pcidevice / -device pci-assign); both directions."""
from __future__ import annotations

import re
from typing import Any

from ..model.address import HostPciAddress, HostUsbAddress
from ..model.devices_misc import Hostdev, HostdevSource
from .address import address_opt
from .argvstate import ArgvState
from .argvvalues import ArgError, c_int, no_more, pci_address
from .context import Build
from .family import Family, Option


def add_hostdevs(b: Build) -> None:
    for h in b.dom.devices.hostdevs:
        src = h.source
        if h.type == "usb":
            a = src.address
            if a is None or not (a.bus or a.device):
                raise b.refuse("USB host device is missing bus/device information (libvirtd looks "
                               "a vendor/product device up on the host at start-up)", h)
            if b.device:
                b.arg("-device", f"usb-host,hostbus={a.bus:03d},hostaddr={a.device:03d},id={b.alias(h)}")
            else:
                b.arg("-usbdevice", f"host:{a.bus:03d}.{a.device:03d}")
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
    """qemuParseCommandLineUSB: host:BUS.DEV (decimal) or host:VVVV:PPPP (hex)."""
    if not val.startswith("host:"):
        raise ArgError(f"unknown USB device syntax '{val}'")
    start = val[len("host:"):]
    if ":" in start:
        vendor, _, product = start.partition(":")
        v = _hex(vendor, 0xFFFF)
        if v is None:
            raise ArgError(f"cannot extract USB device vendor '{val}'")
        p = _hex(product, 0xFFFF)
        if p is None:
            raise ArgError(f"cannot extract USB device product '{val}'")
        src = HostdevSource(vendor=v, product=p)
    else:
        bus, dot, dev = start.partition(".")
        b = c_int(bus) if dot else None
        if b is None or not 0 <= b <= 999:
            raise ArgError(f"cannot extract USB device bus '{val}'")
        d = c_int(dev)
        if d is None or not 0 <= d <= 999:
            raise ArgError(f"cannot extract USB device address '{val}'")
        src = HostdevSource(address=HostUsbAddress(bus=b, device=d))
    return Hostdev(mode="subsystem", type="usb", managed=False, source=src)


def parse_pci_host(val: str) -> Hostdev:
    """qemuParseCommandLinePCI: host=BB:SS.F, all hexadecimal."""
    if not val.startswith("host="):
        raise ArgError(f"unknown PCI device syntax '{val}'")
    m = re.fullmatch(r"(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]+):([0-9a-fA-F]+)\.([0-9a-fA-F]+)",
                     val[len("host="):])
    if m is None:
        raise ArgError(f"cannot extract PCI device address '{val}'")
    dom, bus, slot, fn = (int(g, 16) if g else 0 for g in m.groups())
    if bus > 0xFF or slot > 0x1F or fn > 0x7:
        raise ArgError(f"PCI device address out of range in '{val}'")
    return Hostdev(mode="subsystem", type="pci", managed=True,
                   source=HostdevSource(address=HostPciAddress(domain=dom, bus=bus, slot=slot, function=fn)))


def _hex(text: str, hi: int) -> int | None:
    if not re.fullmatch(r"(0[xX])?[0-9a-fA-F]+", text):
        return None
    v = int(text, 16)
    return v if v <= hi else None


def _usbdevice_opt(st: ArgvState, opt: str, val: str) -> None:
    st.hostdevs.append(parse_usb_host(val))


def _pcidevice_opt(st: ArgvState, opt: str, val: str) -> None:
    st.hostdevs.append(parse_pci_host(val))


def _usb_host_device(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    keys.pop("id", None)
    bus, dev = keys.pop("hostbus", ""), keys.pop("hostaddr", "")
    no_more(keys, driver)
    st.hostdevs.append(parse_usb_host(f"host:{bus}.{dev}"))


def _pci_assign_device(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    keys.pop("id", None)
    host = keys.pop("host", "")
    address = pci_address(keys, val)
    no_more(keys, driver)
    h = parse_pci_host(f"host={host}")
    h.address = address
    st.hostdevs.append(h)


def _alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
    return f"hostdev{i}" if "device" in flags else None


FAMILY = Family(
    name="hostdev",
    devices=lambda devs: devs.hostdevs,
    pci=lambda h, i: h.type == "pci",
    pci_address_only="PCI host devices",
    alias=_alias,
    # -usbdevice values no other family claims are host devices (or an error naming the syntax)
    options={"-usbdevice": Option(_usbdevice_opt), "-pcidevice": Option(_pcidevice_opt)},
    drivers={"usb-host": _usb_host_device, "pci-assign": _pci_assign_device},
)
