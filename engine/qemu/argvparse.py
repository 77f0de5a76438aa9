"""A QEMU command line -> the Domain it describes (libvirt 0.8.3 qemuParseCommandLine).

Why: ``virsh domxml-from-native qemu-argv`` is how guests started by hand were
brought under libvirt. We follow libvirt's conversion (its defaults, its
first pass over ``-net nic``, its implicit devices) but refuse, with the
option named and located, everything it would have dropped with a warning:
an argument we cannot represent is an error, never a silent loss.
"""
from __future__ import annotations

import re
import uuid as _uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from ..defaults import GuestCaps, add_implicit_controllers
from ..errors import ConfigError, Refused
from ..model.address import DriveAddress, VirtioSerialAddress
from ..model.chardev import CharDev, ChrTarget
from ..model.controller import Controller
from ..model.devices_misc import (
    WATCHDOG_ACTIONS,
    WATCHDOG_MODELS,
    Graphics,
    Hostdev,
    Input,
    MemBalloon,
    Sound,
    Video,
    VideoModel,
    Watchdog,
    default_video_ram,
)
from ..model.disk import Disk, DiskSource, DiskTarget, disk_name
from ..model.domain import (
    Boot,
    Clock,
    Cpu,
    Devices,
    Domain,
    Features,
    MemoryBacking,
    Os,
    OsType,
    Timer,
    Topology,
    Uuid,
    Vcpu,
)
from ..model.net import Interface
from .argvparts import (
    ArgError,
    Nic,
    c_int,
    check,
    check_disk_path,
    device_keywords,
    is_nic,
    legacy_disk,
    no_more,
    parse_chardev,
    parse_chr,
    parse_drive,
    parse_drive_none,
    parse_keywords,
    parse_net,
    parse_netdev,
    parse_nic,
    parse_pci_host,
    parse_usb_host,
    pci_address,
)
from .argvsplit import SplitCommandLine, Token, split_command_line
from .escape import split_options

_UUID_NS = _uuid.UUID("0b4c8e1e-3a0e-5d1c-9a43-6a1b2f7c5e10")
BOOT_LAST = 4
_BOOT_LETTERS = {"a": "fd", "c": "hd", "d": "cdrom", "n": "network"}
_VGA = {"std": "vga", "cirrus": "cirrus", "vmware": "vmvga", "xenfb": "xen"}
_SOUND = ("pcspk", "sb16", "es1370", "ac97")
# arch and machine values the domain schema accepts per os type / arch
_ARCHES = {"hvm": ("i686", "x86_64", "mips", "mipsel", "sparc", "ppc"), "xen": ("i686", "x86_64", "ia64")}
_MACHINES = {"mips": ("mips",), "mipsel": ("mips",), "sparc": ("sun4m",), "ppc": ("g3beige", "mac99", "prep")}
_LEGACY_DISKS = {f"-{p}{c}" for p in ("hd", "sd") for c in "abcd"} | {"-fda", "-fdb", "-cdrom"}


@dataclass
class _State:
    """What the loop gathers before the Domain is assembled."""

    path: str
    cmd: SplitCommandLine
    virt_type: str = "qemu"
    os_type: str = "hvm"
    arch: str = "i686"
    machine: str | None = None
    machine_tok: Token | None = None
    name: str | None = None
    uuid: str | None = None
    memory: int = 64 * 1024
    vcpus: int = 1
    acpi: bool = True
    pae: bool = False
    clock: str = "utc"
    on_reboot: str = "restart"
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    bootloader: str | None = None
    boot: list[str] = field(default_factory=list)
    nographic: bool = False
    fullscreen: bool = False
    video: str = "cirrus"
    nics: list[Nic] = field(default_factory=list)
    nic_toks: list[Token] = field(default_factory=list)
    nvirtio: int = 0
    disks: list[Disk] = field(default_factory=list)
    nets: list[Interface] = field(default_factory=list)
    serials: list[CharDev] = field(default_factory=list)
    parallels: list[CharDev] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    graphics: list[Graphics] = field(default_factory=list)
    sounds: list[Sound] = field(default_factory=list)
    hostdevs: list[Hostdev] = field(default_factory=list)
    watchdog: Watchdog | None = None
    hugepages: bool = False
    # the -device/-chardev/-netdev syntax
    tok: Token | None = None  # the value being handled, for errors found later
    nodefaults: bool = False
    chardevs: dict[str, tuple[CharDev, Token]] = field(default_factory=dict)
    drives: dict[str, tuple[Disk, Token]] = field(default_factory=dict)
    netdevs: dict[str, tuple[Interface, Token]] = field(default_factory=dict)
    channels: list[CharDev] = field(default_factory=list)
    controllers: list[Controller] = field(default_factory=list)
    memballoon: MemBalloon | None = None
    timers: list[Timer] = field(default_factory=list)
    topology: Topology | None = None
    sdl: bool = False


