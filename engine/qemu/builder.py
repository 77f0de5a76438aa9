"""XML -> QEMU command line: libvirt 0.8.3's qemudBuildCommandLine, section by section.

The builder branches on capability flags only, never on QEMU versions. Aliases
and PCI slots are assigned on the way (libvirt stored them in the running
definition); here they live in the build's own tables and the domain is only read.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..model.domain import Domain
from .aliases import assign_aliases
from .chardev import add_channels, add_monitor, add_serials_parallels
from .clock import add_clock
from .context import Build, CommandLine
from .devices import (
    add_balloon,
    add_controllers,
    add_hostdevs,
    add_inputs,
    add_sounds,
    add_video,
    add_watchdog,
)
from .disk import add_disks
from .escape import opt
from .graphics import add_graphics
from .net import add_nets
from .pci import assign_pci_slots

_BOOT_LETTER = {"cdrom": "d", "fd": "a", "hd": "c", "network": "n"}
_BASE_ENV_COPY = ("LD_PRELOAD", "LD_LIBRARY_PATH", "PATH", "HOME", "USER", "LOGNAME", "TMPDIR")


def _normalise_arch(arch: str) -> str:
    """uname_normalize: i386..i686 all read as i686."""
    return "i686" if len(arch) == 4 and arch[0] == "i" and arch[2:] == "86" else arch


def build_command_line(dom: Domain, flags: frozenset[str], *, profile: Any, conf: Any = None,
                       domid: int | None = None, migrate_from: str | None = None,
                       now: int | None = None) -> CommandLine:
    """The environment and argv libvirt 0.8.3 would run for ``dom`` (a defaulted domain)."""
    if conf is None:
        conf = _default_conf()
    caps = profile.capabilities
    b = Build(dom=dom, flags=flags if isinstance(flags, frozenset) else frozenset(flags), host_env=dict(profile.host_env), conf=conf,
              caps=caps, host_arch=_normalise_arch(getattr(caps, "host_arch", None) or "x86_64"),
              monitor_path=profile.monitor.path,
              domid=-1 if domid is None else domid, migrate_from=migrate_from, now=now)
    b.aliases = assign_aliases(dom, b.flags)
    if b.device:
        b.slots = assign_pci_slots(dom)
    migrate = _migration_source(b)

    b.env("LC_ALL", "C")
    for name in _BASE_ENV_COPY:
        b.env_copy(name)
    emulator = dom.devices.emulator
    b.arg(emulator, "-S")
    machine = caps.canonical_machine(emulator, dom.machine) if dom.machine else None
    if machine:
        b.arg("-M", machine)
    _cpu(b)
    if b.has("kqemu") and dom.type == "qemu" and _normalise_arch(dom.arch or "") == b.host_arch:
        b.arg("-no-kqemu")
    if b.has("kvm") and dom.type == "qemu":
        b.arg("-no-kvm")
    if b.has("enable-kvm") and dom.type == "kvm":
        b.arg("-enable-kvm")
    b.arg("-m", str(dom.current_memory // 1024))
    if dom.hugepages:
        _hugepages(b)
    b.arg("-smp", _smp(b))
    if b.has("name"):
        b.arg("-name", opt(dom.name, "domain name"))
    if b.has("uuid"):
        b.arg("-uuid", dom.uuid)
    if dom.type == "xen" or dom.os_type in ("xen", "linux"):
        if b.has("domid"):
            b.arg("-domid", str(b.domid))
        elif b.has("xen-domid"):
            b.arg("-xen-attach", "-xen-domid", str(b.domid))
        else:
            raise b.refuse(f"qemu emulator '{emulator}' does not support xen", dom.os)
    # -nographic must come before any serial/monitor/parallel option
    if not dom.devices.graphics:
        b.arg("-nographic")
    if b.device:
        if b.has("nodefconfig"):
            b.arg("-nodefconfig")
        b.arg("-nodefaults")
    add_monitor(b)
    add_clock(b)
    if b.has("no-reboot") and dom.on_reboot != "restart":
        b.arg("-no-reboot")
    if not dom.has_feature("acpi"):
        b.arg("-no-acpi")
    _boot(b)
    add_controllers(b)
    add_disks(b)
    add_nets(b)
    add_serials_parallels(b)
    add_channels(b)
    b.arg("-usb")
    add_inputs(b)
    add_graphics(b)
    add_video(b)
    add_sounds(b)
    add_watchdog(b)
    add_hostdevs(b)
    if migrate:
        b.arg("-incoming", migrate)
    add_balloon(b)
    if dom.devices.filesystems:
        raise b.refuse("filesystem passthrough is not supported by this QEMU driver", dom.devices.filesystems[0])
    b.check()
    return b.out


@lru_cache(maxsize=1)
def _default_conf() -> Any:
    """qemu.conf with libvirt's defaults, made once."""
    from ..caps.qemuconf import QemuConf
    return QemuConf()


