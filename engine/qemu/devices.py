"""The smaller device families on the command line: controllers, USB inputs, video,
sound, watchdog, host devices and the memory balloon."""
from __future__ import annotations

from .context import Build
from .pci import address_opt

_QEMU_VGA = {"vga": "std", "cirrus": "cirrus", "vmvga": "vmware", "xen": "xenfb"}
_SOUND_DEVICE = {"es1370": "ES1370", "ac97": "AC97"}


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
        else:
            raise b.refuse(f"controller type '{c.type}' is not supported by QEMU", c)
        b.arg("-device", spec + address_opt(b, c))


def add_inputs(b: Build) -> None:
    for inp in b.dom.devices.inputs:
        if inp.bus != "usb":
            continue
        if b.device:
            b.arg("-device", f"usb-{inp.type},id={b.alias(inp)}")
        else:
            b.arg("-usbdevice", inp.type)


def add_video(b: Build) -> None:
    videos = b.dom.devices.videos
    if not videos:
        # with -device, -nodefaults already removed the default VGA
        if not b.device and b.has("vga"):
            b.arg("-vga", "none")
        return
    if len(videos) > 1:
        raise b.refuse("only one video card is currently supported", videos[1])
    model = videos[0].model.type
    if b.has("vga"):
        if model == "xen":
            return  # -vga has no effect on the Xen PV framebuffer
        if model not in _QEMU_VGA:
            raise b.refuse(f"video type {model} is not supported with QEMU", videos[0])
        b.arg("-vga", _QEMU_VGA[model])
    elif model == "vga":
        b.arg("-std-vga")
    elif model == "vmvga":
        b.arg("-vmwarevga")
    elif model not in ("xen", "cirrus"):
        raise b.refuse(f"video type {model} is not supported with QEMU", videos[0])


def add_sounds(b: Build) -> None:
    sounds = b.dom.devices.sounds
    if not sounds:
        return
    if b.device:
        for s in sounds:
            if s.model == "pcspk":  # the PC speaker has no -device form
                b.arg("-soundhw", "pcspk")
            else:
                b.arg("-device", f"{_SOUND_DEVICE.get(s.model, s.model)},id={b.alias(s)}" + address_opt(b, s))
    else:
        b.arg("-soundhw", ",".join(s.model for s in sounds))


def add_watchdog(b: Build) -> None:
    wd = b.dom.devices.watchdog
    if wd is None:
        return
    if b.device:
        b.arg("-device", f"{wd.model},id={b.alias(wd)}" + address_opt(b, wd))
    else:
        b.arg("-watchdog", wd.model)
    b.arg("-watchdog-action", wd.action)


def add_hostdevs(b: Build) -> None:
    for h in b.dom.devices.hostdevs:
        src = h.source
        if h.type == "usb":
            a = src.address
            if a is None:
                raise b.refuse("USB host devices given by vendor/product need a host lookup of "
                               "bus/device, which a command line cannot express", h)
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


def add_balloon(b: Build) -> None:
    bal = b.dom.devices.memballoon
    if bal is None or bal.model == "none":
        return
    if bal.model != "virtio":
        raise b.refuse(f"memory balloon device type '{bal.model}' is not supported by this version of qemu", bal)
    if b.device:
        b.arg("-device", f"virtio-balloon-pci,id={b.alias(bal)}" + address_opt(b, bal))
    elif b.has("balloon"):
        b.arg("-balloon", "virtio")
