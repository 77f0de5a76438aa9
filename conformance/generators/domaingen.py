"""Domain documents: the schema walker plus engine-aware refinements.

A document that is merely schema-valid usually fails libvirt's parser (a disk
named ``0a`` on the ide bus, a tcp serial port without a host, an x86_64 HVM
guest of type ``kqemu``...), and the properties would then test nothing but
refusals. The refinements keep every change inside the schema - ours and
libvirt's own 2010 schema (tests check both) - and make most documents
loadable by libvirt's parser: sane names, sizes and UUIDs, disk names valid for
their bus with matching drive addresses, unique PCI slots >= 4, character
devices with the source their type needs, channels tied to a virtio-serial
controller, os type/arch/emulator combinations of the ``libvirt-test`` host.

Choices are weighted by the *name* of the alternative (a define, an element,
or the value of the attribute that tells the alternatives apart), see
``WEIGHTS``. ``for_libvirt_schema=True`` (the ``generate`` command) keeps the
constructs where our schema deliberately differs from libvirt's (timers inside
``<clock>``, socket NICs; docs/deviations.md) rare, so that libvirt's schema
accepts nearly every document; the properties see them as often as the rest.

``hostile=True`` (the fuzz properties) widens the values: names with commas
and XML specials, integers at their type's bounds.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from ..grammar import regexgen
from ..grammar.rng import Attribute, Choice, Element, Grammar, Group, Name, Pattern, Ref, Value, shipped
from ..grammar.walker import Chooser, RandomChooser, Walker

if TYPE_CHECKING:
    from virtconform.engine.caps.guests import Capabilities

_SANE_TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."
_HOSTILE_TEXT = _SANE_TEXT + " ,=&<>'\":;/"

@dataclass(frozen=True)
class GuestChoice:
    """A guest the host's capabilities offer: virt type, os type, arch (None: left out,
    so libvirt picks its default arch), the emulator to name and the machine types."""

    virt_type: str
    os_type: str
    arch: str | None
    emulator: str
    machines: tuple[str, ...]


def guest_choices(caps: Capabilities) -> list[GuestChoice]:
    """Every (guest, domain type) of the capabilities, in their order, each also without
    an arch where it is the default arch libvirt picks for its os and virt type.

    The emulator is the domain's own, else the guest's; a guest that is not hvm runs on
    the guest's own emulator (libvirt reads a command line as a Xen guest only when its
    emulator is xenner)."""
    out: list[GuestChoice] = []
    for g in caps.guests:
        for vtype, d in g.domains.items():
            emulator = (d.emulator if g.os_type == "hvm" else None) or g.emulator or d.emulator
            if emulator is None:
                continue
            machines = tuple(m.name for m in d.machines or g.machines)
            if caps.default_arch(g.os_type, vtype) == g.arch:
                out.append(GuestChoice(vtype, g.os_type, None, emulator, machines))
            out.append(GuestChoice(vtype, g.os_type, g.arch, emulator, machines))
    return out


def _host_guests() -> list[GuestChoice]:
    from virtconform.engine.caps.profiles import get_profile
    return guest_choices(get_profile("libvirt-test").capabilities)


def even_weight(g: GuestChoice) -> int:
    """The properties see every guest the host offers as often."""
    return 1


def portable_weight(g: GuestChoice) -> int:
    """``generate`` makes mostly i686 guests, which libvirt's test driver (i686 guests
    only) also accepts."""
    return 20 if g.arch == "i686" else 1


#: {define: {alternative name: weight}}; unnamed alternatives weigh 1
WEIGHTS: dict[str, dict[str, float]] = {
    # the QEMU driver's hypervisors; the others are only refused by it
    "hypervisor": {"qemu": 8, "kvm": 6, "kqemu": 1, "xen": 0, "lxc": 0, "openvz": 0, "test": 0},
    # a container guest only meets the QEMU driver's refusal: seen, but rarely
    "guest": {"hvmGuest": 8, "paravirtGuest": 2, "containerGuest": 0.2},
    # filesystems are for containers: the QEMU driver refuses them
    "devices": {"disk": 5, "controller": 3, "filesystem": 0.3, "nic": 4, "input": 2,
                "graphics": 2, "video": 2, "sound": 2, "hostdev": 2, "serial": 3,
                "parallel": 2, "console": 2, "channel": 3},
    "nic": {"user": 4, "ethernet": 3, "bridge": 1, "network": 1, "direct": 1, "internal": 1,
            "server": 1, "client": 1, "mcast": 1},
    "chrType": {"null": 1, "vc": 1, "pty": 3, "dev": 2, "file": 3, "pipe": 2, "stdio": 1,
                "udp": 2, "tcp": 3, "unix": 3},
    # QEMU has no display of its own for rdp/desktop, and keeps few timers
    "graphics": {"vnc": 4, "sdl": 3, "rdp": 1, "desktop": 1},
    "timer": {"rtc": 4, "pit": 3, "platform": 1, "hpet": 1, "tsc": 1},
}

#: optional elements that mostly make QEMU refuse the domain: seen, but rarely
_P_ELEMENT = {"cpu": 0.1, "memoryBacking": 0.08, "seclabel": 0.3, "description": 0.3}

#: {deviation row of docs/deviations.md: share of ``generate``'s sites that keep the
#: construct libvirt's schema rejects}. Timers and socket NICs are rules of libvirt's
#: parser and builder that only such documents reach; together they stay well inside
#: the 2% of documents libvirt's schema may reject (tests/test_language.py)
_DEVIATION_RATE = {"clock-timer-inside": 0.025, "socket-nic": 0.05, "os-parts": 0.001}

#: {construct: share of the sites where the refinements leave something libvirt's parser
#: or builder takes apart from the common case}: the rules behind them are rules too
_ODD_RATE = {
    "address-kind": 0.05,     # a drive or virtio-serial address where a PCI one is usual
    "chardev-address": 0.15,  # an address on a serial, parallel or console device
    "video-address": 0.25,    # the video card's address: mostly slot 2, sometimes not
    "tty": 0.15,              # the tty of a running pty device, in an inactive definition
    "wiremode": 0.05,         # a character device source's wiremode
    "container": 0.7,         # an exe guest stays one (and its QEMU driver refuses it)
    "foreign-guest": 0.02,    # the walker's guest as drawn: another hypervisor, architecture, machine
    "legacy-linux": 0.1,      # a Xen guest's os type keeps its old name 'linux'
    "second-device": 0.08,    # a second console, video card or display
    "xen-balloon": 0.3,       # a Xen balloon in a guest that is not Xen's
    "hostdev-capabilities": 0.15,  # a host device in capabilities mode (no QEMU option)
    "uml-disk": 0.1,          # a disk on the uml bus
    "wrapped-disk-name": 0.04,  # a target name so long that its index wraps in a C int
}
#: the properties (documents without ``for_libvirt_schema``) see the unusual constructs
#: less often: most of their documents must load, or they test refusals only
_PROPERTY_ODD_SCALE = 0.3
#: the rates of the devices that seldom carry an address, so that each kind of address
#: reaches each of them in a run of a few thousand documents
_ODD_DEVICE_RATE = {
    "address-kind": {"disk": 0.1, "filesystem": 0.6, "parallel": 0.5, "console": 0.5, "video": 0.4, "hostdev": 0.2,
                     "sound": 0.2, "input": 0.2, "serial": 0.3, "memballoon": 0.2, "watchdog": 0.2},
    "chardev-address": {"console": 0.6, "parallel": 0.3},
}

# disk bus -> (target prefix, how many targets it has)
_DISK_BUS = {"ide": ("hd", 4), "scsi": ("sd", 14), "virtio": ("vd", 26), "fdc": ("fd", 2), "uml": ("ubd", 26),
             "xen": ("xvd", 26), "usb": ("sd", 26)}
_NET_MODELS = ["virtio", "e1000", "rtl8139", "ne2k_pci", "pcnet"]
_PATH_DIRS = ["/var/lib/libvirt/images", "/dev/HostVG", "/tmp", "/srv/vm", "/usr/share/boot"]
_HOSTS = ["127.0.0.1", "localhost", "0.0.0.0", "example.org", "192.168.122.1"]


def _hypervisors() -> list[str]:
    """The domain types the schema names (its ``hypervisor`` define)."""
    p = shipped().defines["hypervisor"]
    return sorted(v for v in (alternative_name(i) for i in getattr(p, "items", [])) if v)


def _pick(ch: Chooser, seq: list) -> object:
    return seq[ch.integer(0, len(seq) - 1)]


def _from_regex(ch: Chooser, pattern: str) -> str:
    return regexgen.generate(regexgen.parse(pattern), ch)


def alternative_name(p: Pattern) -> str | None:
    """How a choice's alternative is called: a define's name, an element's name, a
    value, or the value of the first attribute of a group (``type='file'``)."""
    if isinstance(p, Ref):
        return p.name
    if isinstance(p, Value):
        return p.value
    if isinstance(p, Element) and isinstance(p.name, Name):
        return p.name.local
    if isinstance(p, Group) and p.items:
        return alternative_name(p.items[0])
    if isinstance(p, Attribute) and isinstance(p.body, Value):
        return p.body.value
    if isinstance(p, Attribute) and isinstance(p.body, Choice):
        return alternative_name(p.body.items[0])
    return None


class DomainWalker(Walker):
    """The grammar walker with choices weighted by alternative name (``WEIGHTS``)."""

    def __init__(self, ch: Chooser, *, weights: dict[str, dict[str, float]], **kw: object) -> None:
        super().__init__(ch, **kw)  # type: ignore[arg-type]
        self.named_weights = weights

    def pick(self, items: list[Pattern]) -> int:
        table = self.named_weights.get(self._define[-1]) if self._define else None
        if table is None or len(items) < 2:
            return super().pick(items)
        w = [table.get(alternative_name(it) or "", 1.0) for it in items]
        if not any(w):
            return super().pick(items)
        if isinstance(self.ch, RandomChooser):
            return self.ch.r.choices(range(len(items)), weights=w)[0]
        # Hypothesis: index 0 stays the shrink target; zero-weight alternatives never drawn
        allowed = [i for i, x in enumerate(w) if x > 0]
        return allowed[self.ch.integer(0, len(allowed) - 1)]


def _hooks(hostile: bool) -> dict[str, Callable[[Walker], str]]:
    def name(w: Walker) -> str:
        if hostile and w.ch.boolean(0.5):  # XML specials and option punctuation the language allows
            return _from_regex(w.ch, "[A-Za-z][A-Za-z0-9_&:/+.\\-]{2,12}")
        return _from_regex(w.ch, "[A-Za-z][A-Za-z0-9_\\-]{1,14}")

    def uuid(w: Walker) -> str:
        h = _from_regex(w.ch, "[0-9a-f]{32}")
        if w.ch.boolean(0.8):
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return h

    def memory(w: Walker) -> str:
        return str(w.ch.integer(32, 4096) * 1024 + (0 if w.ch.boolean(0.8) else w.ch.integer(0, 1023)))

    def count(w: Walker) -> str:
        return str(w.ch.integer(1, 8 if not hostile else 255))

    def path(w: Walker) -> str:
        d = _pick(w.ch, _PATH_DIRS)
        return f"{d}/{_from_regex(w.ch, '[a-zA-Z0-9_][a-zA-Z0-9_+%&.-]{0,10}')}"

    def hexnum(digits: int, top: int) -> Callable[[Walker], str]:
        return lambda w: f"0x{w.ch.integer(0, top):0{digits}x}"

    def small(lo: int, hi: int) -> Callable[[Walker], str]:
        return lambda w: str(w.ch.integer(lo, hi))

    hooks: dict[str, Callable[[Walker], str]] = {
        "domainName": name, "UUID": uuid, "memoryKB": memory, "vcpuCount": count,
        "absFilePath": path, "usbId": hexnum(4, 0xFFFF), "usbAddr": hexnum(3, 0x7F),
        "pciDomain": hexnum(4, 0), "pciBus": hexnum(2, 0), "pciSlot": hexnum(2, 0x1F),
        "pciFunc": hexnum(1, 0), "driveNumber": small(0, 3),
        "secondsDelta": lambda w: str(w.ch.integer(-86400, 86400)),
    }
    if not hostile:
        hooks["positiveCount"] = small(1, 4)
        hooks["uint"] = small(0, 64)
    return hooks


def make_walker(ch: Chooser, *, hostile: bool = False) -> Walker:
    return DomainWalker(ch, weights=WEIGHTS, hooks=_hooks(hostile),
                        text_chars=_HOSTILE_TEXT if hostile else _SANE_TEXT,
                        max_repeat=3, repeat_overrides={"devices": 8, "clock": 3},
                        p_element=_P_ELEMENT)


def generate_domain(ch: Chooser, *, grammar: Grammar | None = None, hostile: bool = False,
                    refine: bool = True, guest_weight: Callable[[GuestChoice], int] = even_weight,
                    for_libvirt_schema: bool = False) -> etree._Element:
    """One domain document as an lxml element (schema-valid; refined unless told not to)."""
    g = grammar or shipped()
    w = make_walker(ch, hostile=hostile)
    root = w.document(g.start)
    if refine:
        Refiner(ch, root, hostile=hostile, guest_weight=guest_weight,
                for_libvirt_schema=for_libvirt_schema).run()
    return root


def numbered_domain(seed: int, k: int, *, refine: bool = True,
                    hostile: bool = False) -> tuple[RandomChooser, etree._Element]:
    """Document ``k`` of seed ``seed``, as ``generate --seed`` writes it: its own random
    stream (``random.Random("S:k")``, so any document can be made alone) and a name unique
    in the batch; the chooser is returned for what else the caller draws from it."""
    ch = RandomChooser(random.Random(f"{seed}:{k}"))
    root = generate_domain(ch, refine=refine, hostile=hostile, guest_weight=portable_weight,
                           for_libvirt_schema=True)
    name = root.find("name")
    if name is not None:  # unique across the batch: all documents can be defined on one host
        name.text = f"{name.text}-{seed}-{k:04d}"
    return ch, root


def generate_domain_text(seed: int, *, hostile: bool = False) -> str:
    """The document of a seed, serialised."""
    root = generate_domain(RandomChooser(seed), hostile=hostile)
    return to_text(root)


def to_text(root: etree._Element) -> str:
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


class Refiner:
    """Engine-aware fix-ups on a generated tree; every change stays schema-valid."""

    def __init__(self, ch: Chooser, root: etree._Element, *, hostile: bool = False,
                 guest_weight: Callable[[GuestChoice], int] = even_weight,
                 for_libvirt_schema: bool = False, guests: list[GuestChoice] | None = None) -> None:
        self.guest_weight = guest_weight
        self.guests = _host_guests() if guests is None else guests
        self.ch = ch
        self.root = root
        self.hostile = hostile
        self.for_libvirt_schema = for_libvirt_schema
        self.slots = list(range(4, 32))

    def keep_deviation(self, row: str) -> bool:
        """Whether a construct outside libvirt's schema (docs/deviations.md ``row``) stays."""
        return not self.for_libvirt_schema or self.ch.boolean(_DEVIATION_RATE[row])

    def odd(self, construct: str, device: str | None = None) -> bool:
        """Whether this site keeps an unusual (but valid) construct (``_ODD_RATE``, for an
        address by the kind of device that holds it)."""
        rate = _ODD_RATE[construct]
        if device is not None:
            rate = _ODD_DEVICE_RATE.get(construct, {}).get(device, rate)
        return self.ch.boolean(rate if self.for_libvirt_schema else rate * _PROPERTY_ODD_SCALE)

    def run(self) -> None:
        for label in self.root.findall("seclabel/label"):
            if not (label.text or "").strip():  # a static label must name one
                label.text = "system_u:system_r:svirt_t:s0:c12,c34"
        for model in self.root.findall("cpu/model"):
            if not (model.text or "").strip():  # an empty model is no model: give it a name
                model.text = "core2duo"
        for vendor in self.root.findall("cpu/vendor"):
            vendor.text = "Intel"
        self.guest()
        self.memory()
        self.clock()
        dev = self.root.find("devices")
        if dev is None and self.hostile:
            dev = etree.SubElement(self.root, "devices")
        if dev is None:
            return
        self.singletons(dev)
        self.controllers(dev)
        self.disks(dev)
        self.interfaces(dev)
        self.inputs(dev)
        self.chardevs(dev)
        self.hostdevs(dev)
        self.pci_addresses(dev)
        if self.hostile:
            self.comma_carrier(dev)

    def comma_carrier(self, dev: etree._Element) -> None:
        """A hostile document always has a value with a comma that reaches a QEMU option:
        the language keeps commas out of names and paths, but not out of character
        device sources and channel names."""
        for c in dev.iter("source", "target"):
            if "," in (c.get("path") or "") + (c.get("name") or ""):
                return
        serial = etree.SubElement(dev, "serial", type="file")
        etree.SubElement(serial, "source", path=f"/tmp/{_from_regex(self.ch, '[a-z]{4,6}')},id=evil")

    # ---------------------------------------------------------------- guest
    def _guest_choice(self, xen: bool) -> GuestChoice:
        choices = [(self.guest_weight(g), g) for g in self.guests if (g.os_type == "xen") == xen]
        total = self.ch.integer(0, sum(w for w, _ in choices) - 1)
        for w, cand in choices:
            total -= w
            if total < 0:
                return cand
        return choices[-1][1]

    def guest(self) -> None:
        r = self.root
        os_ = r.find("os")
        ostype = os_.find("type") if os_ is not None else None
        kind = (ostype.text or "").strip() if ostype is not None else "xen"
        if kind == "exe" and self.odd("container"):
            return
        if self.odd("foreign-guest"):  # kept as the walker drew it, on any of the schema's hypervisors
            r.set("type", str(_pick(self.ch, _hypervisors())))
            if os_ is not None:
                self.os_parts(os_, kind == "hvm", r.find("bootloader") is not None)
            return
        if kind == "exe":  # a container guest is of no use to the QEMU driver: make it hvm
            for c in list(os_):
                if c.tag != "type":
                    os_.remove(c)
            ostype.text = "hvm"
            etree.SubElement(os_, "boot", dev="hd")
            kind = "hvm"
        choice = self._guest_choice(kind != "hvm")
        vtype, arch, emulator, machines = choice.virt_type, choice.arch, choice.emulator, list(choice.machines)
        r.set("type", vtype)
        boot = r.find("bootloader")
        if boot is not None and not (boot.text or "").strip():
            boot.text = "/usr/bin/pygrub"  # an empty one is no bootloader to libvirt
        if ostype is not None:
            if kind == "linux" and not self.odd("legacy-linux"):
                ostype.text = "xen"
            if arch is None:
                ostype.attrib.pop("arch", None)
                if kind == "hvm" and ostype.get("machine") is not None:
                    ostype.set("machine", str(_pick(self.ch, machines)))
                else:
                    ostype.attrib.pop("machine", None)
            else:
                ostype.set("arch", arch)
                if "machine" in ostype.attrib or self.ch.boolean(0.5):
                    ostype.set("machine", str(_pick(self.ch, machines)))
        if os_ is not None:
            self.os_parts(os_, kind == "hvm", r.find("bootloader") is not None)
        dev = r.find("devices")
        if dev is not None and dev.find("emulator") is not None:
            dev.find("emulator").text = emulator

    def os_parts(self, os_: etree._Element, hvm: bool, bootloader: bool) -> None:
        """Kernel arguments come with a kernel, mostly; libvirt's schema wants either a
        direct kernel boot or boot devices (docs/deviations.md: os-parts)."""
        kernel = os_.find("kernel")
        args = [os_.find(t) for t in ("initrd", "root", "cmdline") if os_.find(t) is not None]
        if kernel is None and args and self.ch.boolean(0.85):
            kernel = etree.Element("kernel")
            kernel.text = "/boot/vmlinuz"
            os_.insert(1, kernel)
        if not (self.for_libvirt_schema and not self.keep_deviation("os-parts")):
            return
        boots = os_.findall("boot")
        if hvm:
            if kernel is not None:
                for b in boots:
                    os_.remove(b)
            else:
                for a in args:
                    os_.remove(a)
                if not boots:
                    etree.SubElement(os_, "boot", dev="hd")
        else:
            for loader in os_.findall("loader"):
                os_.remove(loader)
            if kernel is None and (args or not bootloader):
                kernel = etree.Element("kernel")
                kernel.text = "/boot/vmlinuz"
                os_.insert(1, kernel)

    def memory(self) -> None:
        mem = self.root.find("memory")
        cur = self.root.find("currentMemory")
        if mem is not None and cur is not None and int(cur.text or 0) > int(mem.text or 0):
            cur.text, mem.text = mem.text, cur.text
        vcpu = self.root.find("vcpu")
        if vcpu is not None and vcpu.get("cpuset") is not None:
            vcpu.set("cpuset", self.cpuset())

    def cpuset(self) -> str:
        parts = []
        for _ in range(self.ch.integer(1, 3)):
            a = self.ch.integer(0, 15)
            k = self.ch.integer(0, 2)
            parts.append(str(a) if k == 0 else f"{a}-{a + self.ch.integer(0, 8)}" if k == 1 else f"^{a}")
        if parts[0].startswith("^"):
            parts.insert(0, "0-15")
        return ",".join(parts)

    def clock(self) -> None:
        c = self.root.find("clock")
        if c is None:
            return
        if c.get("offset") == "timezone" and c.get("timezone") is None:
            c.set("timezone", str(_pick(self.ch, ["Europe/Paris", "America/New_York", "UTC"])))
        if len(c) and not self.keep_deviation("clock-timer-inside"):
            for t in list(c):
                c.remove(t)

    # ---------------------------------------------------------------- devices
    def singletons(self, dev: etree._Element) -> None:
        """libvirt/QEMU 0.8.3 take one console, one video card (at slot 2 if anywhere),
        one graphics head, and only a Xen guest has a Xen balloon."""
        for tag in ("console", "video", "graphics"):
            for extra in dev.findall(tag)[1:]:
                if not self.odd("second-device"):
                    dev.remove(extra)
        for video in dev.findall("video"):
            for a in video.findall("address"):
                if self.odd("address-kind", "video"):
                    self.other_address(a)
                elif self.odd("video-address"):
                    a.attrib.clear()
                    a.set("type", "pci")
                    if self.ch.boolean(0.7):  # the primary card's own slot; else one of the pool
                        a.attrib.update(dict(domain="0x0000", bus="0x00", slot="0x02", function="0x0"))
                else:
                    video.remove(a)
        balloon = dev.find("memballoon")
        if balloon is not None and self.root.get("type") != "xen" and \
                not (balloon.get("model") == "xen" and self.odd("xen-balloon")):
            balloon.set("model", "virtio")

    def controllers(self, dev: etree._Element) -> None:
        seen: set[tuple[str, int]] = set()
        for c in dev.findall("controller"):
            key = (c.get("type") or "ide", int(c.get("index") or 0))
            if key[0] == "virtio-serial":  # channels name it in a 2-digit address
                key = (key[0], key[1] % 4)
            while key in seen:  # next free index, wrapping within unsignedInt
                key = (key[0], (key[1] + 1) % 2**32)
            seen.add(key)
            c.set("index", str(key[1]))
            if c.get("model") is not None and c.get("type") not in (None, "scsi"):
                del c.attrib["model"]

    def disks(self, dev: etree._Element) -> None:
        from virtconform.engine.model.disk import disk_name
        used: dict[str, set[int]] = {}
        for d in dev.findall("disk"):
            target = d.find("target")
            device = d.get("device") or "disk"
            bus = target.get("bus")
            if device == "floppy":
                bus = "fdc"
            elif bus == "uml" and device == "disk" and self.odd("uml-disk"):
                pass
            elif bus in (None, "fdc", "uml"):
                bus = str(_pick(self.ch, ["ide", "scsi", "virtio", "xen", "usb"] if device == "disk"
                                else ["ide", "scsi"]))
            elif device == "cdrom" and bus not in ("ide", "scsi"):
                bus = "ide"
            prefix, limit = _DISK_BUS[bus]
            taken = used.setdefault(prefix, set())
            free = [i for i in range(limit) if i not in taken]
            if not free:
                dev.remove(d)
                continue
            idx = free[self.ch.integer(0, min(len(free) - 1, 3))]
            taken.add(idx)
            if self.odd("wrapped-disk-name"):
                # libvirt's index is a C int: idx + k * 2**32 names disk idx again, and
                # + 2**31 a negative index (no disk name to libvirt)
                wrap = self.ch.integer(1, 3000) * 2**32 + (2**31 if self.ch.boolean(0.2) else 0)
                target.set("dev", disk_name(prefix, idx + wrap))
            else:
                target.set("dev", disk_name(prefix, idx))
            if target.get("bus") is not None or bus in ("fdc", "scsi", "usb", "xen"):
                target.set("bus", bus)
            self.disk_source(d, device)
            drv = d.find("driver")
            if drv is not None and drv.get("name") is not None:
                drv.set("name", "qemu")
                if drv.get("type") is not None:
                    drv.set("type", str(_pick(self.ch, ["raw", "qcow2", "qcow", "vmdk", "cow"])))
            self.disk_address(d, bus, idx)

    def disk_source(self, d: etree._Element, device: str) -> None:
        """A disk that is not removable media needs a source, hence a type naming one."""
        dtype = d.get("type")
        src = d.find("source")
        if dtype is None and device not in ("cdrom", "floppy"):
            d.set("type", "file")
            dtype = "file"
        if dtype == "dir" and self.ch.boolean(0.5):  # a directory disk (fat:) is rare: often a file
            d.set("type", "file")
            dtype = "file"
            if src is not None:
                src.attrib.pop("dir", None)
                src.set("file", self.path())
        if src is None and device not in ("cdrom", "floppy") and dtype is not None:
            src = etree.Element("source")
            src.set({"block": "dev", "dir": "dir"}.get(dtype, "file"), self.path())
            d.insert(0, src)
        if src is not None and dtype == "block":
            src.set("dev", f"/dev/{_pick(self.ch, ['sdb', 'HostVG/vm', 'mapper/disk1'])}")

    def disk_address(self, d: etree._Element, bus: str, idx: int) -> None:
        addr = d.find("address")
        if addr is None:
            return
        if self.odd("address-kind", "disk"):  # an address that does not follow from the name
            if self.ch.boolean(0.5):
                self.other_address(addr)
            else:
                addr.attrib.clear()
                addr.set("type", "pci")
            return
        addr.attrib.clear()
        if bus == "ide":
            addr.attrib.update(dict(type="drive", controller=str(idx // 4), bus=str(idx % 4 // 2), unit=str(idx % 2)))
        elif bus == "scsi":
            addr.attrib.update(dict(type="drive", controller=str(idx // 7), bus="0", unit=str(idx % 7)))
        elif bus == "fdc":
            addr.attrib.update(dict(type="drive", controller="0", bus="0", unit=str(idx)))
        elif bus == "virtio":
            addr.set("type", "pci")
        else:
            d.remove(addr)

    def path(self) -> str:
        return f"{_pick(self.ch, _PATH_DIRS)}/{_from_regex(self.ch, '[a-z][a-z0-9_.-]{0,8}')}"

    def interfaces(self, dev: etree._Element) -> None:
        for i, n in enumerate(dev.findall("interface")):
            if n.get("type") in ("server", "client", "mcast") and not self.keep_deviation("socket-nic"):
                n.set("type", "user")
                for src in n.findall("source"):
                    n.remove(src)
            mac = n.find("mac")
            if mac is None:
                mac = etree.SubElement(n, "mac")
            a, b = self.ch.integer(0, 255), self.ch.integer(0, 255)
            mac.set("address", f"52:54:00:{a:02x}:{b:02x}:{i:02x}")
            model = n.find("model")
            if model is not None:
                model.set("type", str(_pick(self.ch, _NET_MODELS)))
            t = n.find("target")
            if t is not None and t.get("dev", "").startswith("vnet"):
                n.remove(t)
            src = n.find("source")
            if n.get("type") in ("mcast", "server", "client") and src is not None:
                src.set("port", str(self.ch.integer(1024, 32767)))
                if n.get("type") == "mcast":
                    src.set("address", "230.0.0.1")
                elif n.get("type") == "client" or src.get("address") is not None or self.ch.boolean(0.5):
                    src.set("address", "192.168.0.1")

    def inputs(self, dev: etree._Element) -> None:
        xen = (self.root.findtext("os/type") or "") in ("xen", "linux")
        for inp in dev.findall("input"):
            bus = inp.get("bus")
            if xen:
                inp.set("bus", "xen")
                inp.set("type", "mouse")
            elif bus == "xen" or (bus == "ps2" and inp.get("type") == "tablet"):
                inp.set("bus", "usb")

    def hostdevs(self, dev: etree._Element) -> None:
        """libvirt's parser wants the type named, and a source that fits it."""
        for h in dev.findall("hostdev"):
            src = h.find("source")
            pci = src.find("address[@slot]") is not None
            h.set("mode", "capabilities" if self.odd("hostdev-capabilities") else "subsystem")
            h.set("type", "pci" if pci else "usb")
            h.set("managed", h.get("managed") or "no")

    def chardevs(self, dev: etree._Element) -> None:
        """Each character device gets the source its type needs (libvirt's schema
        leaves the source free-form; its parser does not)."""
        vs_ctrls = [c for c in dev.findall("controller") if c.get("type") == "virtio-serial"]
        ports: dict[str, int] = {}
        for tag in ("serial", "parallel", "console", "channel"):
            for c in dev.findall(tag):
                addr = c.find("address")
                target = c.find("target")
                virtio = tag == "channel" and target is not None and target.get("type") == "virtio"
                if addr is not None and not virtio and not self.odd("chardev-address", tag):
                    c.remove(addr)
                if c.get("type") is None:  # the legacy bare <console/>
                    continue
                if c.get("tty") is not None:
                    if self.odd("tty"):
                        c.set("tty", f"/dev/pts/{self.ch.integer(0, 9)}")
                    else:
                        del c.attrib["tty"]
                self.chr_source(c)
                if target is not None and tag != "channel":
                    if target.get("port") is not None:
                        target.set("port", str(self.ch.integer(0, 3)))
                if tag == "channel" and target is not None and target.get("type") == "guestfwd":
                    target.set("address", f"10.0.2.{self.ch.integer(1, 254)}")
                    target.set("port", str(self.ch.integer(1, 32767)))
                if not virtio:
                    continue
                if not vs_ctrls:
                    ctrl = etree.SubElement(dev, "controller", type="virtio-serial", index="0")
                    vs_ctrls.append(ctrl)
                ctrl = vs_ctrls[self.ch.integer(0, len(vs_ctrls) - 1)]
                if addr is None:
                    addr = etree.SubElement(c, "address")
                addr.attrib.clear()
                index = ctrl.get("index") or "0"
                ports[index] = ports.get(index, 0) + 1
                addr.attrib.update(dict(type="virtio-serial", controller=index, bus="0", port=str(ports[index])))

    def chr_path(self, default: str) -> str:
        """A source path; hostile ones carry commas (the schema leaves them free text)."""
        if self.hostile and self.ch.boolean(0.5):
            return f"/tmp/{_from_regex(self.ch, '[a-z]{1,4}')},{_pick(self.ch, ['id=evil', 'server', 'x,,y'])}"
        return default

    def chr_source(self, c: etree._Element) -> None:
        t = c.get("type")
        for old in c.findall("source") + c.findall("protocol"):
            c.remove(old)
        sources: list[dict[str, str]] = []
        if t in ("dev", "file", "pipe") or (t == "pty" and self.ch.boolean(0.3)):
            sources.append({"path": self.chr_path(self.path() if t != "dev" else "/dev/ttyS0")})
        elif t == "unix":
            s = {"path": self.chr_path(f"/tmp/{_from_regex(self.ch, '[a-z]{1,8}')}.sock")}
            if self.ch.boolean(0.7):
                s = {"mode": str(_pick(self.ch, ["bind", "connect"])), **s}
            sources.append(s)
        elif t == "tcp":
            s = {"host": str(_pick(self.ch, _HOSTS)), "service": str(self.ch.integer(1, 65535))}
            if self.ch.boolean(0.7):
                s = {"mode": str(_pick(self.ch, ["bind", "connect"])), **s}
            sources.append(s)
        elif t == "udp":
            if self.ch.boolean(0.5):
                bind = {"mode": "bind"}
                if self.ch.boolean(0.7):
                    bind["host"] = str(_pick(self.ch, _HOSTS))
                if self.ch.boolean(0.7):
                    bind["service"] = str(self.ch.integer(1, 65535))
                sources.append(bind)
            conn = {"host": str(_pick(self.ch, _HOSTS)), "service": str(self.ch.integer(1, 65535))}
            if self.ch.boolean(0.5):
                conn = {"mode": "connect", **conn}
            sources.append(conn)
        if sources and self.odd("wiremode"):
            sources[-1]["wiremode"] = str(_pick(self.ch, ["raw", "telnet", "x"]))
        at = 0
        for s in sources:
            el = etree.Element("source")
            for k, v in s.items():
                el.set(k, v)
            c.insert(at, el)
            at += 1
        if t == "tcp" and self.ch.boolean(0.5):
            c.insert(at, etree.Element("protocol", type=str(_pick(self.ch, ["raw", "telnet"]))))

    def other_address(self, el: etree._Element) -> None:
        """A drive or virtio-serial address (some parts left out) where PCI is usual."""
        el.attrib.clear()
        if self.ch.boolean(0.5):
            el.set("type", "drive")
            for part in ("controller", "bus"):
                if self.ch.boolean(0.7):
                    el.set(part, str(self.ch.integer(0, 3)))
            el.set("unit", str(self.ch.integer(0, 3)))
        else:
            el.set("type", "virtio-serial")
            el.set("controller", str(self.ch.integer(0, 3)))
            for part in ("bus", "port"):
                if self.ch.boolean(0.7):
                    el.set(part, str(self.ch.integer(0, 3)))

    def pci_addresses(self, dev: etree._Element) -> None:
        """Every address that is not a disk drive or virtio-serial one: a unique PCI slot."""
        free = list(self.slots)
        for el in list(dev.iter("address")):
            parent = el.getparent()
            if parent is None or parent.tag == "source":  # a host device's own address
                continue
            if parent.tag == "video" and el.get("slot") == "0x02":  # placed by singletons()
                continue
            if el.get("type") in ("drive", "virtio-serial") and parent.tag in ("disk", "channel"):
                continue
            if self.odd("address-kind", parent.tag):
                self.other_address(el)
                continue
            if parent.tag in ("controller", "filesystem", "input", "sound", "interface") and \
                    parent.tag == "controller" and parent.get("type") != "virtio-serial":
                parent.remove(el)
                continue
            if not free:
                parent.remove(el)
                continue
            slot = free.pop(self.ch.integer(0, min(3, len(free) - 1)))
            el.attrib.clear()
            el.attrib.update(dict(type="pci", domain="0x0000", bus="0x00", slot=f"0x{slot:02x}", function="0x0"))
