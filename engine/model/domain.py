"""The domain and its top-level parts (os, clock, cpu, features, lifecycle, ...).

Field order is libvirt 0.8.3's virDomainDefFormat order.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from . import cvalues
from .balloon import MemBalloon
from .base import (
    Attr,
    Child,
    Children,
    CInt,
    Conv,
    Element,
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
from .disk import Disk
from .filesystem import Filesystem
from .graphics import Graphics
from .hostdev import Hostdev
from .input import Input
from .net import Interface
from .sound import Sound
from .video import Video
from .watchdog import Watchdog

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

    def printable(self) -> None:
        """virDomainCpuSetFormat cannot print an empty mask (and fails without a message)."""
        if self.cpuset is not None and not self.cpuset:
            raise self.error("the cpuset leaves no CPU")


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
    type = Child("type", OsType, read=False)
    init = TextChild("init", read=False)
    loader = TextChild("loader", read=False)
    kernel = TextChild("kernel", read=False)
    initrd = TextChild("initrd", read=False)
    cmdline = TextChild("cmdline", read=False)
    root = TextChild("root", read=False)
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
                try:  # string(./catchup/@name): the first such attribute of any <catchup>
                    setattr(catchup, name, cvalues.xpath_ulong(str(elem.xpath(f"string(./catchup/@{name})"))))
                except ValueError:
                    raise self.error(f"invalid catchup {name}") from None
            self.catchup = catchup


class Clock(Element):
    offset = Attr("offset", default="utc", read=False)
    adjustment = Attr("adjustment", read=False)
    timezone = Attr("timezone", read=False)
    timers = Children("timer", Timer, read=False)


class SecLabel(Element):
    type = Attr("type", read=False)
    model = Attr("model", raw=True, read=False)
    label = TextChild("label", read=False)


class Devices(Element):
    always_open = True
    emulator = TextChild("emulator", read=False)
    disks = Children("disk", Disk, read=False)
    controllers = Children("controller", Controller, read=False)
    filesystems = Children("filesystem", Filesystem, read=False)
    interfaces = Children("interface", Interface, read=False)
    serials = Children("serial", CharDev, read=False)
    parallels = Children("parallel", CharDev, read=False)
    consoles = Children("console", CharDev, read=False)
    channels = Children("channel", CharDev, read=False)
    inputs = Children("input", Input, read=False)
    graphics = Children("graphics", Graphics, read=False)
    sounds = Children("sound", Sound, read=False)
    videos = Children("video", Video, read=False)
    hostdevs = Children("hostdev", Hostdev, read=False)
    watchdog = Child("watchdog", Watchdog, read=False)
    memballoon = Child("memballoon", MemBalloon, read=False)


_XPATHS: dict[str, etree.XPath] = {}


def _xpath(elem: etree._Element, expr: str):  # noqa: ANN202 - an XPath result
    """``expr`` evaluated at ``elem``; expressions are compiled once per process."""
    compiled = _XPATHS.get(expr)
    if compiled is None:
        compiled = _XPATHS[expr] = etree.XPath(expr)
    return compiled(elem)


_FIRST_CHILD = re.compile(r"string\(\./([A-Za-z_]+)\[1\]\)")


#: the kinds of device in the order virDomainDefParseXML reads them
_DEVICE_ORDER = tuple(Devices.__dict__[n] for n in (
    "disks", "controllers", "filesystems", "interfaces", "parallels", "serials", "consoles",
    "channels", "inputs", "graphics", "sounds", "videos", "hostdevs", "watchdog", "memballoon"))


#: virXPathStringLimit's bounds for a security label (VIR_SECURITY_*_BUFLEN, NUL included)
SECURITY_MODEL_BUFLEN, SECURITY_LABEL_BUFLEN = 256 + 1, 4096 + 1


def _limited(value: str | None, buflen: int) -> str | None:
    """virXPathStringLimit: a value of buflen - 1 bytes or more is none at all (so a long
    model is a *missing* one, as libvirt reports it)."""
    return None if value is not None and len(value.encode("utf-8")) >= buflen - 1 else value


def _xstring(elem: etree._Element, expr: str) -> str | None:
    """virXPathString: the XPath string, or None when it is empty."""
    m = _FIRST_CHILD.fullmatch(expr)
    if m is not None:  # string(./tag[1]): the text of the first such child, without XPath
        child = first_child(elem, m.group(1))
        return (string_value(child) or None) if child is not None else None
    return str(_xpath(elem, expr)) or None


class Domain(Element):
    """Read with the XPath expressions of virDomainDefParseXML (through the same
    libxml2): a repeated top-level element is looked at the way libvirt looks."""

    type = Attr("type", read=False)
    id = Attr("id", read=False)
    name = TextChild("name", read=False)
    uuid = TextChild("uuid", read=False)
    description = TextChild("description", read=False)
    memory = TextChild("memory", read=False)
    current_memory = TextChild("currentMemory", read=False)
    memory_backing = Child("memoryBacking", MemoryBacking, read=False)
    vcpu = Child("vcpu", Vcpu, read=False)
    bootloader = TextChild("bootloader", read=False)
    bootloader_args = TextChild("bootloader_args", read=False, show=lambda d: d.bootloader is not None
                                and d.bootloader_args is not None)
    os = Child("os", Os, read=False)
    features = Child("features", Features, read=False)
    cpu = Child("cpu", Cpu, read=False)
    clock = Child("clock", Clock, read=False)
    on_poweroff = TextChild("on_poweroff", default="destroy", read=False)
    on_reboot = TextChild("on_reboot", default="restart", read=False)
    on_crash = TextChild("on_crash", default="destroy", read=False)
    devices = Child("devices", Devices, read=False)
    seclabel = Child("seclabel", SecLabel, read=False,
                     show=lambda d: d.seclabel is not None and d.seclabel.model is not None)

    def parsed(self, elem: etree._Element) -> None:
        doc = self._src[0]

        def xs(expr: str) -> str | None:
            return _xstring(elem, expr)

        def located(e: Element, node: etree._Element | None) -> Element:
            e._src = (doc, node if node is not None else elem)
            return e

        self.type = xs("string(./@type)")
        if self.type is None:
            raise self.error("missing domain type attribute")
        if self.type not in VIRT_TYPES:
            raise self.error(f"invalid domain type {self.type}")
        self.name = xs("string(./name[1])")
        if self.name is None:
            raise self.error("missing domain name information")
        uuid = xs("string(./uuid[1])")
        if uuid is not None:
            try:
                self.uuid = Uuid().parse(uuid)
            except ValueError as e:
                raise self.error(str(e)) from None
        self.description = xs("string(./description[1])")
        self.memory = _ulong(xs("string(./memory[1])"))
        if self.memory is None:
            raise self.error("missing memory element")
        self.current_memory = _ulong(xs("string(./currentMemory[1])"))
        if self.current_memory is None:
            self.current_memory = self.memory
        if _xpath(elem, "./memoryBacking/hugepages"):
            self.memory_backing = MemoryBacking(hugepages=True)
        self._vcpu(elem, xs)
        feats = _xpath(elem, "./features/*")
        if feats:
            self.features = Features()
            for c in feats:
                if c.tag not in FEATURES:
                    raise self.error(f"unexpected feature {c.tag}")
                setattr(self.features, c.tag, True)
        for f, tag in (("on_reboot", "on_reboot"), ("on_poweroff", "on_poweroff"), ("on_crash", "on_crash")):
            v = xs(f"string(./{tag}[1])")
            if v is not None:
                if v not in LIFECYCLE:
                    raise self.error(f"unknown lifecycle action {v}")
                setattr(self, f, v)
        self.clock = self._clock(elem, xs)
        self.bootloader = xs("string(./bootloader)")
        self.bootloader_args = xs("string(./bootloader_args)")
        nodes = _xpath(elem, "./os[1]")
        os_ = self.os = located(Os(), nodes[0] if nodes else None)
        # the arch and machine are read whether or not the type names an OS (a bootloader's
        # guest without one is 'xen', with the arch and machine its <type> gives)
        name = xs("string(./os/type[1])")
        arch, machine = xs("string(./os/type[1]/@arch)"), xs("string(./os/type[1]/@machine)")
        if name is not None or arch is not None or machine is not None:
            nodes = _xpath(elem, "./os/type[1]")
            os_.type = located(OsType(name=name, arch=arch, machine=machine), nodes[0] if nodes else None)
        for f in ("init", "kernel", "initrd", "cmdline", "root", "loader"):
            setattr(os_, f, xs(f"string(./os/{f}[1])"))
        os_.boot = [Boot.parse(b, doc) for b in _xpath(elem, "./os/boot")]
        # the devices, the security label and the CPU come after the guest's OS is
        # settled against the host (defaults.apply_defaults reads them, in this order)

    def _vcpu(self, elem: etree._Element, xs) -> None:  # noqa: ANN001
        nodes = _xpath(elem, "./vcpu[1]")
        self.vcpu = Vcpu(count=1)
        self.vcpu._src = (self._src[0], nodes[0] if nodes else elem)
        count = _ulong(xs("string(./vcpu[1])"))
        if count is not None:
            self.vcpu.count = count
        cpuset = xs("string(./vcpu[1]/@cpuset)")
        if cpuset is not None:
            try:
                cpus = CpuSet().parse(cpuset)
            except ValueError as e:
                raise self.vcpu.error(str(e)) from None
            self.vcpu.cpuset = None if len(cpus) == CPUMASK_LEN else cpus

    def _clock(self, elem: etree._Element, xs) -> Clock:  # noqa: ANN001
        nodes = _xpath(elem, "./clock[1]")
        clock = Clock()
        clock._src = (self._src[0], nodes[0] if nodes else elem)
        offset = xs("string(./clock/@offset)")
        if offset is not None:
            if offset not in CLOCK_OFFSETS:
                raise clock.error(f"unknown clock offset '{offset}'")
            clock.offset = offset
        if clock.offset == "variable":
            # virXPathLongLong on number(): an XPath number that is a whole long long
            num = float(_xpath(elem, "number(./clock/@adjustment)"))
            fits = num == num and -(2.0**63) <= num < 2.0**63  # NaN and out-of-range casts fail
            clock.adjustment = int(num) if fits and int(num) == num else 0
        elif clock.offset == "timezone":
            clock.timezone = xs("string(./clock/@timezone)")
            if clock.timezone is None:
                raise clock.error("missing 'timezone' attribute for clock with offset='timezone'")
        clock.timers = [Timer.parse(t, self._src[0]) for t in _xpath(elem, "./clock/timer")]
        return clock

    # ---- the parts read after the OS (virDomainDefParseXML's order)
    @property
    def source_element(self) -> etree._Element | None:
        return self._src[1] if self._src is not None else None

    def read_devices(self, on_item: Callable[[str, Element], None]) -> Devices:
        """./devices/TAG for every kind of device, in libvirt's order; ``on_item(kind,
        device)`` runs after each device is read (the rules that need the guest)."""
        elem = self._src[1]
        doc = self._src[0]
        blocks = [c for c in elem if c.tag == "devices"]
        devs = self.devices = Devices()
        devs._src = (doc, blocks[0] if blocks else elem)
        devs.emulator = _xstring(elem, "string(./devices/emulator[1])")
        on_item("emulator", devs)
        # ./devices/TAG: the TAG children of every <devices>, in document order
        found: dict[str, list[etree._Element]] = {}
        for block in blocks:
            for c in block:
                found.setdefault(c.tag, []).append(c)  # type: ignore[arg-type]
        for f in _DEVICE_ORDER:
            kind = f.name
            if kind in ("watchdog", "memballoon"):
                items = found.get(f.xml, [])
                if len(items) > 1:
                    what = "watchdog device" if kind == "watchdog" else "memory balloon device"
                    raise devs.error(f"only a single {what} is supported")
                nodes = items
            elif kind == "consoles":
                nodes = found.get("console", [])[:1]
            else:
                nodes = found.get(f.xml, [])
            items_read = []
            for node in nodes:
                item = f.cls.parse(node, doc)  # type: ignore[attr-defined]
                items_read.append(item)
                on_item(kind, item)
            if f.kind == "child":
                setattr(devs, kind, items_read[0] if items_read else None)
            else:
                setattr(devs, kind, items_read)
            on_item(kind, devs)  # the kind is complete
        return devs

    def read_seclabel(self) -> SecLabel | None:
        return self._seclabel(self._src[1], lambda e: _xstring(self._src[1], e))

    def read_cpu(self) -> Cpu | None:
        node = first_child(self._src[1], "cpu")
        return Cpu.parse(node, self._src[0]) if node is not None else None

    def _seclabel(self, elem: etree._Element, xs) -> SecLabel | None:  # noqa: ANN001
        """virSecurityLabelDefParseXML for an inactive definition: a dynamic label is
        generated at start-up, so only a static one keeps (and needs) its details."""
        nodes = _xpath(elem, "./seclabel")
        if not nodes:
            return None
        label = SecLabel()
        label._src = (self._src[0], nodes[0])
        label.type = xs("string(./seclabel/@type)")
        if label.type is None:
            raise label.error("XML description for missing security type is not well formed or invalid")
        if label.type not in ("dynamic", "static"):
            raise label.error("XML description for invalid security type is not well formed or invalid")
        if label.type == "dynamic":
            return None
        label.model = _limited(xs("string(./seclabel/@model)"), SECURITY_MODEL_BUFLEN)
        if label.model is None:
            raise label.error("XML description for missing security model is not well formed or invalid")
        label.label = _limited(xs("string(./seclabel/label[1])"), SECURITY_LABEL_BUFLEN)
        if label.label is None:
            raise label.error("XML description for security label is missing is not well formed or invalid")
        return label

    def to_xml(self) -> str:
        """virDomainDefFormat. Its failures (an element its formatter cannot print) are
        libvirt's too, and only here: the command-line builder never formats, so it
        builds such a domain (and leaves the element out)."""
        for el in self.walk():
            check = getattr(el, "printable", None)
            if check is not None:
                check()
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


def _ulong(text: str | None) -> int | None:
    """virXPathULong's success, or None for both of its failures."""
    try:
        return cvalues.xpath_ulong(text)
    except ValueError:
        return None