Handler = Callable[[_State, str, str], None]


def parse_argv_text(text: str, caps: GuestCaps, path: str = "<string>") -> Domain:
    """Parse the text of a ``.args`` file into a Domain (libvirt's inactive view)."""
    return parse_command_line(split_command_line(text, path), caps, path)


def argv_to_xml(text: str, caps: GuestCaps, path: str = "<string>", *, validate: bool = True) -> str:
    """The domain XML of a ``.args`` text; with ``validate``, XML the schema rejects is
    refused (libvirt would print it anyway, e.g. an arch its schema does not know)."""
    xml = parse_argv_text(text, caps, path).to_xml()
    if validate:
        from .. import schema
        from ..xmlio import parse_bytes
        problems = schema.validate(parse_bytes(xml.encode(), path))
        if problems:
            p = problems[0]
            raise Refused(f"the command line gives a domain the schema rejects: {p.message} "
                          f"(line {p.line} of the XML)", path=path, line=1, column=1)
    return xml


def parse_command_line(cmd: SplitCommandLine, caps: GuestCaps, path: str = "<string>") -> Domain:
    """qemuParseCommandLine: defaults, the -net nic pre-pass, the option loop, implicit devices."""
    st = _State(path=path, cmd=cmd)
    emulator = cmd.emulator.text
    for tok in [cmd.emulator, *cmd.args]:
        bad = next((c for c in tok.text if ord(c) < 0x20 or ord(c) == 0x7F), None)
        if bad is not None:
            raise _located(ConfigError(f"control character {ord(bad):#04x} in argument '{tok.text!r}'"),
                           path, tok)
    try:
        check("absolute file path", emulator, "emulator")
    except ArgError as e:
        raise _located(ConfigError(e.message), path, cmd.emulator) from None
    if "kvm" in emulator:
        st.virt_type, st.pae = "kvm", True
    if "xenner" in emulator:
        st.virt_type, st.os_type = "kvm", "xen"
    rest = emulator if emulator.startswith("qemu") else emulator[emulator.find("qemu"):] \
        if "qemu" in emulator else ""
    if rest.startswith("qemu-system-") and len(rest) > len("qemu-system-"):
        st.arch = rest[len("qemu-system-"):]
    if st.arch not in _ARCHES[st.os_type]:
        raise _located(ConfigError(f"emulator '{emulator}' is for architecture '{st.arch}', which "
                                   f"has no {st.os_type} guests here"), path, cmd.emulator)
    args = cmd.args
    # first pass: the guest side of every NIC, to pair with its host side by vlan
    i = 0
    while i < len(args):
        if _opt(args[i].text) == "-net" and i + 1 < len(args):
            if is_nic(args[i + 1].text):
                try:
                    st.nics.append(parse_nic(args[i + 1].text))
                except ArgError as e:
                    raise _located(ConfigError(f"-net: {e.message}"), path, args[i + 1]) from None
                st.nic_toks.append(args[i + 1])
            i += 1
        elif _opt(args[i].text) == "-device" and i + 1 < len(args):
            try:
                nic = _vlan_nic_device(args[i + 1].text)
            except ArgError as e:
                raise _located(ConfigError(f"-device: {e.message}"), path, args[i + 1]) from None
            if nic is not None:
                st.nics.append(nic)
                st.nic_toks.append(args[i + 1])
            i += 1
        i += 1
    i = 0
    while i < len(args):
        tok = args[i]
        opt = _opt(tok.text)
        spec = _OPTIONS.get(opt)
        if spec is None and opt in _LEGACY_DISKS:
            spec = (True, _legacy_disk)
        if spec is None:
            raise _located(ConfigError(f"unsupported QEMU argument '{tok.text}'"), path, tok)
        wants_value, handler = spec
        val_tok = tok
        val = ""
        if wants_value:
            if i + 1 >= len(args):
                raise _located(ConfigError(f"missing value for {opt} argument"), path, tok)
            i += 1
            val_tok = args[i]
            val = val_tok.text
        if opt == "-M":
            st.machine_tok = val_tok
        st.tok = val_tok
        try:
            handler(st, opt, val)
        except ArgError as e:
            raise _located(ConfigError(f"{opt}: {e.message}"), path, val_tok) from None
        i += 1
    for nic, tok in zip(st.nics, st.nic_toks, strict=True):
        if not nic.used:
            raise _located(ConfigError(f"-net nic on vlan {nic.vlan} has no host side (-net user/tap/...)"),
                           path, tok)
    for what, table in (("-chardev", st.chardevs), ("-drive", st.drives), ("-netdev", st.netdevs)):
        for ident, (_, tok) in table.items():  # each is removed from its table when used
            raise _located(ConfigError(f"{what} '{ident}' is not used by any device"), path, tok)
    if st.bootloader is not None and st.os_type != "xen":
        raise _located(ConfigError("-bootloader is only for xen guests (a xenner emulator)"), path,
                       cmd.emulator)
    allowed = ("xenpv", "xenner") if st.os_type == "xen" else _MACHINES.get(st.arch)
    if st.machine is not None and allowed is not None and st.machine not in allowed:
        assert st.machine_tok is not None
        raise _located(ConfigError(f"machine type '{st.machine}' is not one of {', '.join(allowed)} "
                                   f"for a {st.os_type}/{st.arch} guest"), path, st.machine_tok)
    return _assemble(st, caps)


