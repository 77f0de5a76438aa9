"""Character devices (serial, parallel, channel; the monitor): the legacy
``-serial``/``-parallel`` spec and ``-chardev`` + ``-device``; both directions.

The monitor is a character device of its own: where it lives is the host
profile's (``profile.monitor``), how it is written is this module's.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..model.address import VirtioSerialAddress
from ..model.chardev import CharDev, ChrSource, ChrTarget
from .argvstate import ArgvState, take
from .argvvalues import ArgError, check, no_more, parse_keywords, uint_key
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


def legacy_spec(dev: CharDev) -> str:
    """qemuBuildChrArgStr: 'pty', 'file:/x', 'tcp:host:port,server,nowait', ..."""
    t = dev.type
    if t in ("null", "vc", "pty", "stdio"):
        return t
    if t == "dev":
        return _path(dev)
    if t in ("file", "pipe"):
        return f"{t}:{_path(dev)}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp:{chost}:{csvc}@{bhost}:{bsvc}"
    s = dev.source()
    listen = ",server,nowait" if s is not None and s.mode == "bind" else ""
    if t == "tcp":
        proto = "telnet" if dev.protocol == "telnet" else "tcp"
        return (f"{proto}:{opt(c_str(s.host if s else None), 'tcp host')}:"
                f"{opt(c_str(s.service if s else None), 'tcp service')}{listen}")
    if t == "unix":
        return f"unix:{opt(c_str(s.path if s else None), 'unix socket path')}{listen}"
    raise dev.error(f"unsupported character device type '{t}'")


def chardev_spec(dev: CharDev, ident: str) -> str:
    """qemuBuildChrChardevStr: the value of ``-chardev``."""
    t = dev.type
    ident = opt(ident, "device alias")
    if t in ("null", "vc", "pty", "stdio"):
        return f"{t},id={ident}"
    if t == "dev":
        return f"tty,id={ident},path={_path(dev)}"
    if t in ("file", "pipe"):
        return f"{t},id={ident},path={_path(dev)}"
    if t == "udp":
        chost, csvc, bhost, bsvc = _udp_ends(dev)
        return f"udp,id={ident},host={chost},port={csvc},localaddr={bhost},localport={bsvc}"
    s = dev.source()
    listen = ",server,nowait" if s is not None and s.mode == "bind" else ""
    if t == "tcp":
        return (f"socket,id={ident},host={opt(c_str(s.host if s else None), 'tcp host')},"
                f"port={opt(c_str(s.service if s else None), 'tcp service')}"
                f"{',telnet' if dev.protocol == 'telnet' else ''}{listen}")
    if t == "unix":
        return f"socket,id={ident},path={opt(c_str(s.path if s else None), 'unix socket path')}{listen}"
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
                spec += f",bus=virtio-serial{a.controller}.{a.bus},nr={a.port}"
            spec += f",chardev={name}"
            if tgt.name:
                spec += f",name={opt(tgt.name, 'channel name')}"
            b.arg("-device", spec)


# --------------------------------------------------------------------------- argv2xml: legacy syntax

def parse_chr(val: str) -> CharDev:
    """qemuParseCommandLineChr: QEMU's legacy -serial/-parallel syntax."""
    if val in ("null", "vc", "pty", "stdio"):
        return CharDev(type=val)
    for prefix, kind in (("file:", "file"), ("pipe:", "pipe")):
        if val.startswith(prefix):
            path = check("absolute file path", val[len(prefix):], "character device path")
            return CharDev(type=kind, sources=[ChrSource(path=path)])
    if val.startswith("udp:"):
        return _parse_udp(val[len("udp:"):], val)
    if val.startswith("tcp:") or val.startswith("telnet:"):
        telnet = val.startswith("telnet:")
        rest = val.split(":", 1)[1]
        host, sep, svc = rest.partition(":")
        if not sep:
            raise ArgError(f"cannot find port number in character device {val}")
        svc, _, opts = svc.partition(",")
        if not svc:
            raise ArgError(f"cannot find port number in character device {val}")
        listen = "server" in opts.split(",")
        check("host name", host, "character device host")
        check("service", svc, "character device service")
        return CharDev(type="tcp", sources=[ChrSource(mode="bind" if listen else "connect",
                                                      host=host, service=svc)],
                       protocol="telnet" if telnet else "raw")
    if val.startswith("unix:"):
        path, _, opts = val[len("unix:"):].partition(",")
        check("absolute file path", path, "character device path")
        flags = opts.split(",")
        listen = "server" in flags or "listen" in flags
        return CharDev(type="unix", sources=[ChrSource(mode="bind" if listen else "connect", path=path)])
    if val.startswith("/dev"):
        return CharDev(type="dev", sources=[ChrSource(path=check("absolute file path", val, "device path"))])
    raise ArgError(f"unknown character device syntax {val}")


