"""What libvirt 0.8.3 adds after parsing a domain (virDomainDefParseXML and friends).

Applied to an inactive definition: no ids, no runtime state. The result is what
libvirt would format back, and what the command-line builder starts from.
"""
from __future__ import annotations

import uuid as _uuid
from typing import Protocol

from .model.address import DriveAddress, VirtioSerialAddress
from .model.controller import Controller
from .model.devices_misc import Input, MemBalloon, Video, VideoModel, default_video_ram, default_video_type
from .model.domain import CPUMASK_LEN, Boot, Clock, Devices, Domain, Vcpu

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
    if dom.type is None:
        raise dom.error("missing domain type attribute")
    dom.id = None
    if not dom.name:
        raise dom.error("missing domain name")
    if dom.uuid is None:
        dom.uuid = generated_uuid(dom.name)
    if dom.memory is None:
        raise dom.error("missing memory element")
    if dom.current_memory is None:
        dom.current_memory = dom.memory
    if dom.memory_backing is not None and not dom.memory_backing.hugepages:
        dom.memory_backing = None
    if dom.vcpu is None:
        dom.vcpu = Vcpu(count=1)
    if dom.vcpu.cpuset is not None and len(dom.vcpu.cpuset) == CPUMASK_LEN:
        dom.vcpu.cpuset = None
    _os_defaults(dom, caps)
    if dom.features is not None and not any(
            (dom.features.acpi, dom.features.apic, dom.features.pae)):
        dom.features = None
    _clock_defaults(dom)
    if dom.cpu is not None:
        _cpu_defaults(dom)
        if not (dom.cpu.model or dom.cpu.topology or dom.cpu.features):
            dom.cpu = None  # nothing left to say about the CPU
    if dom.devices is None:
        dom.devices = Devices()
    _device_defaults(dom, caps)
    return dom


def _os_defaults(dom: Domain, caps: GuestCaps) -> None:
    os_ = dom.os
    if os_ is None or os_.type is None or not os_.type.name:
        raise dom.error("an os_type must be specified")
    t = os_.type
    if dom.type == "xen" and t.name == "linux":
        t.name = "xen"
    if not caps.supports_os_type(t.name):
        raise os_.error(f"no support found for os <type> '{t.name}'")
    if t.arch is not None:
        if not caps.supports(t.name, t.arch):
            raise os_.error(f"os type '{t.name}' & arch '{t.arch}' combination is not supported")
    else:
        t.arch = caps.default_arch(t.name, dom.type)
        if t.arch is None:
            raise os_.error(f"no supported architecture for os type '{t.name}'")
    if t.machine is None:
        t.machine = caps.default_machine(t.name, t.arch, dom.type)
    if t.name not in ("xen", "hvm", "uml"):
        os_.kernel = os_.initrd = os_.cmdline = os_.root = os_.loader = None
    if t.name != "exe":
        os_.init = None
    if t.name == "hvm" and not dom.bootloader:
        # a direct kernel boot takes no boot device: the schema allows one or
        # the other, so the default disk boot is only added without a kernel
        if not os_.boot and not (os_.kernel or os_.initrd or os_.cmdline or os_.root):
            os_.boot = [Boot(dev="hd")]
        os_.boot = os_.boot[:BOOT_LAST]
    else:
        os_.boot = []
    if dom.bootloader is None:
        dom.bootloader_args = None


def _clock_defaults(dom: Domain) -> None:
    c = dom.clock or Clock(offset="utc")
    if c.offset is None:
        c.offset = "utc"
    if c.offset == "variable":
        c.adjustment = c.adjustment or 0
    else:
        c.adjustment = None
    if c.offset == "timezone":
        if not c.timezone:
            raise c.error("missing 'timezone' attribute for clock with offset='timezone'")
    else:
        c.timezone = None
    for tm in c.timers:
        if tm.name is None:
            raise tm.error("missing timer name")
        if tm.name not in ("platform", "rtc"):
            tm.track = None
        if tm.name != "tsc":
            tm.frequency = None
            tm.mode = None
        if tm.catchup is not None and not (tm.catchup.threshold or tm.catchup.slew or tm.catchup.limit):
            tm.catchup = None
    dom.clock = c