def _opt(text: str) -> str:
    """QEMU takes --opt for -opt; libvirt folds them the same way."""
    return text[1:] if text.startswith("--") else text


def _located(err: ConfigError, path: str, tok: Token) -> ConfigError:
    err.located(path, tok.line, tok.col)
    return err


# --------------------------------------------------------------------------- option handlers

def _vnc(st: _State, opt: str, val: str) -> None:
    host, sep, rest = val.partition(":")
    if not sep:
        g = Graphics(type="vnc", port=-1, autoport=True)
    else:
        disp, _, opts = rest.partition(",")
        n = c_int(disp)
        if n is None or n < 0 or n + 5900 > 65535:
            raise ArgError(f"cannot parse VNC port '{rest}'")
        if host:
            check("IP address", host, "VNC listen address")
        g = Graphics(type="vnc", port=5900 + n, autoport=False, listen=host or None)
        for o in opts.split(",") if opts else []:
            key = o.partition("=")[0]
            if key not in ("tls", "x509", "x509verify", "sasl", "password"):
                raise ArgError(f"unsupported VNC option '{o}'")
            # TLS/SASL/password come from qemu.conf, not from the domain
    st.graphics.append(g)


def _mem(st: _State, opt: str, val: str) -> None:
    n = c_int(val)
    if n is None or n < 0:
        raise ArgError(f"cannot parse memory level '{val}'")
    st.memory = n * 1024


def _uuid_opt(st: _State, opt: str, val: str) -> None:
    try:
        st.uuid = Uuid().parse(val)
    except ValueError:
        raise ArgError(f"cannot parse UUID '{val}'") from None


def _legacy_disk(st: _State, opt: str, val: str) -> None:
    st.disks.append(legacy_disk(opt[1:], val))


def _set(attr: str, value: object) -> Handler:
    def handler(st: _State, opt: str, val: str) -> None:
        setattr(st, attr, value)
    return handler


def _store(attr: str, kind: str | None = None) -> Handler:
    def handler(st: _State, opt: str, val: str) -> None:
        setattr(st, attr, check(kind, val, f"{opt} value") if kind else val)
    return handler


def _ignore(st: _State, opt: str, val: str) -> None:
    """Options libvirt sets itself on every start (monitor, -S, -usb, ...)."""


def _boot(st: _State, opt: str, val: str) -> None:
    devs: list[str] = []
    for ch in val:
        if len(devs) >= BOOT_LAST or ch == ",":
            break
        if ch in _BOOT_LETTERS:
            devs.append(_BOOT_LETTERS[ch])
        else:
            raise ArgError(f"unknown boot device '{ch}' in '{val}'")
    st.boot = devs


def _chr(st: _State, opt: str, val: str) -> None:
    if val == "none":
        return
    (st.serials if opt == "-serial" else st.parallels).append(parse_chr(val))


def _usbdevice(st: _State, opt: str, val: str) -> None:
    if val in ("tablet", "mouse"):
        st.inputs.append(Input(type=val, bus="usb"))
    elif val.startswith("disk:"):
        src = val[len("disk:"):]
        block = src.startswith("/dev/")
        check_disk_path("block" if block else "file", src)
        st.disks.append(Disk(type="block" if block else "file", device="disk",
                             source=DiskSource(dev=src) if block else DiskSource(file=src),
                             target=DiskTarget(dev="sda", bus="usb")))
    else:
        st.hostdevs.append(parse_usb_host(val))


