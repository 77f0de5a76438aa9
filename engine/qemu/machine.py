"""The machine itself: emulator, machine type, accelerator, memory, CPUs, name, UUID,
Xen domain id, lifecycle, boot order and kernel, the USB bus, incoming migration;
both directions. Everything of the command line that is not a device."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..defaults import BOOT_LAST
from ..model.domain import Boot, Cpu, CpuFeature, Topology
from .argvstate import ArgvState
from .argvvalues import ArgError, as_unsigned, as_unsigned_long, keywords, parse_uuid, str_to_int, wrap_int
from .context import Build
from .escape import opt
from .family import Family, Option

_BOOT_LETTER = {"cdrom": "d", "fd": "a", "hd": "c", "network": "n"}
_BOOT_DEV = {v: k for k, v in _BOOT_LETTER.items()}


def normalise_arch(arch: str) -> str:
    """uname_normalize: i386..i686 all read as i686."""
    return "i686" if len(arch) == 4 and arch[0] == "i" and arch[2:] == "86" else arch


def add_environment(b: Build) -> None:
    """LC_ALL=C, then what the host profile copies from libvirtd's environment."""
    for name, value in b.profile.env:
        b.env(name, value)


def add_machine(b: Build) -> None:
    """From the emulator to the Xen domain id (qemudBuildCommandLine's first part)."""
    dom = b.dom
    emulator = dom.devices.emulator
    if not emulator:
        raise b.refuse("no emulator for this guest (libvirt 0.8.3's command-line builder "
                       "dereferences the missing path and crashes)", dom.devices)
    b.arg(emulator, "-S")
    # qemudCanonicalizeMachine: libvirt's tests run it on the definition before the build
    machine = b.caps.canonical_machine(emulator, dom.machine) if dom.machine else None
    if machine:
        b.arg("-M", machine)
    cpu = _cpu(b, emulator)
    if cpu:
        b.arg("-cpu", cpu)
    if b.has("kqemu") and dom.type == "qemu":
        b.arg("-no-kqemu")
    if b.has("kvm") and dom.type == "qemu":
        b.arg("-no-kvm")
    if b.has("enable-kvm") and dom.type == "kvm":
        b.arg("-enable-kvm")
    _accelerator_warnings(b)
    b.arg("-m", str(dom.memory // 1024))
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


def _accelerator_warnings(b: Build) -> None:
    """A kvm or kqemu domain on a QEMU that cannot be asked for that accelerator."""
    t = b.dom.type
    if t == "kvm" and not (b.has("enable-kvm") or b.has("kvm")):
        b.warn("a kvm domain on a QEMU with neither -enable-kvm nor KVM built in: "
               "libvirt 0.8.3 starts it without KVM", b.dom)
    elif t == "kqemu" and not b.has("kqemu"):
        b.warn("a kqemu domain on a QEMU without kqemu: libvirt 0.8.3 starts it without kqemu", b.dom)


def add_no_defaults(b: Build) -> None:
    """With -device, QEMU adds no device of its own (nor from /etc/qemu)."""
    if b.device:
        if b.has("nodefconfig"):
            b.arg("-nodefconfig")
        b.arg("-nodefaults")


def add_lifecycle_and_boot(b: Build) -> None:
    dom = b.dom
    if dom.on_reboot != "restart":
        if b.has("no-reboot"):
            b.arg("-no-reboot")
        else:
            b.warn(f"on_reboot '{dom.on_reboot}' needs -no-reboot, which this QEMU lacks: "
                   "the guest reboots", dom)
    if not dom.has_feature("acpi"):
        b.arg("-no-acpi")
    _boot(b)


def add_usb_bus(b: Build) -> None:
    b.arg("-usb")


def migration_source(b: Build) -> str | None:
    """The -incoming value, or a refusal when this QEMU cannot take that kind of migration."""
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
    # any other source (unix:, fd:) goes to QEMU unchecked: libvirt 0.8.3 knows no more kinds
    return src


def add_incoming(b: Build) -> None:
    if b.incoming:
        b.arg("-incoming", b.incoming)


def _cpu(b: Build, emulator: str) -> str | None:
    """qemuBuildCpuArgStr: a CPU model needs the models ``qemu -cpu ?`` lists (the
    emulator is probed on the host; a capability set carries no such list, and libvirt's
    own test host has none either); an i686 guest on a 64-bit emulator gets qemu32."""
    dom = b.dom
    cpu = dom.cpu
    if cpu is not None and cpu.model:
        raise b.refuse("CPU specification not supported by hypervisor (a guest CPU model needs "
                       "the models `qemu -cpu ?` lists, which a capability set does not carry)", cpu)
    if dom.arch == "i686" and ((b.host_arch == "x86_64" and "kvm" in emulator) or "x86_64" in emulator):
        return "qemu32"
    return None


def _hugepages(b: Build) -> None:
    conf = b.conf
    if not conf.hugetlbfs_mount:
        raise b.refuse("hugetlbfs filesystem is not mounted (set hugetlbfs_mount in qemu.conf)", b.dom.memory_backing)
    path = conf.hugepage_path
    if not path:
        raise b.refuse("hugepages are disabled by administrator config", b.dom.memory_backing)
    if not b.has("mem-path"):
        raise b.refuse(f"hugepage backing not supported by '{b.dom.devices.emulator}'", b.dom.memory_backing)
    b.arg("-mem-prealloc", "-mem-path", path)


def _smp(b: Build) -> str:
    """qemuBuildSmpArgStr: the topology only where QEMU takes one (else libvirt drops it)."""
    dom = b.dom
    count = dom.vcpu.count
    topo = dom.cpu.topology if dom.cpu is not None else None
    if not b.has("smp-topology"):
        if topo is not None and topo.sockets:
            b.warn("the CPU topology needs -smp sockets=,cores=,threads=, which this QEMU lacks: "
                   "libvirt drops it", topo)
        return str(count)
    if topo is not None and topo.sockets:
        return f"{count},sockets={topo.sockets},cores={topo.cores},threads={topo.threads}"
    return f"{count},sockets={count},cores=1,threads=1"


def _boot(b: Build) -> None:
    dom = b.dom
    os_ = dom.os
    if dom.bootloader:
        b.arg("-bootloader", dom.bootloader)
        return
    devs = os_.boot_devs
    if devs:
        b.arg("-boot", "".join(_BOOT_LETTER.get(d, "c") for d in devs))
    if os_.kernel:
        b.arg("-kernel", os_.kernel)
    if os_.initrd:
        b.arg("-initrd", os_.initrd)
    if os_.cmdline:
        b.arg("-append", os_.cmdline)


# --------------------------------------------------------------------------- argv2xml

def _mem_opt(st: ArgvState, opt: str, val: str) -> None:
    """-m MiB; libvirt multiplies in a C int, so large values wrap."""
    n, _ = str_to_int(val)
    if n is None:
        raise ArgError(f"cannot parse memory level '{val}'")
    st.dom.memory = st.dom.current_memory = as_unsigned_long(wrap_int(n * 1024))


def _smp_opt(st: ArgvState, opt: str, val: str) -> None:
    """qemuParseCommandLineSmp: N[,sockets=S,cores=C,threads=T]; a topology needs all three."""
    topo = {"sockets": 0, "cores": 0, "threads": 0}
    for i, (key, v) in enumerate(keywords(val, allow_empty=True)):
        if v is None:
            n, _ = str_to_int(key)
            if i > 0 or n is None:
                raise ArgError(f"cannot parse CPU topology '{val}'")
            st.dom.vcpu.count = as_unsigned_long(n)
        else:
            n, _ = str_to_int(v)
            if n is None or key not in topo:
                raise ArgError(f"cannot parse CPU topology '{val}'")
            topo[key] = as_unsigned(n)
    if all(topo.values()):
        _guest_cpu(st).topology = Topology(**topo)
    elif any(topo.values()):
        raise ArgError(f"cannot parse CPU topology '{val}'")


def _guest_cpu(st: ArgvState) -> Cpu:
    """qemuInitGuestCPU: the domain's guest CPU, created (match='exact') when absent."""
    if st.dom.cpu is None:
        st.dom.cpu = Cpu(match="exact")
    return st.dom.cpu


def _cpu_opt(st: ArgvState, opt: str, val: str) -> None:
    """qemuParseCommandLineCPU: MODEL[,+feature|,-feature...]. The first item names the
    model only while the CPU has none; other items without a sign are ignored."""
    cpu = _guest_cpu(st)
    for item in val.split(","):
        if item == "":
            raise ArgError(f"unknown CPU syntax '{val}'")
        if cpu.model is None:
            cpu.model = item
        elif item[0] in "+-":
            name = item[1:]
            if not name:
                raise ArgError(f"unknown CPU syntax '{val}'")
            if any(f.name == name for f in cpu.features):
                raise ArgError(f"CPU feature `{name}' specified more than once")
            cpu.features.append(CpuFeature(policy="require" if item[0] == "+" else "disable", name=name))


def _uuid_opt(st: ArgvState, opt: str, val: str) -> None:
    u = parse_uuid(val)
    if u is None:
        raise ArgError(f"cannot parse UUID '{val}'")
    st.dom.uuid = u


def _boot_opt(st: ArgvState, opt: str, val: str) -> None:
    """-boot: the letters a, c, d, n in order, at most BOOT_LAST; every other character is
    skipped (a comma too: 'order=dc,menu=on' reads as cdrom, cdrom, network)."""
    devs: list[str] = []
    for ch in val:
        if len(devs) >= BOOT_LAST:
            break
        if ch in _BOOT_DEV:
            devs.append(_BOOT_DEV[ch])
    st.dom.os.boot = [Boot(dev=d) for d in devs]


def _no_acpi(st: ArgvState, opt: str, val: str) -> None:
    st.dom.features.acpi = False


def _domain_attr(attr: str, value: object) -> Any:
    def handler(st: ArgvState, opt: str, val: str) -> None:
        setattr(st.dom, attr, value)
    return handler


def _store(obj: Callable[[ArgvState], Any], attr: str) -> Any:
    """The value as given, into ``attr`` of ``obj(st)`` (libvirt's strdup)."""
    def handler(st: ArgvState, opt: str, val: str) -> None:
        setattr(obj(st), attr, val)
    return handler


def _ignore(st: ArgvState, opt: str, val: str) -> None:
    """Options libvirt sets itself on every start (-S, -usb, -domid, -pidfile, -incoming)."""


def _os(st: ArgvState) -> Any:
    return st.dom.os


def _dom(st: ArgvState) -> Any:
    return st.dom


FAMILY = Family(
    name="machine",
    options={
        "-m": Option(_mem_opt),
        "-smp": Option(_smp_opt),
        "-uuid": Option(_uuid_opt),
        "-cpu": Option(_cpu_opt),
        "-name": Option(_store(_dom, "name")),
        "-M": Option(_store(lambda st: st.dom.os.type, "machine")),
        "-no-acpi": Option(_no_acpi, takes_value=False),
        "-no-reboot": Option(_domain_attr("on_reboot", "destroy"), takes_value=False),
        "-no-kvm": Option(_domain_attr("type", "qemu"), takes_value=False),
        "-kernel": Option(_store(_os, "kernel")),
        "-initrd": Option(_store(_os, "initrd")),
        "-append": Option(_store(_os, "cmdline")),
        "-boot": Option(_boot_opt),
        "-bootloader": Option(_store(_dom, "bootloader")),
        # set by libvirt on every start; nothing of the domain definition
        "-domid": Option(_ignore),
        "-usb": Option(_ignore, takes_value=False),
        "-pidfile": Option(_ignore),
        "-incoming": Option(_ignore),
        "-S": Option(_ignore, takes_value=False),
    },
)
