"""The domain and its top-level parts (os, clock, cpu, features, lifecycle, ...).

Field order is libvirt 0.8.3's virDomainDefFormat order.
"""
from __future__ import annotations

from .base import (
    LONG,
    UINT,
    Attr,
    Child,
    Children,
    Conv,
    Element,
    Enum,
    Flag,
    Text,
    TextChild,
    Uuid,
    YesNo,
    _Int,
)
from .chardev import CharDev
from .controller import Controller
from .devices_misc import Filesystem, Graphics, Hostdev, Input, MemBalloon, Sound, Video, Watchdog
from .disk import Disk
from .net import Interface

VIRT_TYPES = ("qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "vserver", "ldom", "test",
              "vmware", "hyperv", "vbox", "one", "phyp")
LIFECYCLE = ("destroy", "restart", "rename-restart", "preserve")
BOOT_DEVS = ("fd", "cdrom", "hd", "network")
CLOCK_OFFSETS = ("utc", "localtime", "variable", "timezone")
CPUMASK_LEN = 1024
ULONG = _Int(10, 0, 2**64 - 1)


class CpuSet(Conv):
    """virDomainCpuSetParse/Format: '1-4,8-20,^10' <-> a frozenset of CPU numbers."""

    name = "cpuset"

    def parse(self, text: str) -> frozenset[int]:
        cpus: set[int] = set()
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                raise ValueError(f"malformed cpuset '{text}'")
            neg = item.startswith("^")
            if neg:
                item = item[1:]
            lo, sep, hi = item.partition("-")
            if not lo.strip().isdigit() or (sep and not hi.strip().isdigit()):
                raise ValueError(f"malformed cpuset '{text}'")
            a = int(lo)
            b = int(hi) if sep else a
            if a > b or b >= CPUMASK_LEN or (neg and sep):
                raise ValueError(f"malformed cpuset '{text}'")
            rng = set(range(a, b + 1))
            if neg:
                cpus -= rng
            else:
                cpus |= rng
        if not cpus:
            raise ValueError(f"cpuset '{text}' selects no CPU")
        return frozenset(cpus)

    def format(self, value: frozenset[int]) -> str:
        out: list[str] = []
        nums = sorted(value)
        i = 0
        while i < len(nums):
            j = i
            while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
                j += 1
            out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
            i = j + 1
        return ",".join(out)


class MemoryBacking(Element):
    hugepages = Flag("hugepages")


class Vcpu(Element):
    cpuset = Attr("cpuset", CpuSet())
    count = Text("vcpu", ULONG, 1)


class OsType(Element):
    arch = Attr("arch")
    machine = Attr("machine")
    name = Text("type")


class Boot(Element):
    dev = Attr("dev", Enum(*BOOT_DEVS))


class Os(Element):
    type = Child("type", OsType)
    init = TextChild("init")
    loader = TextChild("loader")
    kernel = TextChild("kernel")
    initrd = TextChild("initrd")
    cmdline = TextChild("cmdline")
    root = TextChild("root")
    boot = Children("boot", Boot)

    @property
    def boot_devs(self) -> list[str]:
        return [b.dev for b in self.boot]



class Features(Element):
    acpi = Flag("acpi")
    apic = Flag("apic")
    pae = Flag("pae")


class Topology(Element):
    sockets = Attr("sockets", UINT)
    cores = Attr("cores", UINT)
    threads = Attr("threads", UINT)


class CpuFeature(Element):
    policy = Attr("policy", Enum("force", "require", "optional", "disable", "forbid"))
    name = Attr("name")


class Cpu(Element):
    match = Attr("match", Enum("minimum", "exact", "strict"))
    model = TextChild("model")
    topology = Child("topology", Topology)
    features = Children("feature", CpuFeature)


class Catchup(Element):
    threshold = Attr("threshold", UINT)
    slew = Attr("slew", UINT)
    limit = Attr("limit", UINT)


class Timer(Element):
    name = Attr("name", Enum("platform", "pit", "rtc", "hpet", "tsc"))
    present = Attr("present", YesNo())
    tickpolicy = Attr("tickpolicy", Enum("delay", "catchup", "merge", "discard"))
    track = Attr("track", Enum("boot", "guest", "wall"))
    frequency = Attr("frequency", ULONG)
    mode = Attr("mode", Enum("auto", "native", "emulate", "paravirt"))
    catchup = Child("catchup", Catchup)


class Clock(Element):
    offset = Attr("offset", Enum(*CLOCK_OFFSETS), "utc")
    adjustment = Attr("adjustment", LONG)
    timezone = Attr("timezone")
    timers = Children("timer", Timer)


class SecLabel(Element):
    type = Attr("type", Enum("dynamic", "static"))
    model = Attr("model")
    label = TextChild("label")
    imagelabel = TextChild("imagelabel")

    def parsed(self) -> None:
        """virSecurityLabelDefParseXML for an inactive definition: a dynamic label is
        generated at start-up, so only a static one keeps (and needs) its label."""
        if self.type == "static":
            if not self.label:
                raise self.error("security label is missing")
        else:
            self.label = None
        self.imagelabel = None


class Devices(Element):
    emulator = TextChild("emulator")
    disks = Children("disk", Disk)
    controllers = Children("controller", Controller)
    filesystems = Children("filesystem", Filesystem)
    interfaces = Children("interface", Interface)
    serials = Children("serial", CharDev)
    parallels = Children("parallel", CharDev)
    consoles = Children("console", CharDev)
    channels = Children("channel", CharDev)
    inputs = Children("input", Input)
    graphics = Children("graphics", Graphics)
    sounds = Children("sound", Sound)
    videos = Children("video", Video)
    hostdevs = Children("hostdev", Hostdev)
    watchdog = Child("watchdog", Watchdog)
    memballoon = Child("memballoon", MemBalloon)


class Domain(Element):
    type = Attr("type", Enum(*VIRT_TYPES))
    id = Attr("id", _Int(10))
    name = TextChild("name")
    uuid = TextChild("uuid", Uuid())
    description = TextChild("description")
    memory = TextChild("memory", ULONG)
    current_memory = TextChild("currentMemory", ULONG)
    memory_backing = Child("memoryBacking", MemoryBacking)
    vcpu = Child("vcpu", Vcpu)
    bootloader = TextChild("bootloader")
    bootloader_args = TextChild("bootloader_args")
    os = Child("os", Os)
    features = Child("features", Features)
    cpu = Child("cpu", Cpu)
    clock = Child("clock", Clock)
    on_poweroff = TextChild("on_poweroff", Enum(*LIFECYCLE), "destroy")
    on_reboot = TextChild("on_reboot", Enum(*LIFECYCLE), "restart")
    on_crash = TextChild("on_crash", Enum(*LIFECYCLE), "destroy")
    devices = Child("devices", Devices)
    seclabel = Child("seclabel", SecLabel)

    def to_xml(self) -> str:
        return self.format("domain")

    # ---- convenience views
    @property
    def os_type(self) -> str:
        return self.os.type.name

    @property
    def arch(self) -> str | None:
        return self.os.type.arch

    @property
    def machine(self) -> str | None:
        return self.os.type.machine

    @property
    def hugepages(self) -> bool:
        return bool(self.memory_backing and self.memory_backing.hugepages)

    def has_feature(self, name: str) -> bool:
        return bool(self.features and getattr(self.features, name))