def _net(st: _State, opt: str, val: str) -> None:
    if is_nic(val) or val == "none":
        return
    seed = f"{_fingerprint(st)}/net{len(st.nets)}"
    st.nets.append(parse_net(val, st.nics, seed))


def _drive(st: _State, opt: str, val: str) -> None:
    if ("if", "none") in parse_keywords(val):
        ident, part = parse_drive_none(val)
        if ident in st.drives:
            raise ArgError(f"-drive id '{ident}' given twice")
        assert st.tok is not None
        st.drives[ident] = (part, st.tok)
        return
    disk = parse_drive(val, st.nvirtio)
    st.disks.append(disk)
    if disk.bus == "virtio":
        st.nvirtio += 1


def _pcidevice(st: _State, opt: str, val: str) -> None:
    st.hostdevs.append(parse_pci_host(val))


def _soundhw(st: _State, opt: str, val: str) -> None:
    for model in val.split(","):
        if model not in _SOUND:
            raise ArgError(f"unsupported sound model '{model}'")
        st.sounds.append(Sound(model=model))


def _watchdog(st: _State, opt: str, val: str) -> None:
    if val not in WATCHDOG_MODELS:
        raise ArgError(f"unsupported watchdog model '{val}'")
    st.watchdog = Watchdog(model=val, action="reset")


def _watchdog_action(st: _State, opt: str, val: str) -> None:
    if val not in WATCHDOG_ACTIONS:
        raise ArgError(f"unknown watchdog action '{val}'")
    if st.watchdog is None:
        raise ArgError("-watchdog-action without a -watchdog before it")
    st.watchdog.action = val


def _vga(st: _State, opt: str, val: str) -> None:
    if val == "none":
        return
    if val not in _VGA:
        raise ArgError(f"unknown video adapter type '{val}'")
    st.video = _VGA[val]

# --------------------------------------------------------------------------- -device syntax
# What the builder emits with the device/chardev/netdev flags, read back. Aliases (id=)
# are runtime names the builder derives again, so only those linking options matter.

_NIC_MODEL = {"virtio-net-pci": "virtio"}
_SOUND_DEVICES = {"ES1370": "es1370", "AC97": "ac97", "sb16": "sb16"}


def _vlan_nic_device(val: str) -> Nic | None:
    """First pass: a ``-device MODEL,vlan=N,...`` NIC (its host side is a later -net), else None."""
    driver, keys = device_keywords(val)
    if "vlan" not in keys:
        return None
    vlan = c_int(keys.pop("vlan"))
    if vlan is None or vlan < 0:
        raise ArgError(f"cannot parse vlan in '{val}'")
    nic = _nic_device(driver, keys, val)
    nic.vlan = vlan
    return nic


def _nic_device(driver: str, keys: dict[str, str], val: str) -> Nic:
    """MODEL,id=netN,mac=M,bus=pci.0,addr=0xS (vlan=/netdev= already taken out).

    A model is always written back as given, rtl8139 included: the builder writes
    rtl8139 for a NIC without a model, so both read back build the same -device,
    and an explicit model keeps the guest's NIC when built for a legacy QEMU too.
    """
    keys.pop("id", None)
    nic = Nic(model=_NIC_MODEL.get(driver) or check("model name", driver, "NIC model"))
    mac = keys.pop("mac", None)
    if mac is not None:
        nic.mac = parse_nic(f"nic,macaddr={mac}").mac
    nic.address = pci_address(keys, val)
    no_more(keys, driver)
    return nic


def _take(table: dict, ident: str, what: str) -> object:
    if ident not in table:
        raise ArgError(f"no {what} with id '{ident}' before it (or it is used twice)")
    return table.pop(ident)[0]


def _chardev(st: _State, opt: str, val: str) -> None:
    ident, dev = parse_chardev(val)
    if ident in st.chardevs:
        raise ArgError(f"-chardev id '{ident}' given twice")
    assert st.tok is not None
    st.chardevs[ident] = (dev, st.tok)


def _mon(st: _State, opt: str, val: str) -> None:
    """The monitor libvirt talks to: not part of the domain, but its chardev must exist."""
    keys = dict(parse_keywords(val))
    ident = keys.pop("chardev", None)
    mode = keys.pop("mode", "readline")
    if ident is None or mode not in ("readline", "control") or keys:
        raise ArgError(f"unsupported monitor '{val}'")
    _take(st.chardevs, ident, "-chardev")


