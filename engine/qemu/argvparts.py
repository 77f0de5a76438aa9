"""Values of single QEMU options -> model objects (libvirt 0.8.3 qemuParseCommandLine* helpers).

Each function takes the option's value text and returns model elements or
raises ``ArgError``; the caller adds the location of the offending word. They
follow libvirt's helpers (qemuParseCommandLineKeywords, -Chr, -Disk, -Net,
-USB, -PCI) and are stricter where libvirt silently dropped what it did not
understand: a conversion that loses a setting must say so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..model.address import HostPciAddress, HostUsbAddress, PciAddress, pci
from ..model.chardev import CharDev, ChrSource
from ..model.devices_misc import Hostdev, HostdevSource
from ..model.disk import Disk, DiskDriver, DiskSource, DiskTarget, disk_name
from ..model.net import MAC, Interface, NetSource, generated_mac
from .escape import split_options


class ArgError(ConfigError):
    """An unlocated problem with one option value; the parser locates it."""


# --------------------------------------------------------------------------- helpers

# The value patterns of the domain schema (schemas/basictypes.rnc): a value the
# schema would reject is refused here, pointing at the argument it came from.
_PATTERNS = {
    "absolute file path": r"/[a-zA-Z0-9_.+\-&/%]+",
    "absolute directory path": r"/[a-zA-Z0-9_.+\-&/%]*",
    "file path": r"[a-zA-Z0-9_.+\-&/%]+",
    "device name": r"[a-zA-Z0-9_.\-\\:/]+",
    "name": r"[a-zA-Z0-9_+\-]+",
    "machine name": r"[a-zA-Z0-9_.\-]+",
    "disk serial": r"[A-Za-z0-9_.+\-]+",
    "model name": r"[a-zA-Z0-9\-_]+",
    "host name": r"[a-zA-Z0-9.\-]+|[0-9A-Fa-f:]+",
    "service": r"[0-9]{1,5}|[a-zA-Z][a-zA-Z0-9_\-]*",
    "IP address": r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
                  r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*",
}


def check(kind: str, value: str, what: str) -> str:
    """``value`` if it has the schema's form for ``kind``, else an ArgError naming ``what``."""
    if not re.fullmatch(_PATTERNS[kind], value):
        raise ArgError(f"{what} '{value}' is not a valid {kind}")
    return value

def c_int(text: str) -> int | None:
    """virStrToLong_i with base 10 on the whole string; None when it is not one."""
    if re.fullmatch(r"[+-]?[0-9]+", text.strip(" \t")) and not text[-1:].isspace():
        v = int(text)
        return v if -(2**31) <= v < 2**31 else None
    return None


def parse_keywords(text: str, allow_empty: bool = False) -> list[tuple[str, str | None]]:
    """qemuParseCommandLineKeywords: 'k=v,k2=v2' in order; ',,' stays a literal comma.

    libvirt 0.8.3 has no ',,' escape, but QEMU does, and later builders escape
    commas in paths that way, so reading it back keeps such paths whole.
    """
    out: list[tuple[str, str | None]] = []
    if text == "":
        return out
    for item in split_options(text):
        key, sep, value = item.partition("=")
        if not sep:
            if not allow_empty:
                raise ArgError(f"malformed keyword arguments in '{text}'")
            out.append((key, None))
        else:
            out.append((key, value))
    return out


# --------------------------------------------------------------------------- character devices

def parse_chr(val: str) -> CharDev:
    """qemuParseCommandLineChr: QEMU's legacy -serial/-parallel syntax."""
    if val == "null":
        return CharDev(type="null")
    if val == "vc":
        return CharDev(type="vc")
    if val == "pty":
        return CharDev(type="pty")
    if val == "stdio":
        return CharDev(type="stdio")
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


# --------------------------------------------------------------------------- usb / pci host devices

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


# --------------------------------------------------------------------------- -drive

_DRIVE_BUSES = {"ide": "ide", "scsi": "scsi", "virtio": "virtio", "xen": "xen", "floppy": "fdc"}
_DRIVE_PREFIX = {"ide": "hd", "scsi": "sd", "virtio": "vd", "xen": "xvd", "fdc": "fd"}
_CACHE = {"off": "none", "none": "none", "writeback": "writeback", "on": "writeback",
          "writethrough": "writethrough"}
# keys the builder writes that carry nothing the domain XML keeps
_DRIVE_IGNORED = {"boot"}


