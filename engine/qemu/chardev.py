"""Character devices (serial, parallel, channel; the monitor): the legacy
``-serial``/``-parallel`` spec and ``-chardev`` + ``-device``; both directions.

The monitor is a character device of its own: where it lives is the host
profile's (``profile.monitor``), how it is written is this module's.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..model.address import VirtioSerialAddress
from ..model.chardev import CharDev, ChrSource, ChrTarget
from ..model.cvalues import as_int32
from .argvstate import ArgvState
from .argvvalues import ArgError
from .context import Build
from .escape import c_str, opt
from .family import Family, Option


def _udp_ends(dev: CharDev) -> tuple[str, str, str, str]:
    """(connect host, connect service, bind host, bind service), escaped; a part the
    document leaves out is printed as C prints a NULL string."""
    c = dev.source("connect")
    b = dev.source("bind")
    return (opt(c_str(c.host if c else None), "udp host"), opt(c_str(c.service if c else None), "udp service"),
            opt(c_str(b.host if b else None), "udp host"), opt(c_str(b.service if b else None), "udp service"))


def _path(dev: CharDev) -> str:
    return opt(c_str(dev.path), "character device path")


def _socket(dev: CharDev) -> tuple[str, str, str, str]:
    """(host, service, path, listen suffix) of a tcp/unix device, escaped; both syntaxes
    end a listening socket in ',server,nowait'."""
    s = dev.source()
    listen = ",server,nowait" if s is not None and s.mode == "bind" else ""
    return (opt(c_str(s.host if s else None), "tcp host"), opt(c_str(s.service if s else None), "tcp service"),
            opt(c_str(s.path if s else None), "unix socket path"), listen)


def legacy_spec(dev: CharDev) -> str:
    """qemuBuildChrArgStr: 'pty', 'file:/x', 'tcp:host:port,server,nowait', ..."""
    t = dev.type
    if t in ("null", "vc", "pty", "stdio"):
        return t
    # QEMU opens what follows 'file:'/'pipe:' (or a device path) as it is: no option
    # syntax, so nothing to escape (a doubled comma would change the file)
    if t == "dev":
        return c_str(dev.path)
    if t in ("file", "pipe"):
        return f"{t}:{c_str(dev.path)}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp:{chost}:{csvc}@{bhost}:{bsvc}"
    host, service, path, listen = _socket(dev)
    if t == "tcp":
        return f"{'telnet' if dev.protocol == 'telnet' else 'tcp'}:{host}:{service}{listen}"
    if t == "unix":
        return f"unix:{path}{listen}"
    raise dev.error(f"unsupported character device type '{t}'")


def chardev_spec(dev: CharDev, ident: str) -> str:
    """qemuBuildChrChardevStr: the value of ``-chardev``."""
    t = dev.type
    ident = opt(ident, "device alias")
    if t in ("null", "vc", "pty", "stdio"):
        return f"{t},id={ident}"
    if t in ("dev", "file", "pipe"):
        return f"{'tty' if t == 'dev' else t},id={ident},path={_path(dev)}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp,id={ident},host={chost},port={csvc},localaddr={bhost},localport={bsvc}"
    host, service, path, listen = _socket(dev)
    if t == "tcp":
        return f"socket,id={ident},host={host},port={service}{',telnet' if dev.protocol == 'telnet' else ''}{listen}"
    if t == "unix":
        return f"socket,id={ident},path={path}{listen}"
    raise dev.error(f"unsupported character device type '{t}'")


MONITOR_ALIAS = "monitor"


@lru_cache(maxsize=8)
def _monitor_specs(path: str, alias: str) -> tuple[str, str]:
    """(-chardev value, -monitor value) of the listening UNIX-socket monitor."""
    mon = CharDev(type="unix", sources=[ChrSource(mode="bind", path=path)])
    return chardev_spec(mon, alias), legacy_spec(mon)


def add_monitor(b: Build) -> None:
    """The profile's UNIX-socket monitor: -chardev + -mon when available, else -monitor
    (readline mode: libvirt 0.8.3 keeps the JSON monitor off)."""
    chardev, legacy = _monitor_specs(b.profile.monitor.path_for(b.dom.name), MONITOR_ALIAS)
    if b.has("chardev"):
        b.arg("-chardev", chardev, "-mon", f"chardev={MONITOR_ALIAS},mode=readline")
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
        if tgt is None:
            b.warn("a channel without a target type has no QEMU option: libvirt 0.8.3 builds "
                   "the guest without it", ch)
            continue
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
            if a is not None and not isinstance(a, VirtioSerialAddress):
                raise b.refuse("virtio serial device has invalid address type", ch)
            if isinstance(a, VirtioSerialAddress):
                spec += (f",bus=virtio-serial{as_int32(a.controller)}.{as_int32(a.bus)},"  # %d
                         f"nr={as_int32(a.port)}")
            spec += f",chardev={name}"
            if tgt.name is not None:  # name="" too: ",name="
                spec += f",name={opt(tgt.name, 'channel name')}"
            b.arg("-device", spec)


# --------------------------------------------------------------------------- argv2xml

def parse_chr(val: str) -> CharDev:
    """qemuParseCommandLineChr: QEMU's legacy -serial/-parallel syntax, as libvirt split it.

    Its quirks are kept: a tcp/telnet source listens when 'server' appears anywhere
    after the first comma, a unix one only when 'listen' does (so libvirt's own
    ``unix:PATH,server,nowait`` reads back as a connecting socket); udp parts may be
    empty or missing; paths and hosts are taken as written.
    """
    if val in ("null", "vc", "pty", "stdio"):
        return CharDev(type=val)
    for prefix, kind in (("file:", "file"), ("pipe:", "pipe")):
        if val.startswith(prefix):
            return CharDev(type=kind, sources=[ChrSource(path=val[len(prefix):])])
    if val.startswith("udp:"):
        return _parse_udp(val[len("udp:"):])
    if val.startswith("tcp:") or val.startswith("telnet:"):
        rest = val.split(":", 1)[1]
        svc = rest.find(":")
        if svc < 0:
            raise ArgError(f"cannot find port number in character device {rest}")
        comma = rest.find(",", svc)
        listen = comma >= 0 and "server" in rest[comma:]
        service = rest[svc + 1:comma] if comma >= 0 else rest[svc + 1:]
        return CharDev(type="tcp", sources=[ChrSource(mode="bind" if listen else "connect",
                                                      host=rest[:svc], service=service)],
                       protocol="telnet" if val.startswith("telnet:") else "raw")
    if val.startswith("unix:"):
        rest = val[len("unix:"):]
        path, comma, opts = rest.partition(",")
        listen = bool(comma) and "listen" in "," + opts
        return CharDev(type="unix", sources=[ChrSource(mode="bind" if listen else "connect", path=path)])
    if val.startswith("/dev"):
        return CharDev(type="dev", sources=[ChrSource(path=val)])
    raise ArgError(f"unknown character device syntax {val}")


def _parse_udp(rest: str) -> CharDev:
    """udp:CHOST[:CSVC[@BHOST[:BSVC]]], each part as found (libvirt's strchr/strndup walk),
    formatted bind source first (host and/or service), then the connect source."""
    svc1 = rest.find(":")
    host2 = rest.find("@", svc1) if svc1 >= 0 else -1
    svc2 = rest.find(":", host2) if host2 >= 0 else -1
    chost = rest[:svc1] if svc1 >= 0 else rest
    csvc = (rest[svc1 + 1:host2] if host2 >= 0 else rest[svc1 + 1:]) if svc1 >= 0 else None
    bhost = (rest[host2 + 1:svc2] if svc2 >= 0 else rest[host2 + 1:]) if host2 >= 0 else None
    bsvc = rest[svc2 + 1:] if svc2 >= 0 else None
    sources = []
    if bhost is not None or bsvc is not None:
        sources.append(ChrSource(mode="bind", host=bhost, service=bsvc))
    sources.append(ChrSource(mode="connect", host=chost, service=csvc))
    return CharDev(type="udp", sources=sources)


def _legacy_opt(st: ArgvState, opt: str, val: str) -> None:
    """-serial/-parallel SPEC ('none': no port); the target port is the position."""
    if val == "none":
        return
    devs = st.dom.devices
    items = devs.serials if opt == "-serial" else devs.parallels
    dev = parse_chr(val)
    dev.target = ChrTarget(opt[1:], port=len(items))
    items.append(dev)


def console_echo(st: ArgvState) -> None:
    """After the loop: the first serial port is also the console (as libvirt's formatter
    echoes it)."""
    devs = st.dom.devices
    if devs.serials:
        devs.consoles = [devs.serials[0].as_console()]


def _monitor_opt(st: ArgvState, opt: str, val: str) -> None:
    """-monitor: libvirt's own channel to QEMU, set on every start; not part of the domain."""


def _alias(prefix: str) -> Any:
    def alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
        return f"{prefix}{i}" if "device" in flags else None
    return alias


def _port(kind: str) -> Any:
    def guest_name(ch: Any, i: int) -> tuple[str, dict[str, str | None]]:
        port = ch.target.port if ch.target is not None and ch.target.port is not None else i
        return f"{kind} port {port}", {}
    return guest_name


def _channel_name(ch: Any, i: int) -> tuple[str, dict[str, str | None]]:
    t = ch.target
    if t is not None and t.type == "guestfwd":
        return f"channel guestfwd {t.address}:{t.port}", {}
    return f"channel {t.name if t is not None and t.name else '(unnamed)'}", {}


SERIAL = Family(
    name="serial",
    devices=lambda devs: devs.serials,
    alias=_alias("serial"),
    guest_name=_port("serial"),
    options={"-serial": Option(_legacy_opt), "-monitor": Option(_monitor_opt)},
)
PARALLEL = Family(
    name="parallel",
    devices=lambda devs: devs.parallels,
    alias=_alias("parallel"),
    guest_name=_port("parallel"),
    options={"-parallel": Option(_legacy_opt)},
)
CHANNEL = Family(
    name="channel",
    devices=lambda devs: devs.channels,
    alias=_alias("channel"),
    guest_name=_channel_name,
)
#: a paravirtualized guest's console (an HVM guest's is its first serial port): not on
#: the command line, but a PCI address it has is taken all the same
CONSOLE = Family(
    name="console",
    devices=lambda devs: [c for c in devs.consoles if not c.echo],
    guest_sees=False,  # through the Xen backend, not through QEMU
)