def _netdev(st: _State, opt: str, val: str) -> None:
    kws = dict(parse_keywords(val.partition(",")[2]))
    if val.startswith("user,") and "guestfwd" in kws:
        # a guestfwd channel: user,guestfwd=tcp:IP:PORT,chardev=ID,id=user-ID
        fwd, ident = kws.pop("guestfwd"), kws.pop("chardev", None)
        kws.pop("id", None)
        m = re.fullmatch(r"tcp:([0-9.]+):([0-9]+)", fwd or "")
        if ident is None or m is None or kws:
            raise ArgError(f"unsupported guestfwd netdev '{val}'")
        dev = _take(st.chardevs, ident, "-chardev")
        assert isinstance(dev, CharDev)
        port = int(m.group(2))
        if port > 65535:
            raise ArgError(f"guestfwd port out of range in '{val}'")
        dev.target = ChrTarget(type="guestfwd", address=check("IP address", m.group(1), "guestfwd address"),
                               port=port)
        st.channels.append(dev)
        return
    ident, iface = parse_netdev(val)
    if ident in st.netdevs:
        raise ArgError(f"-netdev id '{ident}' given twice")
    assert st.tok is not None
    st.netdevs[ident] = (iface, st.tok)


def _index(ident: str | None, prefix: str, val: str) -> int:
    m = re.fullmatch(re.escape(prefix) + r"([0-9]+)", ident or "")
    if m is None:
        raise ArgError(f"expected id={prefix}N in '{val}'")
    return int(m.group(1))


def _attach(st: _State, drive: str | None, bus: str, dev: str, address: object, val: str) -> None:
    """Give the if=none drive ``drive`` its place on the guest and add the disk."""
    if drive is None:
        raise ArgError(f"no drive= in '{val}'")
    disk = _take(st.drives, drive, "-drive if=none")
    assert isinstance(disk, Disk)
    if bus == "fdc":
        if disk.device == "cdrom":
            raise ArgError(f"a CD-ROM drive on the floppy controller: '{val}'")
        disk.device = "floppy"
    elif disk.device == "floppy":
        raise ArgError(f"a floppy drive on bus {bus}: '{val}'")
    elif disk.device == "disk" and disk.source is None:
        raise ArgError(f"the drive of '{val}' has no file")
    if any(d.target.dev == dev for d in st.disks):
        raise ArgError(f"a second disk '{dev}' in '{val}'")
    disk.target = DiskTarget(dev=dev, bus=bus)
    disk.address = address  # type: ignore[assignment]
    st.disks.append(disk)


def _uint(keys: dict[str, str], key: str, val: str, hi: int = 2**31 - 1) -> int:
    v = keys.pop(key, None)
    n = c_int(v) if v is not None else None
    if n is None or not 0 <= n <= hi:
        raise ArgError(f"cannot parse {key} '{v}' in '{val}'")
    return n


def _disk_device(st: _State, driver: str, keys: dict[str, str], val: str) -> None:
    drive = keys.pop("drive", None)
    alias = keys.pop("id", None)
    if driver == "ide-drive":
        m = re.fullmatch(r"ide\.([0-9]+)", keys.pop("bus", ""))
        if m is None:
            raise ArgError(f"expected bus=ide.N in '{val}'")
        b, u = int(m.group(1)), _uint(keys, "unit", val, 1)
        if b > 1:
            raise ArgError(f"IDE bus {b} out of range in '{val}'")
        no_more(keys, driver)
        _attach(st, drive, "ide", disk_name("hd", b * 2 + u),
                DriveAddress(type="drive", controller=0, bus=b, unit=u), val)
    elif driver == "scsi-disk":
        m = re.fullmatch(r"scsi([0-9]+)\.([0-9]+)", keys.pop("bus", ""))
        if m is None:
            raise ArgError(f"expected bus=scsiN.B in '{val}'")
        c, b, u = int(m.group(1)), int(m.group(2)), _uint(keys, "scsi-id", val, 6)
        if b != 0 or c > 1000:
            raise ArgError(f"SCSI bus out of range in '{val}'")
        no_more(keys, driver)
        _attach(st, drive, "scsi", disk_name("sd", c * 7 + u),
                DriveAddress(type="drive", controller=c, bus=b, unit=u), val)
    elif driver in ("virtio-blk-pci", "usb-storage"):
        addr = pci_address(keys, val) if driver == "virtio-blk-pci" else None
        no_more(keys, driver)
        bus, prefix = ("virtio", "vd") if driver == "virtio-blk-pci" else ("usb", "sd")
        # the builder's alias carries the target's index; else the next free one
        m = re.fullmatch(re.escape(bus) + r"-disk([0-9]+)", alias or "")
        n = int(m.group(1)) if m and int(m.group(1)) < 18278 else sum(d.bus == bus for d in st.disks)
        _attach(st, drive, bus, disk_name(prefix, n), addr, val)