def parse_drive(val: str, nvirtio: int) -> Disk:
    """qemuParseCommandLineDisk: one -drive key=value list to a disk.

    ``nvirtio`` is the number of virtio drives seen so far: a virtio drive
    without index= takes the next virtio slot.
    """
    disk, ident = _parse_drive(val, nvirtio)
    if ident is not None:
        raise ArgError(f"a drive with if=none belongs to a -device; use parse_drive_none for '{val}'")
    return disk


def parse_drive_none(val: str) -> tuple[str, Disk]:
    """An ``if=none,id=drive-ALIAS`` drive: its id and the disk without a target yet.

    Its place on the guest (bus, unit, target name) comes from the ``-device``
    (or ``-global isa-fdc.driveX``) that names it; read-only is only ``readonly=on``.
    """
    disk, ident = _parse_drive(val, 0)
    if ident is None:
        raise ArgError(f"not an if=none drive: '{val}'")
    return ident, disk


def _parse_drive(val: str, nvirtio: int) -> tuple[Disk, str | None]:
    kws = parse_keywords(val)
    none_drive = ("if", "none") in kws
    bus, device = "ide", "disk"
    dtype: str | None = None
    src: str | None = None
    readonly = False
    drv_type: str | None = None
    cache: str | None = None
    policy: str | None = None
    serial: str | None = None
    idx = busid = unitid = -1
    fat = False
    ident: str | None = None
    none = False
    for key, v in kws:
        assert v is not None
        if key == "file":
            if v:
                if v.startswith("fat:"):
                    fat = True
                    v = v[len("fat:"):]
                    if v.startswith("floppy:"):
                        v = v[len("floppy:"):]
                    dtype = "dir"
                else:
                    dtype = "block" if v.startswith("/dev/") else "file"
                src = v
            else:
                dtype = "file"
        elif key == "if" and v == "none":
            none = True
        elif key == "id":
            ident = v
        elif key == "if":
            if v not in _DRIVE_BUSES:
                raise ArgError(f"unsupported drive interface '{v}' in drive '{val}'")
            bus = _DRIVE_BUSES[v]
        elif key == "media":
            if v == "cdrom":
                device = "cdrom"
                readonly = readonly or not none_drive
            elif v == "floppy":
                device = "floppy"
            elif v != "disk":
                raise ArgError(f"unknown drive media '{v}' in drive '{val}'")
        elif key == "format":
            drv_type = check("name", v, "drive format")
        elif key == "cache":
            if v not in _CACHE:
                raise ArgError(f"unknown drive cache mode '{v}' in drive '{val}'")
            cache = _CACHE[v]
        elif key in ("werror", "rerror"):
            if v not in ("stop", "ignore"):
                raise ArgError(f"unknown drive error policy '{v}' in drive '{val}'")
            policy = v
        elif key in ("index", "bus", "unit"):
            n = c_int(v)
            if n is None or n < 0:
                raise ArgError(f"cannot parse drive {key} '{v}' in drive '{val}'")
            if key == "index":
                idx = n
            elif key == "bus":
                busid = n
            else:
                unitid = n
        elif key == "readonly":
            if v not in ("on", "off"):
                raise ArgError(f"bad readonly value '{v}' in drive '{val}'")
            readonly = readonly or v == "on"
        elif key == "serial":
            serial = check("disk serial", v, "drive serial")
        elif key in _DRIVE_IGNORED:
            continue
        else:
            raise ArgError(f"unsupported drive option '{key}' in drive '{val}'")
    if bus == "fdc":
        device = "floppy"
    if fat:
        drv_type, readonly = "fat", True
    if src is None and device == "disk" and not none:  # an if=none floppy is known at its -global
        raise ArgError(f"missing file parameter in drive '{val}'")
    if src is not None:
        check_disk_path(dtype or "file", src)
    driver = (DiskDriver(name="qemu", type=drv_type, cache=cache, error_policy=policy)
              if (drv_type or cache or policy) else None)
    if none:
        if ident is None:
            raise ArgError(f"a drive with if=none needs an id in drive '{val}'")
        if max(idx, busid, unitid) != -1:
            raise ArgError(f"index/bus/unit belong to the -device of an if=none drive '{val}'")
        return Disk(type=dtype or "file", device=device, driver=driver, source=_disk_source(dtype, src),
                    readonly=readonly, serial=serial), ident
    if idx == -1 and bus == "virtio":
        idx = nvirtio
    if idx == -1 and unitid == -1 and busid == -1:
        raise ArgError(f"missing index/unit/bus parameter in drive '{val}'")
    if idx == -1:
        unitid = max(unitid, 0)
        busid = max(busid, 0)
        idx = busid * 2 + unitid if bus == "ide" else busid * 7 + unitid if bus == "scsi" else unitid
    if device == "floppy" and bus != "fdc":
        raise ArgError(f"floppy media needs if=floppy in drive '{val}'")
    target = disk_name(_DRIVE_PREFIX[bus], idx)
    disk = Disk(type=dtype or "file", device=device, driver=driver,
                source=_disk_source(dtype, src), target=DiskTarget(dev=target, bus=bus),
                readonly=readonly, serial=serial)
    disk.address = disk.default_address()
    return disk, None