def _migration_source(b: Build) -> str | None:
    src = b.migrate_from
    if not src:
        return None
    if src.startswith("tcp"):
        if not b.has("migrate-qemu-tcp"):
            raise b.refuse("TCP migration is not supported with this QEMU binary")
    elif src == "stdio":
        if b.has("migrate-qemu-exec"):
            return "exec:cat"
        if not b.has("migrate-kvm-stdio"):
            raise b.refuse("STDIO migration is not supported with this QEMU binary")
    elif src.startswith("exec"):
        if not b.has("migrate-qemu-exec"):
            raise b.refuse("EXEC migration is not supported with this QEMU binary")
    elif src.startswith("unix"):
        if not b.has("migrate-qemu-unix"):
            raise b.refuse("UNIX migration is not supported with this QEMU binary")
    return src


def _cpu(b: Build) -> None:
    cpu = b.dom.cpu
    if cpu is not None and (cpu.model or cpu.features):
        raise b.refuse("a guest CPU model needs the host CPU map and `qemu -cpu ?`, "
                      "which a capability set does not carry", cpu)


def _hugepages(b: Build) -> None:
    conf = b.conf
    if not getattr(conf, "hugetlbfs_mount", None):
        raise b.refuse("hugetlbfs filesystem is not mounted (set hugetlbfs_mount in qemu.conf)", b.dom.memory_backing)
    path = conf.hugepage_path
    if not path:
        raise b.refuse("hugepages are disabled by administrator config", b.dom.memory_backing)
    if not b.has("mem-path"):
        raise b.refuse(f"hugepage backing not supported by '{b.dom.devices.emulator}'", b.dom.memory_backing)
    b.arg("-mem-prealloc", "-mem-path", path)


def _smp(b: Build) -> str:
    """qemuBuildSmpArgStr."""
    dom = b.dom
    s = str(dom.vcpu.count)
    topo = dom.cpu.topology if dom.cpu is not None else None
    if b.has("smp-topology"):
        if topo is not None:
            s += f",sockets={topo.sockets},cores={topo.cores},threads={topo.threads}"
        else:
            s += f",sockets={dom.vcpu.count},cores=1,threads=1"
    elif topo is not None:
        raise b.refuse("CPU topology is not supported by this QEMU binary", topo)
    return s


def _boot(b: Build) -> None:
    dom = b.dom
    os_ = dom.os
    if dom.bootloader:
        b.arg("-bootloader", dom.bootloader)
        return
    devs = os_.boot_devs
    if devs:
        b.arg("-boot", "".join(_BOOT_LETTER[d] for d in devs))
    if (os_.initrd or os_.cmdline) and not os_.kernel:
        raise b.refuse("an initrd or kernel command line needs a <kernel> to boot", os_)
    if os_.kernel:
        b.arg("-kernel", os_.kernel)
    if os_.initrd:
        b.arg("-initrd", os_.initrd)
    if os_.cmdline:
        b.arg("-append", os_.cmdline)
