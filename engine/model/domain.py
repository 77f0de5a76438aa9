"""The domain and its top-level parts (os, clock, cpu, features, lifecycle, ...).

Field order is libvirt 0.8.3's virDomainDefFormat order.
"""
from __future__ import annotations

from lxml import etree

from . import cvalues
from .base import (
    Attr,
    Child,
    Children,
    CInt,
    Conv,
    Element,
    Enum,
    Flag,
    Text,
    TextChild,
    Uuid,
    YesNo,
    first_child,
    string_value,
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
FEATURES = ("acpi", "apic", "pae")
CPUMASK_LEN = 1024
ULONG = CInt("ul")


class CpuSet(Conv):
    """virDomainCpuSetParse/Format: '1-4,8-20,^10' <-> a frozenset of CPU numbers."""

    name = "cpuset"

    def parse(self, text: str) -> frozenset[int]:
        cpus: set[int] = set()
        s, i, n = text, 0, len(text)

        def skip(i: int) -> int:
            while i < n and s[i] in " \t\n\r":
                i += 1
            return i

        def number(i: int) -> tuple[int, int]:
            j = i
            while j < n and s[j].isdigit() and s[j].isascii():
                j += 1
            if j == i or int(s[i:j]) > cvalues.INT_MAX:
                return -1, i
            return int(s[i:j]), j

        i = skip(i)
        if i >= n:
            raise ValueError("topology cpuset syntax error")
        while i < n:
            neg = False
            if s[i] == "^":
                neg, i = True, i + 1
            if i >= n or not s[i].isdigit():
                raise ValueError("topology cpuset syntax error")
            start, i = number(i)
            if start < 0 or start >= CPUMASK_LEN:
                raise ValueError("topology cpuset syntax error")
            i = skip(i)
            if i >= n or s[i] == ",":
                if neg:
                    cpus.discard(start)
                else:
                    cpus.add(start)
            elif s[i] == "-":
                if neg:
                    raise ValueError("topology cpuset syntax error")
                i = skip(i + 1)
                last, i = number(i)
                if last < start:
                    raise ValueError("topology cpuset syntax error")
                if last >= CPUMASK_LEN:
                    raise ValueError("topology cpuset syntax error")
                cpus |= set(range(start, last + 1))
                i = skip(i)
            if i < n and s[i] == ",":
                i = skip(i + 1)
            elif i >= n:
                break
            else:
                raise ValueError("topology cpuset syntax error")
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
    always_open = True
    hugepages = Flag("hugepages")


class Vcpu(Element):
    cpuset = Attr("cpuset", CpuSet(), read=False)
    count = Text("vcpu", CInt("ul"), 1)


class OsType(Element):
    arch = Attr("arch", raw=True)
    machine = Attr("machine", raw=True)
    name = Text("type")

    #: libvirt prints a Xen guest's 'xen' as the legacy 'linux'
    legacy_linux = False

    def write(self, out: list[str], tag: str, indent: int) -> None:
        if self.legacy_linux:
            shown = self.copy()
            shown.name, shown.legacy_linux = "linux", False
            shown.write(out, tag, indent)
        else:
            super().write(out, tag, indent)


class Boot(Element):
    dev = Attr("dev")


class Os(Element):
    type = Child("type", OsType)
    init = TextChild("init")
    loader = TextChild("loader")
    kernel = TextChild("kernel")
    initrd = TextChild("initrd")
    cmdline = TextChild("cmdline")
    root = TextChild("root")
    boot = Children("boot", Boot, read=False)

    @property
    def boot_devs(self) -> list[str]:
        return [b.dev for b in self.boot]


class Features(Element):
    always_open = True
    acpi = Flag("acpi")
    apic = Flag("apic")
    pae = Flag("pae")

    def any(self) -> bool:
        return bool(self.acpi or self.apic or self.pae)


class Topology(Element):
    sockets = Attr("sockets", read=False)
    cores = Attr("cores", read=False)
    threads = Attr("threads", read=False)

    def parsed(self, elem: etree._Element) -> None:
        for name in ("sockets", "cores", "threads"):
            try:
                v = cvalues.xpath_ulong(elem.get(name))
            except ValueError:
                v = None
            if v is None:
                raise self.error(f"Missing '{name}' attribute in CPU topology")
            setattr(self, name, v & cvalues.UINT_MAX)
        if not (self.sockets and self.cores and self.threads):
            raise self.error("Invalid CPU topology")


class CpuFeature(Element):
    policy = Attr("policy")
    name = Attr("name", raw=True)


class Cpu(Element):
    always_open = True
    match = Attr("match", show=lambda c: c.model is not None)
    model = TextChild("model", raw=True)
    vendor = TextChild("vendor", raw=True)
    topology = Child("topology", Topology)
    features = Children("feature", CpuFeature)

    def parsed(self, elem: etree._Element) -> None:
        """virCPUDefParseXML for a guest CPU."""
        if self.match is None:
            if first_child(elem, "model") is not None:
                raise self.error("Missing match attribute for CPU specification")
        elif self.match not in ("minimum", "exact", "strict"):
            raise self.error("Invalid match attribute for CPU specification")
        if self.vendor is not None and self.model is None:
            raise self.error("CPU vendor specified without CPU model")
        if self.features and self.model is None:
            raise self.error("Non-empty feature list specified without CPU model")
        seen: set[str] = set()
        for f in self.features:
            if f.policy not in ("force", "require", "optional", "disable", "forbid"):
                raise f.error("Invalid CPU feature policy")
            if not f.name:
                raise f.error("Invalid CPU feature name")
            if f.name in seen:
                raise f.error(f"CPU feature `{f.name}' specified more than once")
            seen.add(f.name)


class Catchup(Element):
    threshold = Attr("threshold", read=False, show=lambda c: bool(c.threshold))
    slew = Attr("slew", read=False, show=lambda c: bool(c.slew))
    limit = Attr("limit", read=False, show=lambda c: bool(c.limit))

    def any(self) -> bool:
        return bool(self.threshold or self.slew or self.limit)

    def write(self, out: list[str], tag: str, indent: int) -> None:
        # virDomainTimerDefFormat writes "<catchup " and then " name='value'" items
        head = [" " * indent, "<", tag, " "]
        for f in self.fields:
            v = getattr(self, f.name)
            if self.shows(f, v):
                head.append(f" {f.xml}='{v}'")
        out.append("".join(head) + "/>\n")


def _timer_named(*names: str):  # noqa: ANN202 - a show predicate
    return lambda t, names=names: t.name in names


class Timer(Element):
    name = Attr("name")
    present = Attr("present", YesNo(error="unknown timer present value '%s'"), show=lambda t: t.present is not None)
    tickpolicy = Attr("tickpolicy")
    track = Attr("track", show=lambda t: t.name in ("platform", "rtc") and t.track is not None)
    # libvirt's parser reads a <frequency> child, not the attribute its schema declares
    frequency = Attr("frequency", read=False, show=lambda t: t.name == "tsc" and bool(t.frequency))
    mode = Attr("mode", show=lambda t: t.name == "tsc" and t.mode is not None)
    catchup = Child("catchup", Catchup, read=False, show=lambda t: t.catchup is not None and t.catchup.any())

    def parsed(self, elem: etree._Element) -> None:
        """virDomainTimerDefParseXML."""
        if self.name is None:
            raise self.error("missing timer name")
        if self.name not in ("platform", "pit", "rtc", "hpet", "tsc"):
            raise self.error(f"unknown timer name '{self.name}'")
        if self.tickpolicy not in (None, "delay", "catchup", "merge", "discard"):
            raise self.error(f"unknown timer tickpolicy '{self.tickpolicy}'")
        if self.track not in (None, "boot", "guest", "wall"):
            raise self.error(f"unknown timer track '{self.track}'")
        freq = first_child(elem, "frequency")
        try:
            self.frequency = cvalues.xpath_ulong(string_value(freq) if freq is not None else None)
        except ValueError:
            raise self.error("invalid timer frequency") from None
        if self.mode not in (None, "auto", "native", "emulate", "paravirt", "smpsafe"):
            raise self.error(f"unknown timer mode '{self.mode}'")
        c = first_child(elem, "catchup")
        if c is not None:
            catchup = Catchup()
            catchup._src = (self._src[0], c)
            for name in ("threshold", "slew", "limit"):
                try:
                    setattr(catchup, name, cvalues.xpath_ulong(c.get(name)))
                except ValueError:
                    raise self.error(f"invalid catchup {name}") from None
            self.catchup = catchup


class Clock(Element):
    offset = Attr("offset", Enum(*CLOCK_OFFSETS, error="unknown clock offset '%s'"), "utc")
    adjustment = Attr("adjustment", read=False)
    timezone = Attr("timezone", read=False)
    timers = Children("timer", Timer)

    def parsed(self, elem: etree._Element) -> None:
        if self.offset == "variable":
            # virXPathLongLong on number(): an XPath number that is a whole long long
            num = cvalues.xpath_number(elem.get("adjustment"))
            fits = num == num and -(2.0**63) <= num < 2.0**63  # NaN and out-of-range casts fail
            self.adjustment = int(num) if fits and int(num) == num else 0
        elif self.offset == "timezone":
            self.timezone = elem.get("timezone") or None
            if self.timezone is None:
                raise self.error("missing 'timezone' attribute for clock with offset='timezone'")


class SecLabel(Element):
    type = Attr("type")
    model = Attr("model", raw=True)
    label = TextChild("label", raw=True)

    def parsed(self, elem: etree._Element) -> None:
        """virSecurityLabelDefParseXML for an inactive definition: a dynamic label is
        generated at start-up, so only a static one keeps (and needs) its details."""
        if not self.type:
            raise self.error("XML description for missing security type is not well formed or invalid")
        if self.type not in ("dynamic", "static"):
            raise self.error("XML description for invalid security type is not well formed or invalid")
        if self.type == "static":
            if not self.model:
                raise self.error("XML description for missing security model is not well formed or invalid")
            if not self.label:
                raise self.error("XML description for security label is missing is not well formed or invalid")
        else:
            self.model = self.label = None


class Devices(Element):
    always_open = True
    emulator = TextChild("emulator")
    disks = Children("disk", Disk)
    controllers = Children("controller", Controller)
    filesystems = Children("filesystem", Filesystem)
    interfaces = Children("interface", Interface)
    serials = Children("serial", CharDev)
    parallels = Children("parallel", CharDev)
    consoles = Children("console", CharDev, read=False)
    channels = Children("channel", CharDev)
    inputs = Children("input", Input)
    graphics = Children("graphics", Graphics)
    sounds = Children("sound", Sound)
    videos = Children("video", Video)
    hostdevs = Children("hostdev", Hostdev)
    watchdog = Child("watchdog", Watchdog)
    memballoon = Child("memballoon", MemBalloon)

    def parsed(self, elem: etree._Element) -> None:
        for tag, what in (("watchdog", "watchdog device"), ("memballoon", "memory balloon device")):
            if sum(1 for c in elem if c.tag == tag) > 1:
                raise self.error(f"only a single {what} is supported")
        console = first_child(elem, "console")
        self.consoles = [CharDev.parse(console, self._src[0])] if console is not None else []


class Domain(Element):
    type = Attr("type")
    id = Attr("id", read=False)
    name = TextChild("name")
    uuid = TextChild("uuid", Uuid())
    description = TextChild("description")
    memory = TextChild("memory", read=False)
    current_memory = TextChild("currentMemory", read=False)
    memory_backing = Child("memoryBacking", MemoryBacking, read=False)
    vcpu = Child("vcpu", Vcpu, read=False)
    bootloader = TextChild("bootloader")
    bootloader_args = TextChild("bootloader_args", show=lambda d: d.bootloader is not None
                                and d.bootloader_args is not None)
    os = Child("os", Os)
    features = Child("features", Features, read=False)
    cpu = Child("cpu", Cpu)
    clock = Child("clock", Clock)
    on_poweroff = TextChild("on_poweroff", default="destroy")
    on_reboot = TextChild("on_reboot", default="restart")
    on_crash = TextChild("on_crash", default="destroy")
    devices = Child("devices", Devices)
    seclabel = Child("seclabel", SecLabel, show=lambda d: d.seclabel is not None and d.seclabel.model is not None)

    def parsed(self, elem: etree._Element) -> None:
        """The parts of virDomainDefParseXML that read numbers and lists: libvirt's
        loose number reader (virXPathULong) and its tolerance of bad values."""
        if self.type is None or self.type == "":
            raise self.error("missing domain type attribute")
        if self.type not in VIRT_TYPES:
            raise self.error(f"invalid domain type {self.type}")
        if self.name is None:
            raise self.error("missing domain name element")
        try:
            self.memory = cvalues.xpath_ulong(_text_of(elem, "memory"))
        except ValueError:
            self.memory = None
        if self.memory is None:
            raise self.error("missing memory element")
        try:
            self.current_memory = cvalues.xpath_ulong(_text_of(elem, "currentMemory"))
        except ValueError:
            self.current_memory = None
        if self.current_memory is None:
            self.current_memory = self.memory
        backing = first_child(elem, "memoryBacking")
        if backing is not None and first_child(backing, "hugepages") is not None:
            self.memory_backing = MemoryBacking(hugepages=True)
        vcpu = first_child(elem, "vcpu")
        self.vcpu = Vcpu(count=1)
        if vcpu is not None:
            self.vcpu._src = (self._src[0], vcpu)
            try:
                count = cvalues.xpath_ulong(string_value(vcpu))
            except ValueError:
                count = None
            self.vcpu.count = 1 if count is None else count
            cpuset = vcpu.get("cpuset")
            if cpuset:
                try:
                    cpus = CpuSet().parse(cpuset)
                except ValueError as e:
                    raise self.vcpu.error(str(e)) from None
                if not cpus:
                    # libvirt cannot print an empty CPU mask and fails without a message
                    raise self.vcpu.error(f"cpuset '{cpuset}' leaves no CPU")
                self.vcpu.cpuset = None if len(cpus) == CPUMASK_LEN else cpus
        feats = [c for f in elem if f.tag == "features" for c in f if isinstance(c.tag, str)]
        if feats:
            self.features = Features()
            for c in feats:
                if c.tag not in FEATURES:
                    raise self.error(f"unexpected feature {c.tag}")
                setattr(self.features, c.tag, True)
        for f in ("on_poweroff", "on_reboot", "on_crash"):
            v = getattr(self, f)
            if v not in LIFECYCLE:
                raise self.error(f"unknown lifecycle action {v}")
        if self.os is not None:
            self.os.boot = [Boot.parse(b, self._src[0]) for o in elem if o.tag == "os"
                            for b in o if b.tag == "boot"]

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


def _text_of(elem: etree._Element, tag: str) -> str | None:
    c = first_child(elem, tag)
    return string_value(c) if c is not None else None