def check_disk_path(dtype: str, path: str) -> str:
    """The schema's form of a disk source: /dev names for block, absolute paths otherwise."""
    if dtype == "block":
        return check("device name", path, "disk device")
    if dtype == "dir":
        return check("absolute directory path", path, "disk directory")
    return check("absolute file path", path, "disk file")


def _disk_source(dtype: str | None, src: str | None) -> DiskSource | None:
    if src is None:
        return None
    if dtype == "block":
        return DiskSource(dev=src)
    if dtype == "dir":
        return DiskSource(dir=src)
    return DiskSource(file=src)


def legacy_disk(opt: str, path: str) -> Disk:
    """-hdX/-sdX/-fdX/-cdrom FILE: the target is the option name."""
    dtype = "block" if path.startswith("/dev/") else "file"
    check_disk_path(dtype, path)
    if opt == "cdrom":
        device, dst, bus, ro = "cdrom", "hdc", "ide", True
    elif opt.startswith("fd"):
        device, dst, bus, ro = "floppy", opt, "fdc", False
    else:
        device, dst, bus, ro = "disk", opt, ("ide" if opt.startswith("hd") else "scsi"), False
    disk = Disk(type=dtype, device=device, source=_disk_source(dtype, path),
                target=DiskTarget(dev=dst, bus=bus), readonly=ro)
    disk.address = disk.default_address()
    return disk


# --------------------------------------------------------------------------- -net

@dataclass
class Nic:
    """The guest side of a NIC (``-net nic,...``); ``used`` once a host side claimed it."""

    vlan: int = 0
    mac: str | None = None
    model: str | None = None
    used: bool = False
    address: PciAddress | None = None

    def join(self, iface: Interface, seed: str) -> Interface:
        """The host side ``iface`` completed with this guest side."""
        iface.mac = self.mac or generated_mac(seed)
        iface.model = self.model
        iface.address = self.address
        return iface


_NIC_KEYS = {"vlan", "macaddr", "model", "name"}


def is_nic(val: str) -> bool:
    return val == "nic" or val.startswith("nic,")


def parse_nic(val: str) -> Nic:
    """-net nic[,vlan=N][,macaddr=M][,model=X][,name=ID]; vlan 0 when absent, as in QEMU."""
    nic = Nic()
    for key, v in parse_keywords(val[len("nic,"):] if val.startswith("nic,") else ""):
        assert v is not None
        if key == "vlan":
            n = c_int(v)
            if n is None or n < 0:
                raise ArgError(f"cannot parse vlan in '{val}'")
            nic.vlan = n
        elif key == "macaddr":
            # Mac.parse alone lets int() take a sign, so check the form first
            if not re.fullmatch(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}", v):
                raise ArgError(f"unable to parse mac address '{v}'")
            nic.mac = MAC.parse(v)
        elif key == "model":
            nic.model = check("model name", v, "NIC model")
        elif key not in _NIC_KEYS:
            raise ArgError(f"unsupported option '{key}' for -net nic")
    return nic


def parse_net(val: str, nics: list[Nic], seed: str) -> Interface:
    """qemuParseCommandLineNet: a host-side -net value joined to the -net nic of its vlan."""
    iface, keys = _net_backend(val, netdev=False)
    vlan = 0
    if "vlan" in keys:
        n = c_int(keys["vlan"])
        if n is None:
            raise ArgError(f"cannot parse vlan in '{val}'")
        vlan = n
    nic = _find_nic(nics, vlan)
    if nic is None:
        raise ArgError(f"cannot find NIC definition for vlan {vlan}")
    nic.used = True
    return nic.join(iface, seed)


def parse_netdev(val: str) -> tuple[str, Interface]:
    """``-netdev TYPE,...,id=ID``: the host side of a NIC, joined later by ``netdev=ID``."""
    iface, keys = _net_backend(val, netdev=True)
    if not keys.get("id"):
        raise ArgError(f"-netdev without an id in '{val}'")
    return keys["id"], iface


