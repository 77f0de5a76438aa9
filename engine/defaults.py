"""What libvirt 0.8.3 decides after reading a domain (virDomainDefParseXML and friends).

Applied to an inactive definition: no ids, no runtime state. The result is what
libvirt would format back, and what the command-line builder starts from. The
element-local rules live with the model classes (their ``parsed`` hooks); here
are the rules that need the whole domain or the host: the guest's OS against
the capabilities, the devices that depend on the OS type, the implicit
devices and controllers.
"""
from __future__ import annotations

import uuid as _uuid
from typing import Protocol

from .model.address import DriveAddress, VirtioSerialAddress
from .model.chardev import CharDev
from .model.controller import Controller
from .model.devices_misc import Input, MemBalloon, Video, VideoModel, default_video_ram, default_video_type
from .model.domain import BOOT_DEVS, Boot, Clock, Devices, Domain, Os, OsType

_UUID_NS = _uuid.UUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")
BOOT_LAST = 4


class GuestCaps(Protocol):
    """What defaults need from the host's guest capabilities."""

    def supports_os_type(self, os_type: str) -> bool: ...
    def supports(self, os_type: str, arch: str) -> bool: ...
    def default_arch(self, os_type: str, virt_type: str) -> str | None: ...
    def default_machine(self, os_type: str, arch: str, virt_type: str) -> str | None: ...
    def default_emulator(self, os_type: str, arch: str, virt_type: str) -> str | None: ...


def generated_uuid(name: str) -> str:
    """libvirt draws a random UUID; ours derives from the name so output is reproducible."""
    return str(_uuid.uuid5(_UUID_NS, name))


def apply_defaults(dom: Domain, caps: GuestCaps) -> Domain:
    """Fill in libvirt's defaults in place; raise located ConfigErrors like libvirt."""
    dom.id = None
    if dom.uuid is None:
        dom.uuid = generated_uuid(dom.name)
    _os_defaults(dom, caps)
    if dom.clock is None:
        dom.clock = Clock(offset="utc")
    if dom.devices is None:
        dom.devices = Devices()
        dom.devices._src = dom._src
    _device_defaults(dom, caps)
    return dom


def _os_defaults(dom: Domain, caps: GuestCaps) -> None:
    os_ = dom.os
    if os_ is None:
        os_ = dom.os = Os()
        os_._src = dom._src
    if os_.type is None or not os_.type.name:
        if not dom.bootloader:
            raise dom.error("no OS type")
        if os_.type is None:
            os_.type = OsType()
        os_.type.name = "xen"
    t = os_.type
    if dom.type == "xen" and t.name == "linux":
        t.name = "xen"
    t.legacy_linux = dom.type == "xen" and t.name == "xen"
    if not caps.supports_os_type(t.name):
        raise os_.error(f"unknown OS type {t.name}")
    if t.arch is not None:
        if not caps.supports(t.name, t.arch):
            raise os_.error(f"os type '{t.name}' & arch '{t.arch}' combination is not supported")
    else:
        t.arch = caps.default_arch(t.name, dom.type)
        if t.arch is None:
            raise os_.error(f"no supported architecture for os type '{t.name}'")
    if t.machine is None:
        t.machine = caps.default_machine(t.name, t.arch, dom.type)
    if t.name != "exe":
        os_.init = None
    if t.name not in ("xen", "hvm", "uml"):
        os_.kernel = os_.initrd = os_.cmdline = os_.root = os_.loader = None
    boots: list[Boot] = []
    if t.name == "hvm":
        for b in os_.boot[:BOOT_LAST]:
            if b.dev is None:
                raise b.error("missing boot device")
            if b.dev not in BOOT_DEVS:
                raise b.error(f"unknown boot device '{b.dev}'")
            boots.append(b)
        if not boots:
            boots = [Boot(dev="hd")]
    # with a bootloader libvirt neither prints nor uses the boot order
    os_.boot = [] if dom.bootloader else boots