def _parse_udp(rest: str, val: str) -> CharDev:
    """udp:[CHOST]:CSVC[@[BHOST]:BSVC] -> connect source, then the optional bind source."""
    conn, at, bind = rest.partition("@")
    chost, sep, csvc = conn.partition(":")
    if not sep or not csvc:
        raise ArgError(f"missing connect port in character device '{val}'")
    sources = []
    for part in (chost, bind.partition(":")[0] if at else ""):
        if part:
            check("host name", part, "character device host")
    for part in (csvc, bind.partition(":")[2] if at else ""):
        if part:
            check("service", part, "character device service")
    if at:
        bhost, _, bsvc = bind.partition(":")
        sources.append(ChrSource(mode="bind", host=bhost or None, service=bsvc or None))
    sources.append(ChrSource(mode="connect", host=chost or None, service=csvc))
    return CharDev(type="udp", sources=sources)


def _legacy_opt(st: ArgvState, opt: str, val: str) -> None:
    if val == "none":
        return
    (st.serials if opt == "-serial" else st.parallels).append(parse_chr(val))


# --------------------------------------------------------------------------- argv2xml: -chardev syntax

def parse_chardev(val: str) -> tuple[str, CharDev]:
    """``-chardev TYPE,id=ID,...`` (qemudBuildCommandLineChrDevChardevStr read back)."""
    head, _, rest = val.partition(",")
    keys: dict[str, str | None] = {}
    for key, v in parse_keywords(rest, allow_empty=True):
        if key in keys:
            raise ArgError(f"'{key}' given twice in '{val}'")
        keys[key] = v
    ident = keys.pop("id", None)
    if not ident:
        raise ArgError(f"-chardev without an id in '{val}'")

    def take_keys(*allowed: str, flags: tuple[str, ...] = ()) -> dict[str, str | None]:
        for k, v in keys.items():
            if k in flags and v is None:
                continue
            if k not in allowed or v is None:
                raise ArgError(f"unsupported option '{k}' for -chardev {head}")
        return keys

    if head in ("null", "vc", "pty", "stdio"):
        take_keys()
        return ident, CharDev(type=head)
    if head in ("tty", "file", "pipe"):
        path = take_keys("path").get("path")
        if not path:
            raise ArgError(f"-chardev {head} without a path in '{val}'")
        check("absolute file path", path, "character device path")
        return ident, CharDev(type="dev" if head == "tty" else head, sources=[ChrSource(path=path)])
    if head == "udp":
        k = take_keys("host", "port", "localaddr", "localport")
        for h in (k.get("host"), k.get("localaddr")):
            if h:
                check("host name", h, "character device host")
        for sv in (k.get("port"), k.get("localport")):
            if sv:
                check("service", sv, "character device service")
        if not k.get("port"):
            raise ArgError(f"missing connect port in '{val}'")
        sources = []
        if k.get("localaddr") or k.get("localport"):
            sources.append(ChrSource(mode="bind", host=k.get("localaddr") or None,
                                     service=k.get("localport") or None))
        sources.append(ChrSource(mode="connect", host=k.get("host") or None, service=k.get("port")))
        return ident, CharDev(type="udp", sources=sources)
    if head == "socket":
        k = take_keys("host", "port", "path", flags=("telnet", "server", "nowait"))
        if "server" in k and "nowait" not in k:
            raise ArgError(f"a listening -chardev socket without nowait waits for a client: '{val}'")
        if "nowait" in k and "server" not in k:
            raise ArgError(f"nowait without server in '{val}'")
        mode = "bind" if "server" in k else "connect"
        if k.get("path") is not None:
            if "host" in k or "port" in k or "telnet" in k:
                raise ArgError(f"a socket has either a path or host/port in '{val}'")
            path = check("absolute file path", k["path"] or "", "unix socket path")
            return ident, CharDev(type="unix", sources=[ChrSource(mode=mode, path=path)])
        host, port = k.get("host"), k.get("port")
        if not host or not port:
            raise ArgError(f"-chardev socket needs path= or host= and port= in '{val}'")
        check("host name", host, "character device host")
        check("service", port, "character device service")
        return ident, CharDev(type="tcp", sources=[ChrSource(mode=mode, host=host, service=port)],
                              protocol="telnet" if "telnet" in k else "raw")
    raise ArgError(f"unsupported -chardev type '{head}'")


