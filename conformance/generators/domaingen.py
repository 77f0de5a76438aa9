"""Domain documents: the schema walker plus engine-aware refinements.

A document that is merely schema-valid usually fails libvirt's parser (a disk
named ``0a`` on the ide bus, two devices in PCI slot 5, an x86_64 HVM guest of
type ``kqemu``...), and the properties would then test nothing but refusals.
The refinements keep every change inside the schema (tests check it) and make
most documents loadable by the engine, and by libvirt's test driver: sane
names, sizes and UUIDs, disk names valid for their bus with matching drive
addresses, unique PCI slots >= 4, channels tied to a virtio-serial controller,
a MAC on each interface and os type/arch/emulator combinations of the
``libvirt-test`` host.

``hostile=True`` (the fuzz properties) widens the values: names with commas
and XML specials, integers at their type's bounds.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from lxml import etree

from ..grammar import regexgen
from ..grammar.rng import Grammar, shipped
from ..grammar.walker import Chooser, RandomChooser, Walker

_SANE_TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."
_HOSTILE_TEXT = _SANE_TEXT + " ,=&<>'\":;/"

# (weight, domain type, os type, arch or None, emulator, machines)
GUESTS: list[tuple[int, str, str, str | None, str, list[str]]] = [
    (20, "qemu", "hvm", None, "/usr/bin/qemu", ["pc", "isapc"]),
    (25, "qemu", "hvm", "i686", "/usr/bin/qemu", ["pc", "isapc"]),
    (15, "qemu", "hvm", "x86_64", "/usr/bin/qemu-system-x86_64", ["pc", "pc-0.11", "pc-0.10", "isapc"]),
    (15, "kvm", "hvm", None, "/usr/bin/kvm", ["pc", "isapc"]),
    (15, "kvm", "hvm", "x86_64", "/usr/bin/kvm", ["pc", "isapc"]),
    (10, "kvm", "xen", "x86_64", "/usr/bin/xenner", ["xenner"]),
]

# disk bus -> (target prefix, how many targets it has)
_DISK_BUS = {"ide": ("hd", 4), "scsi": ("sd", 14), "virtio": ("vd", 26), "fdc": ("fd", 2),
             "xen": ("xvd", 26), "usb": ("sd", 26)}
_NET_MODELS = ["virtio", "e1000", "rtl8139", "ne2k_pci", "pcnet"]
_PATH_DIRS = ["/var/lib/libvirt/images", "/dev/HostVG", "/tmp", "/srv/vm", "/usr/share/boot"]


def _pick(ch: Chooser, seq: list) -> object:
    return seq[ch.integer(0, len(seq) - 1)]


def _from_regex(ch: Chooser, pattern: str) -> str:
    return regexgen.generate(regexgen.parse(pattern), ch)


def _hooks(hostile: bool) -> dict[str, Callable[[Walker], str]]:
    def name(w: Walker) -> str:
        if hostile and w.ch.boolean(0.5):  # a comma always: it must not split a QEMU option
            head = _from_regex(w.ch, "[A-Za-z][A-Za-z0-9_,&<>' \\.\\-]{2,8}")
            return head + "," + _from_regex(w.ch, "[A-Za-z0-9_,=.-]{0,6}[A-Za-z0-9,]")
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

    def text(w: Walker) -> str:
        return w.text()

    hooks: dict[str, Callable[[Walker], str]] = {
        "domainName": name, "UUID": uuid, "memoryKB": memory, "countCPU": count,
        "absFilePath": path,
    }
    def hexnum(digits: int, top: int) -> Callable[[Walker], str]:
        return lambda w: f"0x{w.ch.integer(0, top):0{digits}x}"

    def cpuset(w: Walker) -> str:
        parts = []
        for _ in range(w.ch.integer(1, 3)):
            a = w.ch.integer(0, 15)
            k = w.ch.integer(0, 2)
            parts.append(str(a) if k == 0 else f"{a}-{a + w.ch.integer(0, 8)}" if k == 1 else f"^{a}")
        if parts[0].startswith("^"):
            parts.insert(0, "0-15")
        return ",".join(parts)

    hooks.update(usbId=hexnum(4, 0xFFFF), usbAddr=hexnum(3, 0x7F), pciDomain=hexnum(4, 0),
                 pciBus=hexnum(2, 0xFF), pciSlot=hexnum(2, 0x1F), pciFunc=hexnum(1, 7), cpuset=cpuset)
    if not hostile:
        hooks["positiveInteger"] = lambda w: str(w.ch.integer(1, 4))
        hooks["unsignedInt"] = lambda w: str(w.ch.integer(0, 64))
    del text
    return hooks


def make_walker(ch: Chooser, *, hostile: bool = False) -> Walker:
    return Walker(ch, hooks=_hooks(hostile), text_chars=_HOSTILE_TEXT if hostile else _SANE_TEXT,
                  max_repeat=3, repeat_overrides={"devices": 6, "clock": 1}, p_element=_P_ELEMENT,
                  weights={"hvs": [0, 6, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0],
                           "os": [2, 8, 0],
                           "devices": [5, 3, 1, 4, 2, 2, 2, 2, 2, 2, 2, 3, 3]})


#: optional elements that mostly make QEMU refuse the domain: seen, but rarely
_P_ELEMENT = {"cpu": 0.15, "memoryBacking": 0.15, "seclabel": 0.3}


#: guest weights for ``generate``: mostly i686 guests, which libvirt's test driver
#: (i686 guests only) also accepts; the properties keep the even mix of GUESTS.
PORTABLE_WEIGHTS = [4, 80, 5, 3, 4, 4]


def generate_domain(ch: Chooser, *, grammar: Grammar | None = None, hostile: bool = False,
                    refine: bool = True, guest_weights: list[int] | None = None) -> etree._Element:
    """One domain document as an lxml element (schema-valid; refined unless told not to)."""
    g = grammar or shipped()
    w = make_walker(ch, hostile=hostile)
    root = w.document(g.start)
    if refine:
        Refiner(ch, root, hostile=hostile, guest_weights=guest_weights).run()
    return root


def numbered_domain(seed: int, k: int, *, refine: bool = True,
                    hostile: bool = False) -> tuple[RandomChooser, etree._Element]:
    """Document ``k`` of seed ``seed``, as ``generate --seed`` writes it: its own random
    stream (``random.Random("S:k")``, so any document can be made alone) and a name unique
    in the batch; the chooser is returned for what else the caller draws from it."""
    ch = RandomChooser(random.Random(f"{seed}:{k}"))
    root = generate_domain(ch, refine=refine, hostile=hostile, guest_weights=PORTABLE_WEIGHTS)
    name = root.find("name")
    if name is not None:  # unique across the batch: all documents can be defined on one host
        name.text = f"{name.text}-{seed}-{k:04d}"
    return ch, root


def generate_domain_text(seed: int, *, hostile: bool = False) -> str:
    """The document of a seed, serialised (used by the ``generate`` command)."""
    root = generate_domain(RandomChooser(seed), hostile=hostile)
    return to_text(root)


def to_text(root: etree._Element) -> str:
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


class Refiner:
    """Engine-aware fix-ups on a generated tree; every change stays schema-valid."""

    def __init__(self, ch: Chooser, root: etree._Element, *, hostile: bool = False,
                 guest_weights: list[int] | None = None) -> None:
        self.guest_weights = guest_weights or [g[0] for g in GUESTS]
        self.ch = ch
        self.root = root
        self.hostile = hostile
        self.slots = list(range(4, 32))
        self.used_slots: set[int] = set()

    def run(self) -> None:
        for label in self.root.findall("seclabel[@type='static']/label"):
            if not label.text:  # a static label must name one (libvirt refuses an empty one)
                label.text = "system_u:system_r:svirt_t:s0:c12,c34"
        for model in self.root.findall("cpu/model"):
            if not (model.text or "").strip():  # an empty model is no model: give it a name
                model.text = "core2duo"
        self.guest()
        self.memory()
        self.clock()
        dev = self.root.find("devices")
        if dev is None:
            return
        self.singletons(dev)
        self.controllers(dev)
        self.disks(dev)
        self.interfaces(dev)
        self.inputs(dev)
        self.chardevs(dev)
        self.filesystems(dev)
        self.pci_addresses(dev)

    def filesystems(self, dev: etree._Element) -> None:
        """The engine's 0.8.3 model knows mount (source dir) and template (source name) only."""
        for fs in dev.findall("filesystem"):
            for a in fs.findall("address"):
                fs.remove(a)
            if fs.get("type") in ("file", "block"):
                fs.set("type", "mount")
                src = fs.find("source")
                src.attrib.clear()
                src.set("dir", self.path())

    # ---------------------------------------------------------------- guest
    def guest(self) -> None:
        r = self.root
        os_ = r.find("os")
        xen = os_ is None or os_.find("type") is None or (os_.findtext("type") or "") in ("xen", "linux")
        if os_ is not None and (os_.findtext("type") or "") == "exe":
            xen = False
        choices = [(w, g) for w, g in zip(self.guest_weights, GUESTS, strict=True) if (g[2] == "xen") == xen]
        total = self.ch.integer(0, sum(w for w, _ in choices) - 1)
        g = choices[-1][1]
        for w, cand in choices:
            total -= w
            if total < 0:
                g = cand
                break
        _, vtype, ostype, arch, emulator, machines = g
        r.set("type", vtype)
        if os_ is None:  # a xen guest with only a bootloader: libvirt wants an os type
            os_ = etree.SubElement(r, "os")
        if os_.find("type") is None:
            os_.insert(0, etree.Element("type"))
            os_[0].text = "xen"
        if os_.findtext("type") == "linux":
            os_.find("type").text = "xen"
        if os_ is not None and os_.find("type") is not None:
            t = os_.find("type")
            if t.text == "exe":  # osexe is of no use to a QEMU driver: make it hvm
                t.text = "hvm"
                for c in list(os_):
                    if c.tag != "type":
                        os_.remove(c)
                etree.SubElement(os_, "boot", dev="hd")
            # kernel arguments without a kernel boot nothing: give them one, mostly
            if os_.find("kernel") is None and any(os_.find(x) is not None
                                                  for x in ("initrd", "cmdline", "root")):
                if self.ch.boolean(0.85):
                    k = etree.Element("kernel")
                    k.text = "/boot/vmlinuz"
                    os_.insert(1, k)
            if arch is None:
                t.attrib.pop("arch", None)
                t.attrib.pop("machine", None)
            else:
                t.set("arch", arch)
                if "machine" in t.attrib or self.ch.boolean(0.5):
                    t.set("machine", str(_pick(self.ch, machines)))
        dev = r.find("devices")
        if dev is not None and dev.find("emulator") is not None:
            dev.find("emulator").text = emulator

    def memory(self) -> None:
        mem = self.root.find("memory")
        cur = self.root.find("currentMemory")
        if mem is not None and cur is not None and int(cur.text or 0) > int(mem.text or 0):
            cur.text, mem.text = mem.text, cur.text

    def clock(self) -> None:
        c = self.root.find("clock")
        if c is not None and c.get("offset") == "timezone" and c.get("timezone") is None:
            c.set("timezone", str(_pick(self.ch, ["Europe/Paris", "America/New_York", "UTC"])))

    # ---------------------------------------------------------------- devices
    def singletons(self, dev: etree._Element) -> None:
        """libvirt/QEMU 0.8.3 take one console, one video card, one graphics head."""
        for tag in ("console", "video", "graphics"):
            for extra in dev.findall(tag)[1:]:
                dev.remove(extra)

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

    def disks(self, dev: etree._Element) -> None:
        used: dict[str, set[int]] = {}
        for d in dev.findall("disk"):
            target = d.find("target")
            device = d.get("device") or "disk"
            bus = target.get("bus") if target is not None else None
            if device == "floppy":
                bus = "fdc"
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
            from virtconform.engine.model.disk import disk_name
            if target is None:
                target = etree.SubElement(d, "target")
            target.set("dev", disk_name(prefix, idx))
            keep_bus = target.get("bus") is not None or bus in ("fdc", "scsi", "usb", "xen")
            if keep_bus:
                target.set("bus", bus)
            self.disk_source(d, device)
            drv = d.find("driver")
            if drv is not None and drv.get("name") is not None:
                drv.set("name", "qemu")
                if drv.get("type") is not None:
                    drv.set("type", str(_pick(self.ch, ["raw", "qcow2", "qcow", "vmdk", "cow"])))
            self.disk_address(d, bus, idx)

    def disk_source(self, d: etree._Element, device: str) -> None:
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
            src = etree.SubElement(d, "source")
            src.set({"block": "dev", "dir": "dir"}.get(dtype, "file"), self.path())

    def disk_address(self, d: etree._Element, bus: str, idx: int) -> None:
        addr = d.find("address")
        if addr is None:
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
                if src.get("address") is None and n.get("type") != "server":
                    src.set("address", "230.0.0.1" if n.get("type") == "mcast" else "192.168.0.1")

    def inputs(self, dev: etree._Element) -> None:
        xen = (self.root.findtext("os/type") or "") in ("xen", "linux")
        for inp in dev.findall("input"):
            bus = inp.get("bus")
            if xen:
                inp.set("bus", "xen")
                inp.set("type", "mouse")
            elif bus == "xen" or (bus == "ps2" and inp.get("type") == "tablet"):
                inp.set("bus", "usb")

    def chardevs(self, dev: etree._Element) -> None:
        vs_ctrls = [c for c in dev.findall("controller") if c.get("type") == "virtio-serial"]
        ports: dict[str, int] = {}
        for tag in ("serial", "parallel", "console", "channel"):
            for c in dev.findall(tag):
                addr = c.find("address")
                target = c.find("target")
                virtio = tag == "channel" and target is not None and target.get("type") == "virtio"
                if addr is not None and not virtio:
                    c.remove(addr)
                for src in c.findall("source"):
                    if c.get("type") == "tcp" and src.get("host") is None:
                        src.set("host", str(_pick(self.ch, ["127.0.0.1", "localhost", "example.org"])))
                if tag == "channel" and target is not None and target.get("type") == "guestfwd":
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

    def pci_addresses(self, dev: etree._Element) -> None:
        """Every address that is not a disk/chardev drive or virtio-serial one: a unique PCI slot."""
        free = [s for s in self.slots]
        for el in dev.iter():
            if el.tag != "address" or el.getparent() is None:
                continue
            parent = el.getparent()
            if parent.tag == "source":  # hostdev source address: the host's, not the guest's
                continue
            if el.get("type") in ("drive", "virtio-serial") and parent.tag in ("disk", "channel"):
                continue
            if parent.tag == "controller" and parent.get("type") not in ("virtio-serial",):
                parent.remove(el)
                continue
            if not free:
                parent.remove(el)
                continue
            slot = free.pop(self.ch.integer(0, min(3, len(free) - 1)))
            el.attrib.clear()
            el.attrib.update(dict(type="pci", domain="0x0000", bus="0x00", slot=f"0x{slot:02x}", function="0x0"))