def _device_defaults(dom: Domain, caps: GuestCaps) -> None:
    devs = dom.devices
    os_type = dom.os_type
    if devs.emulator is None:
        devs.emulator = caps.default_emulator(os_type, dom.arch, dom.type)
        if devs.emulator is None:
            raise dom.error(f"no emulator for domain {dom.type} os type {os_type} on architecture {dom.arch}")
    for i, n in enumerate(devs.interfaces):
        n.apply_defaults(f"{dom.uuid}/{i}")
    _chardev_defaults(dom)
    for inp in devs.inputs:
        inp.apply_defaults(os_type)
    # libvirt prints (and QEMU gets) the USB devices only, then the mouse that
    # comes with the graphics
    devs.inputs = [inp for inp in devs.inputs if inp.bus == "usb"]
    if devs.graphics:
        devs.inputs.append(Input(type="mouse", bus="ps2" if os_type == "hvm" else "xen"))
    for v in devs.videos:
        v.apply_defaults(dom.type, os_type)
    if devs.graphics and not devs.videos:
        vtype = default_video_type(dom.type, os_type)
        if vtype is None:
            raise dom.error("cannot determine default video type")
        devs.videos = [Video(model=VideoModel(type=vtype, vram=default_video_ram(dom.type, vtype), heads=1))]
    for h in devs.hostdevs:
        h.apply_defaults()
    if devs.memballoon is None and dom.type in ("xen", "qemu", "kqemu", "kvm"):
        devs.memballoon = MemBalloon(model="xen" if dom.type == "xen" else "virtio")
    add_implicit_controllers(devs)


def _chardev_defaults(dom: Domain) -> None:
    """Ports follow positions; an HVM console is the first serial port; virtio
    channels sit on a virtio-serial port (the next free one when none is given)."""
    devs = dom.devices
    for items in (devs.serials, devs.parallels):
        for i, chr_ in enumerate(items):
            chr_.target.port = i
    console = devs.consoles[0] if devs.consoles else None
    if console is not None:
        console.target.port = 0
        if dom.os_type == "hvm":
            if not devs.serials:
                console.target.kind = "serial"
                devs.serials = [console]
            console = None
    if console is None and devs.serials:
        console = devs.serials[0].as_console()
    devs.consoles = [console] if console is not None else []
    for i, ch in enumerate(devs.channels):
        if ch.target is not None and ch.target.kind == "virtio" and ch.address is None:
            ch.address = VirtioSerialAddress(type="virtio-serial", controller=0, bus=0, port=0)
        addr = ch.virtio_serial
        if addr is not None and ch.target is not None and ch.target.kind == "virtio" and addr.port == 0:
            maxport = -1
            for prev in devs.channels[:i]:
                pa = prev.virtio_serial
                if pa is not None and prev.target is not None and prev.target.kind == "virtio" \
                        and pa.controller == addr.controller and pa.bus == addr.bus \
                        and _int32(pa.port) > maxport:
                    maxport = _int32(pa.port)
            addr.port = (maxport + 1) & 0xFFFFFFFF
    for chr_ in (*devs.serials, *devs.parallels, *devs.consoles, *devs.channels):
        chr_.check_target()


def _int32(v: int) -> int:
    return v - 2**32 if v >= 2**31 else v


def _maybe_add_controller(devs: Devices, ctype: str, index: int) -> None:
    for c in devs.controllers:
        if c.type == ctype and c.index == index:
            return
    devs.controllers.append(Controller(type=ctype, index=index))


def add_implicit_controllers(devs: Devices) -> None:
    """virDomainDefAddImplicitControllers: scsi, fdc, ide for disk addresses, then virtio-serial."""
    for ctype, bus in (("scsi", "scsi"), ("fdc", "fdc"), ("ide", "ide")):
        top = -1
        for d in devs.disks:
            if d.bus == bus and isinstance(d.address, DriveAddress):
                top = max(top, _int32(d.address.controller))  # libvirt compares as int
        for i in range(top + 1):
            _maybe_add_controller(devs, ctype, i)
    for ch in devs.channels:
        if ch.target is not None and ch.target.kind == "virtio":
            idx = _int32(ch.address.controller) if isinstance(ch.address, VirtioSerialAddress) else 0
            _maybe_add_controller(devs, "virtio-serial", idx)


__all__ = ["CharDev", "GuestCaps", "add_implicit_controllers", "apply_defaults", "generated_uuid"]