def _cpu_defaults(dom: Domain) -> None:
    cpu = dom.cpu
    if cpu.model is not None and cpu.match is None:
        raise cpu.error("missing match attribute for CPU specification")
    if cpu.model is None:
        cpu.match = None
        if cpu.features:
            raise cpu.features[0].error("non-empty feature list specified without CPU model")
    topo = cpu.topology
    if topo is not None and not (topo.sockets and topo.cores and topo.threads):
        raise topo.error("CPU topology needs non-zero sockets, cores and threads")
    for f in cpu.features:
        if f.policy is None:
            f.policy = "require"
        if not f.name:
            raise f.error("CPU feature lacks a name")


def _device_defaults(dom: Domain, caps: GuestCaps) -> None:
    devs = dom.devices
    os_type = dom.os_type
    if devs.emulator is None:
        devs.emulator = caps.default_emulator(os_type, dom.arch, dom.type)
        if devs.emulator is None:
            raise dom.error(f"no emulator for domain {dom.type} os {os_type}/{dom.arch}")
    for d in devs.disks:
        d.apply_defaults(os_type)
    for i, n in enumerate(devs.interfaces):
        n.apply_defaults(f"{dom.uuid}/{i}")
    _chardev_defaults(dom)
    inputs = []
    for inp in devs.inputs:
        inp.apply_defaults(os_type)
        if not inp.is_implicit(os_type):
            inputs.append(inp)
    for g in devs.graphics:
        g.apply_defaults()
    if devs.graphics:
        inputs.append(Input(type="mouse", bus="ps2" if os_type == "hvm" else "xen"))
    devs.inputs = inputs
    for v in devs.videos:
        v.apply_defaults(dom.type, os_type)
    if devs.graphics and not devs.videos:
        vtype = default_video_type(dom.type, os_type)
        if vtype is None:
            raise dom.error("cannot determine default video type")
        devs.videos = [Video(model=VideoModel(type=vtype, vram=default_video_ram(dom.type, vtype) or None,
                                              heads=1))]
    for h in devs.hostdevs:
        h.apply_defaults()
    if devs.memballoon is None and dom.type in ("xen", "qemu", "kqemu", "kvm"):
        devs.memballoon = MemBalloon(model="xen" if dom.type == "xen" else "virtio")
    add_implicit_controllers(devs)


def _chardev_defaults(dom: Domain) -> None:
    devs = dom.devices
    for kind, items in (("serial", devs.serials), ("parallel", devs.parallels)):
        for i, chr_ in enumerate(items):
            chr_.normalise()
            chr_.apply_target(kind, i)
    if len(devs.consoles) > 1:
        raise devs.consoles[1].error("only one console is supported")
    console = devs.consoles[0] if devs.consoles else None
    if console is not None:
        console.normalise()
        console.apply_target("console", 0)
        if dom.os_type == "hvm":
            # an HVM console is really the first serial port
            if not devs.serials:
                devs.serials = [console]
            console = None
    if console is None and devs.serials:
        console = devs.serials[0]
    devs.consoles = [console.as_console()] if console is not None else []
    for i, ch in enumerate(devs.channels):
        ch.normalise()
        ch.apply_target("channel", i)
        addr = ch.address
        if isinstance(addr, VirtioSerialAddress) and addr.port == 0:
            maxport = 0
            for prev in devs.channels[:i]:
                pa = prev.address
                if (isinstance(pa, VirtioSerialAddress) and pa.controller == addr.controller
                        and pa.bus == addr.bus and pa.port > maxport):
                    maxport = pa.port
            addr.port = maxport + 1


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
                top = max(top, d.address.controller)
        for i in range(top + 1):
            _maybe_add_controller(devs, ctype, i)
    for ch in devs.channels:
        if ch.target is not None and ch.target.type == "virtio":
            idx = ch.address.controller if isinstance(ch.address, VirtioSerialAddress) else 0
            _maybe_add_controller(devs, "virtio-serial", idx)
