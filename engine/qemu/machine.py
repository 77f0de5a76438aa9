"""The machine itself: emulator, machine type, accelerator, memory, CPUs, name, UUID,
Xen domain id, lifecycle, boot order and kernel, the USB bus, incoming migration;
both directions. Everything of the command line that is not a device."""
from __future__ import annotations

from typing import Any

from ..defaults import BOOT_LAST
from ..model.domain import Topology, Uuid
from .argvstate import ArgvState
from .argvvalues import ArgError, c_int, check, parse_keywords
from .context import Build
from .escape import opt, split_options
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

def _mem(st: ArgvState, opt: str, val: str) -> None:
    n = c_int(val)
    if n is None or n < 0:
        raise ArgError(f"cannot parse memory level '{val}'")
    st.memory = n * 1024


def _uuid(st: ArgvState, opt: str, val: str) -> None:
    try:
        st.uuid = Uuid().parse(val)
    except ValueError:
        raise ArgError(f"cannot parse UUID '{val}'") from None


def _set(attr: str, value: object) -> Any:
    def handler(st: ArgvState, opt: str, val: str) -> None:
        setattr(st, attr, value)
    return handler


def _store(attr: str, kind: str | None = None) -> Any:
    def handler(st: ArgvState, opt: str, val: str) -> None:
        setattr(st, attr, check(kind, val, f"{opt} value") if kind else val)
    return handler


def _ignore(st: ArgvState, opt: str, val: str) -> None:
    """Options libvirt sets itself on every start (-S, -usb, -domid, ...)."""


def _boot_opt(st: ArgvState, opt: str, val: str) -> None:
    devs: list[str] = []
    for ch in val:
        if len(devs) >= BOOT_LAST or ch == ",":
            break
        if ch in _BOOT_DEV:
            devs.append(_BOOT_DEV[ch])
        else:
            raise ArgError(f"unknown boot device '{ch}' in '{val}'")
    st.boot = devs


def _name(st: ArgvState, opt: str, val: str) -> None:
    parts = split_options(val)
    if len(parts) != 1:
        raise ArgError(f"unsupported -name option '{parts[1]}' (a comma in a name is written ',,')")
    st.name = parts[0]


def _smp_opt(st: ArgvState, opt: str, val: str) -> None:
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


def _flag(handler: Any) -> Option:
    return Option(handler, takes_value=False)


FAMILY = Family(
    name="machine",
    options={
        "-m": Option(_mem),
        "-smp": Option(_smp_opt),
        "-uuid": Option(_uuid),
        "-name": Option(_name),
        "-M": Option(_store("machine", "machine name")),
        "-no-acpi": _flag(_set("acpi", False)),
        "-no-reboot": _flag(_set("on_reboot", "destroy")),
        "-no-kvm": _flag(_set("virt_type", "qemu")),
        "-enable-kvm": _flag(_set("virt_type", "kvm")),
        "-kernel": Option(_store("kernel", "absolute file path")),
        "-initrd": Option(_store("initrd", "absolute file path")),
        "-append": Option(_store("cmdline")),
        "-boot": Option(_boot_opt),
        "-bootloader": Option(_store("bootloader", "absolute file path")),
        "-nodefaults": _flag(_set("nodefaults", True)),
        # set by libvirt on every start; nothing of the domain definition
        "-domid": Option(_ignore),
        "-usb": _flag(_ignore),
        "-pidfile": Option(_ignore),
        "-incoming": Option(_ignore),
        "-S": _flag(_ignore),
        "-nodefconfig": _flag(_ignore),
        "-no-kqemu": _flag(_ignore),
        "-xen-attach": _flag(_ignore),
        "-xen-domid": Option(_ignore),
        # beyond libvirt 0.8.3's parser, so that its own output reads back
        "-mem-path": Option(_set("hugepages", True)),  # the path comes from qemu.conf
        "-mem-prealloc": _flag(_ignore),
    },
)