def _net_backend(val: str, netdev: bool) -> tuple[Interface, dict[str, str]]:
    """The backend of -net/-netdev (tap, socket, user, ...) and its vlan/name/id keys."""
    head, _, rest = val.partition(",")
    kws = parse_keywords(rest) if rest else []
    if head == "tap":
        ntype = "ethernet"
    elif head == "socket":
        ntype = "client"
    elif head == "user":
        ntype = "user"
    elif netdev:
        raise ArgError(f"unsupported -netdev type '{head}'")
    else:
        ntype = "ethernet"  # libvirt: any other backend is a generic ethernet
    keys: dict[str, str] = {}
    script = ifname = None
    source: NetSource | None = None
    for key, v in kws:
        assert v is not None
        if key in (("id",) if netdev else ("vlan", "name")):
            keys[key] = v
        elif head == "tap" and key == "script":
            script = check("file path", v, "network script") if v else None
        elif head == "tap" and key == "ifname":
            ifname = check("device name", v, "interface name")
        elif head == "tap" and key == "fd":
            continue  # an fd libvirt opened for a network/bridge: the kind is lost
        elif head == "socket" and key in ("connect", "listen", "mcast"):
            host, sep, port = v.rpartition(":")
            p = c_int(port) if sep else None
            if p is None or not 0 <= p <= 65535:
                raise ArgError(f"cannot parse socket address '{v}' in '{val}'")
            ntype = {"connect": "client", "listen": "server", "mcast": "mcast"}[key]
            if host:
                check("IP address" if key == "mcast" else "host name", host, "socket address")
            source = NetSource(address=host or None, port=p)
        else:
            raise ArgError(f"unsupported option '{key}' for -{'netdev' if netdev else 'net'} {head}")
    if ifname is not None and ifname.startswith("vnet"):
        ifname = None  # an inactive definition drops generated tap names
    return Interface(type=ntype, source=source, script=script, target=ifname), keys


def _find_nic(nics: list[Nic], vlan: int) -> Nic | None:
    for nic in nics:
        if nic.vlan == vlan:
            return nic
    if vlan == 0 and nics:
        return nics[0]
    return None


# --------------------------------------------------------------------------- -chardev / -device

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

    def take(*allowed: str, flags: tuple[str, ...] = ()) -> dict[str, str | None]:
        for k, v in keys.items():
            if k in flags and v is None:
                continue
            if k not in allowed or v is None:
                raise ArgError(f"unsupported option '{k}' for -chardev {head}")
        return keys

    if head in ("null", "vc", "pty", "stdio"):
        take()
        return ident, CharDev(type=head)
    if head in ("tty", "file", "pipe"):
        path = take("path").get("path")
        if not path:
            raise ArgError(f"-chardev {head} without a path in '{val}'")
        check("absolute file path", path, "character device path")
        return ident, CharDev(type="dev" if head == "tty" else head, sources=[ChrSource(path=path)])
    if head == "udp":
        k = take("host", "port", "localaddr", "localport")
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
        k = take("host", "port", "path", flags=("telnet", "server", "nowait"))
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


def device_keywords(val: str) -> tuple[str, dict[str, str]]:
    """``-device DRIVER,k=v,...`` -> (driver, {k: v}); repeated or valueless keys are refused."""
    driver, _, rest = val.partition(",")
    keys: dict[str, str] = {}
    for key, v in parse_keywords(rest):
        assert v is not None
        if key in keys:
            raise ArgError(f"'{key}' given twice in '{val}'")
        keys[key] = v
    return driver, keys


def pci_address(keys: dict[str, str], val: str) -> PciAddress | None:
    """``bus=pci.0,addr=0xS`` (popped from ``keys``) -> a PCI address; None when absent."""
    bus = keys.pop("bus", None)
    addr = keys.pop("addr", None)
    if bus is None and addr is None:
        return None
    if bus != "pci.0" or addr is None:
        raise ArgError(f"only bus=pci.0 with an addr= is supported in '{val}'")
    m = re.fullmatch(r"(?:0[xX])?([0-9a-fA-F]{1,2})", addr)
    slot = int(m.group(1), 16) if m else -1
    if not 1 <= slot <= 0x1F:
        raise ArgError(f"cannot parse PCI slot '{addr}' in '{val}'")
    return pci(slot)


def no_more(keys: dict[str, str], driver: str) -> None:
    """Every key of a -device must have been understood."""
    if keys:
        raise ArgError(f"unsupported option '{next(iter(keys))}' for -device {driver}")