def _device(st: _State, opt: str, val: str) -> None:
    driver, keys = device_keywords(val)
    if "vlan" in keys:
        return  # a NIC on a vlan, taken in the first pass
    if "netdev" in keys:
        ident = keys.pop("netdev")
        nic = _nic_device(driver, keys, val)
        iface = _take(st.netdevs, ident, "-netdev")
        assert isinstance(iface, Interface)
        st.nets.append(nic.join(iface, f"{_fingerprint(st)}/net{len(st.nets)}"))
        return
    if driver in ("isa-serial", "isa-parallel"):
        ident = keys.pop("chardev", "")
        no_more(keys, driver)
        dev = _take(st.chardevs, ident, "-chardev")
        assert isinstance(dev, CharDev)
        (st.serials if driver == "isa-serial" else st.parallels).append(dev)
    elif driver == "virtserialport":
        ident = keys.pop("chardev", "")
        bus = keys.pop("bus", None)
        address = None
        if bus is not None:
            m = re.fullmatch(r"virtio-serial([0-9]+)\.([0-9]+)", bus)
            if m is None:
                raise ArgError(f"expected bus=virtio-serialN.B in '{val}'")
            address = VirtioSerialAddress(type="virtio-serial", controller=int(m.group(1)),
                                          bus=int(m.group(2)), port=_uint(keys, "nr", val))
        name = keys.pop("name", None)
        keys.pop("id", None)
        no_more(keys, driver)
        dev = _take(st.chardevs, ident, "-chardev")
        assert isinstance(dev, CharDev)
        dev.target = ChrTarget(type="virtio", name=name)
        dev.address = address
        st.channels.append(dev)
    elif driver in ("virtio-serial-pci", "lsi"):
        ctype = "virtio-serial" if driver != "lsi" else "scsi"
        index = _index(keys.pop("id", None), ctype, val)
        ports = _uint(keys, "max_ports", val) if "max_ports" in keys else None
        vectors = _uint(keys, "vectors", val) if "vectors" in keys else None
        address = pci_address(keys, val)
        no_more(keys, driver)
        if any(c.type == ctype and c.index == index for c in st.controllers):
            raise ArgError(f"a second {ctype} controller {index}")
        st.controllers.append(Controller(type=ctype, index=index, ports=ports, vectors=vectors,
                                         address=address))
    elif driver in ("ide-drive", "scsi-disk", "virtio-blk-pci", "usb-storage"):
        _disk_device(st, driver, keys, val)
    elif driver in ("usb-mouse", "usb-tablet"):
        keys.pop("id", None)
        no_more(keys, driver)
        st.inputs.append(Input(type=driver[4:], bus="usb"))
    elif driver in _SOUND_DEVICES:
        keys.pop("id", None)
        address = pci_address(keys, val)
        no_more(keys, driver)
        st.sounds.append(Sound(model=_SOUND_DEVICES[driver], address=address))
    elif driver in WATCHDOG_MODELS:
        keys.pop("id", None)
        address = pci_address(keys, val)
        no_more(keys, driver)
        if st.watchdog is not None:
            raise ArgError("a second watchdog")
        st.watchdog = Watchdog(model=driver, action="reset", address=address)
    elif driver == "usb-host":
        keys.pop("id", None)
        bus, dev_ = keys.pop("hostbus", ""), keys.pop("hostaddr", "")
        no_more(keys, driver)
        st.hostdevs.append(parse_usb_host(f"host:{bus}.{dev_}"))
    elif driver == "pci-assign":
        keys.pop("id", None)
        host = keys.pop("host", "")
        address = pci_address(keys, val)
        no_more(keys, driver)
        h = parse_pci_host(f"host={host}")
        h.address = address
        st.hostdevs.append(h)
    elif driver == "virtio-balloon-pci":
        keys.pop("id", None)
        address = pci_address(keys, val)
        no_more(keys, driver)
        if st.memballoon is not None:
            raise ArgError("a second memory balloon")
        # slot 3 is where the builder puts the balloon anyway
        st.memballoon = MemBalloon(model="virtio",
                                   address=None if address is None or address.slot == 3 else address)
    else:
        raise ArgError(f"unsupported device '{driver}'")


