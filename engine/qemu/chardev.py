"""Character devices on the command line: the legacy ``-serial`` spec and ``-chardev``.

Also the monitor, which libvirt builds as a character device of its own.
"""
from __future__ import annotations

from functools import lru_cache

from ..model.address import VirtioSerialAddress
from ..model.chardev import CharDev, ChrSource
from .context import Build
from .escape import opt


def _udp_ends(dev: CharDev) -> tuple[str, str, str, str]:
    """(connect host, connect service, bind host, bind service), escaped; '' when unset."""
    c = dev.source("connect")
    b = dev.source("bind")
    return (opt(c.host or "", "udp host"), opt(c.service or "", "udp service"),
            opt((b.host if b else None) or "", "udp host"),
            opt((b.service if b else None) or "", "udp service"))


def legacy_spec(dev: CharDev) -> str:
    """qemudBuildCommandLineChrDevStr: 'pty', 'file:/x', 'tcp:host:port,server,nowait', ..."""
    t = dev.type
    if t in ("null", "vc", "pty", "stdio"):
        return t
    if t == "dev":
        return opt(dev.path or "", "character device path")
    if t in ("file", "pipe"):
        return f"{t}:{opt(dev.path or '', 'character device path')}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp:{chost}:{csvc}@{bhost}:{bsvc}"
    if t == "tcp":
        s = dev.source()
        proto = "telnet" if dev.protocol == "telnet" else "tcp"
        return (f"{proto}:{opt(s.host, 'tcp host')}:{opt(s.service, 'tcp service')}"
                f"{',server,nowait' if s.mode == 'bind' else ''}")
    if t == "unix":
        s = dev.source()
        return f"unix:{opt(s.path, 'unix socket path')}{',server,nowait' if s.mode == 'bind' else ''}"
    raise dev.error(f"unsupported character device type '{t}'")


def chardev_spec(dev: CharDev, ident: str) -> str:
    """qemudBuildCommandLineChrDevChardevStr: the value of ``-chardev``."""
    t = dev.type
    ident = opt(ident, "device alias")
    if t in ("null", "vc", "pty", "stdio"):
        return f"{t},id={ident}"
    if t == "dev":
        return f"tty,id={ident},path={opt(dev.path or '', 'character device path')}"
    if t in ("file", "pipe"):
        return f"{t},id={ident},path={opt(dev.path or '', 'character device path')}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp,id={ident},host={chost},port={csvc},localaddr={bhost},localport={bsvc}"
    if t == "tcp":
        s = dev.source()
        return (f"socket,id={ident},host={opt(s.host, 'tcp host')},port={opt(s.service, 'tcp service')}"
                f"{',telnet' if dev.protocol == 'telnet' else ''}"
                f"{',server,nowait' if s.mode == 'bind' else ''}")
    if t == "unix":
        s = dev.source()
        return (f"socket,id={ident},path={opt(s.path, 'unix socket path')}"
                f"{',server,nowait' if s.mode == 'bind' else ''}")
    raise dev.error(f"unsupported character device type '{t}'")


@lru_cache(maxsize=8)
def _monitor_specs(path: str) -> tuple[str, str]:
    """(-chardev value, -monitor value) of the listening UNIX-socket monitor."""
    mon = CharDev(type="unix", sources=[ChrSource(mode="bind", path=path)])
    return chardev_spec(mon, "monitor"), legacy_spec(mon)


def add_monitor(b: Build) -> None:
    """The UNIX-socket monitor: -chardev + -mon when available, else -monitor."""
    chardev, legacy = _monitor_specs(b.monitor_path)
    if b.has("chardev"):
        b.arg("-chardev", chardev, "-mon", "chardev=monitor,mode=readline")
    else:
        b.arg("-monitor", legacy)


def add_serials_parallels(b: Build) -> None:
    devs = b.dom.devices
    with_device = b.has("chardev") and b.device
    for kind, items, isa in (("serial", devs.serials, "isa-serial"),
                             ("parallel", devs.parallels, "isa-parallel")):
        if not items:
            # with -device, -nodefaults already removed the default ports
            if not b.device:
                b.arg(f"-{kind}", "none")
            continue
        for dev in items:
            if with_device:
                b.arg("-chardev", chardev_spec(dev, b.alias(dev)))
                b.arg("-device", f"{isa},chardev={opt(b.alias(dev))}")
            else:
                b.arg(f"-{kind}", legacy_spec(dev))


def add_channels(b: Build) -> None:
    for ch in b.dom.devices.channels:
        tgt = ch.target
        if tgt.type == "guestfwd":
            if not (b.has("chardev") and b.device):
                raise b.refuse("guestfwd channels require QEMU to support -chardev and -device", ch)
            name = b.alias(ch)
            b.arg("-chardev", chardev_spec(ch, name))
            b.arg("-netdev", f"user,guestfwd=tcp:{tgt.address}:{tgt.port},chardev={name},id=user-{name}")
        else:
            if not b.device:
                raise b.refuse("virtio channels require QEMU to support -device", ch)
            name = b.alias(ch)
            b.arg("-chardev", chardev_spec(ch, name))
            spec = "virtserialport"
            a = ch.address
            if isinstance(a, VirtioSerialAddress):
                spec += f",bus=virtio-serial{a.controller}.{a.bus},nr={a.port}"
            spec += f",chardev={name}"
            if tgt.name:
                spec += f",name={opt(tgt.name, 'channel name')}"
            b.arg("-device", spec)