def _chardev_opt(st: ArgvState, opt: str, val: str) -> None:
    ident, dev = parse_chardev(val)
    st.remember(st.chardevs, ident, "-chardev", dev)


def _mon_opt(st: ArgvState, opt: str, val: str) -> None:
    """The monitor libvirt talks to: not part of the domain, but its chardev must exist."""
    keys = dict(parse_keywords(val))
    ident = keys.pop("chardev", None)
    mode = keys.pop("mode", "readline")
    if ident is None or mode not in ("readline", "control") or keys:
        raise ArgError(f"unsupported monitor '{val}'")
    take(st.chardevs, ident, "-chardev")


def _monitor_opt(st: ArgvState, opt: str, val: str) -> None:
    """-monitor: set by libvirt on every start; nothing of the domain definition."""


def _isa_port(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    ident = keys.pop("chardev", "")
    no_more(keys, driver)
    dev = take(st.chardevs, ident, "-chardev")
    assert isinstance(dev, CharDev)
    (st.serials if driver == "isa-serial" else st.parallels).append(dev)


def _virtserialport(st: ArgvState, driver: str, keys: dict[str, str], val: str) -> None:
    ident = keys.pop("chardev", "")
    bus = keys.pop("bus", None)
    address = None
    if bus is not None:
        m = re.fullmatch(r"virtio-serial([0-9]+)\.([0-9]+)", bus)
        if m is None:
            raise ArgError(f"expected bus=virtio-serialN.B in '{val}'")
        address = VirtioSerialAddress(type="virtio-serial", controller=int(m.group(1)),
                                      bus=int(m.group(2)), port=uint_key(keys, "nr", val))
    name = keys.pop("name", None)
    keys.pop("id", None)
    no_more(keys, driver)
    dev = take(st.chardevs, ident, "-chardev")
    assert isinstance(dev, CharDev)
    dev.target = ChrTarget(type="virtio", name=name)
    dev.address = address
    st.channels.append(dev)


def _is_guestfwd(val: str) -> bool:
    return val.startswith("user,") and "guestfwd" in dict(parse_keywords(val.partition(",")[2]))


def _guestfwd_opt(st: ArgvState, opt: str, val: str) -> None:
    """A guestfwd channel: -netdev user,guestfwd=tcp:IP:PORT,chardev=ID,id=user-ID."""
    kws = dict(parse_keywords(val.partition(",")[2]))
    fwd, ident = kws.pop("guestfwd"), kws.pop("chardev", None)
    kws.pop("id", None)
    m = re.fullmatch(r"tcp:([0-9.]+):([0-9]+)", fwd or "")
    if ident is None or m is None or kws:
        raise ArgError(f"unsupported guestfwd netdev '{val}'")
    dev = take(st.chardevs, ident, "-chardev")
    assert isinstance(dev, CharDev)
    port = int(m.group(2))
    if port > 65535:
        raise ArgError(f"guestfwd port out of range in '{val}'")
    dev.target = ChrTarget(type="guestfwd", address=check("IP address", m.group(1), "guestfwd address"),
                           port=port)
    st.channels.append(dev)


def _alias(prefix: str) -> Any:
    def alias(dev: Any, i: int, flags: frozenset[str]) -> str | None:
        return f"{prefix}{i}" if "device" in flags else None
    return alias


SERIAL = Family(
    name="serial",
    devices=lambda devs: devs.serials,
    alias=_alias("serial"),
    options={"-serial": Option(_legacy_opt), "-chardev": Option(_chardev_opt),
             "-mon": Option(_mon_opt), "-monitor": Option(_monitor_opt)},
    drivers={"isa-serial": _isa_port},
)
PARALLEL = Family(
    name="parallel",
    devices=lambda devs: devs.parallels,
    alias=_alias("parallel"),
    options={"-parallel": Option(_legacy_opt)},
    drivers={"isa-parallel": _isa_port},
)
CHANNEL = Family(
    name="channel",
    devices=lambda devs: devs.channels,
    alias=_alias("channel"),
    options={"-netdev": Option(_guestfwd_opt, claims=_is_guestfwd)},
    drivers={"virtserialport": _virtserialport},
)