def _global(st: _State, opt: str, val: str) -> None:
    m = re.fullmatch(r"isa-fdc\.drive([AB])=(.*)", val)
    if m is None:
        raise ArgError(f"unsupported global property '{val}'")
    unit = "AB".index(m.group(1))
    _attach(st, m.group(2), "fdc", disk_name("fd", unit),
            DriveAddress(type="drive", controller=0, bus=0, unit=unit), val)


def _balloon(st: _State, opt: str, val: str) -> None:
    if val != "virtio":
        raise ArgError(f"unsupported balloon '{val}'")
    if st.memballoon is not None:
        raise ArgError("a second memory balloon")
    st.memballoon = MemBalloon(model="virtio")


def _rtc(st: _State, opt: str, val: str) -> None:
    """qemuBuildClockArgStr read back: base=, then the rtc timer's clock= and driftfix=."""
    keys = parse_keywords(val)
    if not keys or keys[0][0] != "base":
        raise ArgError(f"-rtc without base= first: '{val}'")
    base = keys[0][1]
    if base not in ("utc", "localtime"):
        raise ArgError(f"-rtc base '{base}': a date depends on when the command line was built, "
                       "so the clock offset cannot be read back")
    st.clock = base
    track = tick = None
    for key, v in keys[1:]:
        if key == "clock" and v in ("vm", "host") and track is None:
            track = "guest" if v == "vm" else "wall"
        elif key == "driftfix" and v == "slew" and tick is None:
            tick = "catchup"
        else:
            raise ArgError(f"unsupported -rtc option '{key}={v}'")
    if track or tick:
        st.timers.append(Timer(name="rtc", track=track, tickpolicy=tick))


def _keymap(st: _State, opt: str, val: str) -> None:
    if not st.graphics or st.graphics[-1].keymap is not None:
        raise ArgError("-k without a -vnc before it")
    st.graphics[-1].keymap = check("name", val, "keymap")


def _no_hpet(st: _State, opt: str, val: str) -> None:
    st.timers.append(Timer(name="hpet", present=False))


def _nodefaults(st: _State, opt: str, val: str) -> None:
    st.nodefaults = True


def _name(st: _State, opt: str, val: str) -> None:
    parts = split_options(val)
    if len(parts) != 1:
        raise ArgError(f"unsupported -name option '{parts[1]}' (a comma in a name is written ',,')")
    st.name = parts[0]


def _smp(st: _State, opt: str, val: str) -> None:
    head, _, rest = val.partition(",")
    n = c_int(head)
    if n is None or n < 1:
        raise ArgError(f"cannot parse CPU count '{val}'")
    st.vcpus = n
    if not rest:
        return
    keys = dict(parse_keywords(rest))
    topo = {k: c_int(keys.pop(k, "") or "") for k in ("sockets", "cores", "threads")}
    if keys or any(v is None or v < 1 for v in topo.values()):
        raise ArgError(f"expected N,sockets=S,cores=C,threads=T in '{val}'")
    if topo != {"sockets": n, "cores": 1, "threads": 1}:  # the builder's default topology
        st.topology = Topology(**topo)


_OPTIONS: dict[str, tuple[bool, Handler]] = {
    "-vnc": (True, _vnc),
    "-m": (True, _mem),
    "-smp": (True, _smp),
    "-uuid": (True, _uuid_opt),
    "-no-acpi": (False, _set("acpi", False)),
    "-no-reboot": (False, _set("on_reboot", "destroy")),
    "-no-kvm": (False, _set("virt_type", "qemu")),
    "-enable-kvm": (False, _set("virt_type", "kvm")),
    "-nographic": (False, _set("nographic", True)),
    "-full-screen": (False, _set("fullscreen", True)),
    "-localtime": (False, _set("clock", "localtime")),
    "-kernel": (True, _store("kernel", "absolute file path")),
    "-initrd": (True, _store("initrd", "absolute file path")),
    "-append": (True, _store("cmdline")),
    "-boot": (True, _boot),
    "-name": (True, _name),
    "-M": (True, _store("machine", "machine name")),
    "-serial": (True, _chr),
    "-parallel": (True, _chr),
    "-usbdevice": (True, _usbdevice),
    "-net": (True, _net),
    "-drive": (True, _drive),
    "-pcidevice": (True, _pcidevice),
    "-soundhw": (True, _soundhw),
    "-watchdog": (True, _watchdog),
    "-watchdog-action": (True, _watchdog_action),
    "-bootloader": (True, _store("bootloader", "absolute file path")),
    "-vmwarevga": (False, _set("video", "vmvga")),
    "-std-vga": (False, _set("video", "vga")),
    "-vga": (True, _vga),
    # set by libvirt on every start; nothing of the domain definition
    "-domid": (True, _ignore),
    "-usb": (False, _ignore),
    "-pidfile": (True, _ignore),
    "-incoming": (True, _ignore),
    "-monitor": (True, _ignore),
    "-S": (False, _ignore),
    "-nodefaults": (False, _nodefaults),
    "-nodefconfig": (False, _ignore),
    "-no-kqemu": (False, _ignore),
    "-xen-attach": (False, _ignore),
    "-xen-domid": (True, _ignore),
    # extensions beyond libvirt 0.8.3's parser, so that its own output reads back
    "-mem-path": (True, _set("hugepages", True)),  # the path comes from qemu.conf
    "-mem-prealloc": (False, _ignore),
    "-device": (True, _device),
    "-chardev": (True, _chardev),
    "-netdev": (True, _netdev),
    "-mon": (True, _mon),
    "-global": (True, _global),
    "-balloon": (True, _balloon),
    "-rtc": (True, _rtc),
    "-sdl": (False, _set("sdl", True)),
    "-k": (True, _keymap),
    "-no-hpet": (False, _no_hpet),
}


