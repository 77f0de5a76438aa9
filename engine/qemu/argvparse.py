"""A QEMU command line -> the Domain it describes (libvirt 0.8.3 qemuParseCommandLine).

Why: ``virsh domxml-from-native qemu-argv`` is how guests started by hand were
brought under libvirt. We follow libvirt's conversion (its defaults, its
first pass over ``-net nic``, its implicit devices) but refuse, with the
option named and located, everything it would have dropped with a warning:
an argument we cannot represent is an error, never a silent loss.

This module is the loop and the assembly; each option is read by the family
that declares it (registry.OPTIONS, engine/qemu/<family>.py).
"""
from __future__ import annotations

import uuid as _uuid

from ..defaults import GuestCaps, add_implicit_controllers
from ..errors import ConfigError, Refused
from ..model.devices_misc import Graphics, Input, MemBalloon, Video, VideoModel, default_video_ram
from ..model.domain import Boot, Clock, Cpu, Devices, Domain, Features, MemoryBacking, Os, OsType, Vcpu
from . import registry
from .argvsplit import SplitCommandLine, Token, split_command_line
from .argvstate import ArgvState
from .argvvalues import ArgError, check

_UUID_NS = _uuid.UUID("0b4c8e1e-3a0e-5d1c-9a43-6a1b2f7c5e10")
# arch and machine values the domain schema accepts per os type / arch
_ARCHES = {"hvm": ("i686", "x86_64", "mips", "mipsel", "sparc", "ppc"), "xen": ("i686", "x86_64", "ia64")}
_MACHINES = {"mips": ("mips",), "mipsel": ("mips",), "sparc": ("sun4m",), "ppc": ("g3beige", "mac99", "prep")}


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
    st = ArgvState(path=path, cmd=cmd)
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
        opt = _opt(args[i].text)
        if opt in registry.PRESCAN and i + 1 < len(args):
            st.tok = args[i + 1]
            for handler in registry.PRESCAN[opt]:
                try:
                    handler(st, opt, args[i + 1].text)
                except ArgError as e:
                    raise _located(ConfigError(f"{opt}: {e.message}"), path, args[i + 1]) from None
            i += 1
        i += 1
    i = 0
    while i < len(args):
        tok = args[i]
        opt = _opt(tok.text)
        if opt not in registry.OPTIONS:
            raise _located(ConfigError(f"unsupported QEMU argument '{tok.text}'"), path, tok)
        val_tok = tok
        val = ""
        if registry.takes_value(opt):
            if i + 1 >= len(args):
                raise _located(ConfigError(f"missing value for {opt} argument"), path, tok)
            i += 1
            val_tok = args[i]
            val = val_tok.text
        if opt == "-M":
            st.machine_tok = val_tok
        st.tok = val_tok
        try:
            reader = registry.reader(opt, val)
            if reader is None:
                raise ArgError(f"no reader for the value '{val}'")
            reader.handler(st, opt, val)
        except ArgError as e:
            raise _located(ConfigError(f"{opt}: {e.message}"), path, val_tok) from None
        i += 1
    for finish in registry.FINISH:
        finish(st)
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


# --------------------------------------------------------------------------- assembly

def _assemble(st: ArgvState, caps: GuestCaps) -> Domain:
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
                  uuid=st.uuid or str(_uuid.uuid5(_UUID_NS, st.fingerprint())),
                  memory=st.memory, current_memory=st.memory,
                  memory_backing=MemoryBacking(hugepages=True) if st.hugepages else None,
                  vcpu=Vcpu(count=st.vcpus), cpu=Cpu(topology=st.topology) if st.topology else None,
                  bootloader=st.bootloader, os=os_, features=features, clock=Clock(offset=st.clock, timers=st.timers),
                  on_poweroff="destroy", on_reboot=st.on_reboot, on_crash="destroy", devices=devs)