# --------------------------------------------------------------------------- assembly

def _fingerprint(st: _State) -> str:
    """A stable seed for what libvirt draws at random (UUID, MAC addresses)."""
    parts = [f"{k}={v}" for k, v in st.cmd.env] + [st.cmd.emulator.text] + [t.text for t in st.cmd.args]
    return "\0".join(parts)


def _assemble(st: _State, caps: GuestCaps) -> Domain:
    """The part of qemuParseCommandLine after the loop: implicit graphics, video, balloon."""
    devs = Devices(emulator=st.cmd.emulator.text)
    devs.disks = st.disks
    devs.interfaces = st.nets
    for kind, items in (("serial", st.serials), ("parallel", st.parallels)):
        for n, chr_ in enumerate(items):
            chr_.normalise()
            chr_.apply_target(kind, n)
    devs.serials = st.serials
    devs.parallels = st.parallels
    for chan in st.channels:
        chan.normalise()
        chan.apply_target("channel", 0)
    devs.channels = st.channels
    devs.controllers = st.controllers
    if st.serials:
        # libvirt echoes the first serial port as the (legacy) console
        devs.consoles = [st.serials[0].as_console()]
    graphics = st.graphics
    if st.sdl and (st.nographic or graphics):
        raise _located(ConfigError("-sdl together with -nographic or -vnc: one display only"), st.path,
                       st.cmd.emulator)
    if not st.nographic and not graphics:
        graphics = [Graphics(type="sdl", display=st.cmd.getenv("DISPLAY"),
                             xauth=st.cmd.getenv("XAUTHORITY"),
                             fullscreen=True if st.fullscreen else None)]
    devs.graphics = graphics
    devs.inputs = list(st.inputs)
    if graphics:
        devs.inputs.append(Input(type="mouse", bus="ps2" if st.os_type == "hvm" else "xen"))
        vtype = "xen" if st.virt_type == "xen" else st.video
        devs.videos = [Video(model=VideoModel(type=vtype, vram=default_video_ram(st.virt_type, vtype) or None,
                                              heads=1))]
    devs.sounds = st.sounds
    devs.hostdevs = st.hostdevs
    devs.watchdog = st.watchdog
    # with -nodefaults (the -device syntax) the builder writes every balloon it has
    devs.memballoon = st.memballoon or MemBalloon(model="none" if st.nodefaults else "virtio")
    add_implicit_controllers(devs)
    machine = st.machine or caps.default_machine(st.os_type, st.arch, st.virt_type)
    features = Features(acpi=st.acpi, pae=st.pae) if (st.acpi or st.pae) else None
    os_ = Os(type=OsType(arch=st.arch, machine=machine, name=st.os_type), kernel=st.kernel,
             initrd=st.initrd, cmdline=st.cmdline,
             boot=[] if st.bootloader else [Boot(dev=d) for d in st.boot])
    return Domain(type=st.virt_type, name=st.name or "unnamed",
                  uuid=st.uuid or str(_uuid.uuid5(_UUID_NS, _fingerprint(st))),
                  memory=st.memory, current_memory=st.memory,
                  memory_backing=MemoryBacking(hugepages=True) if st.hugepages else None,
                  vcpu=Vcpu(count=st.vcpus), cpu=Cpu(topology=st.topology) if st.topology else None,
                  bootloader=st.bootloader, os=os_, features=features, clock=Clock(offset=st.clock, timers=st.timers),
                  on_poweroff="destroy", on_reboot=st.on_reboot, on_crash="destroy", devices=devs)
