"""Conformance properties over generated domains.

Each property takes one domain document (XML text) and raises
``AssertionError`` when the engine misbehaves, or ``Skip`` when the document is
outside what the property is about (Hypothesis turns that into ``assume``).
They are plain functions so that pytest (tests/test_properties.py), ``virtconform
fuzz`` and users' own Hypothesis tests all run the same checks.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree


class Skip(Exception):
    """The document is outside this property's domain (not a failure)."""


@lru_cache(maxsize=1)
def _profile() -> Any:
    from virtconform.engine.caps.profiles import get_profile
    return get_profile("libvirt-test")


def _flag_sets() -> dict[str, frozenset[str]]:
    from virtconform.engine.caps.flags import NAMED_SETS
    return {k: frozenset(v) for k, v in NAMED_SETS.items()}


def _device_sets() -> dict[str, frozenset[str]]:
    return {k: v for k, v in _flag_sets().items() if "device" in v}


def _legacy_sets() -> dict[str, frozenset[str]]:
    return {k: v for k, v in _flag_sets().items() if "device" not in v and "chardev" not in v}


def _load(xml: str) -> Any:
    """The defaulted domain; a refusal by the model means the property does not apply."""
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import domain_from_string
    try:
        return domain_from_string(xml, _profile().capabilities)
    except VirtconformError as e:
        raise Skip(f"not loadable: {e.message}") from None


def _build(dom: Any, flags: frozenset[str]) -> list[str] | None:
    """argv, or None when the builder refuses with a reason; anything else propagates."""
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.qemu.builder import build_command_line
    try:
        return build_command_line(dom, flags, profile=_profile()).argv
    except VirtconformError:
        return None


def _built_any(xml: str, sets: dict[str, frozenset[str]]) -> list[tuple[str, list[str]]]:
    dom = _load(xml)
    out = [(name, argv) for name, flags in sets.items() if (argv := _build(dom, flags)) is not None]
    if not out:
        raise Skip("every capability set refuses this domain")
    return out


# ---------------------------------------------------------------- properties
def prop_validates(xml: str) -> None:
    """Generated documents are schema-valid."""
    from virtconform.engine import schema, xmlio
    problems = schema.validate(xmlio.parse_bytes(xml.encode(), "<generated>"))
    assert not problems, "; ".join(f"{p.line}:{p.column}: {p.message}" for p in problems[:3])


def prop_xml2xml_fixed_point(xml: str) -> None:
    """format(parse(format(parse(x)))) == format(parse(x)): one round reaches the fixed point,
    and the formatted document is itself schema-valid."""
    once = _load(xml).to_xml()
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import domain_from_string
    try:
        twice = domain_from_string(once, _profile().capabilities).to_xml()
    except VirtconformError as e:
        raise AssertionError(f"the formatted domain does not load again: {e.format()}") from None
    assert twice == once, _first_diff(once, twice)


def prop_argv_deterministic(xml: str) -> None:
    """The same domain and flags give the same command line, every time."""
    for name, flags in _flag_sets().items():
        a = _build(_load(xml), flags)
        b = _build(_load(xml), flags)
        assert a == b, f"{name}: two builds differ: {_first_diff(' '.join(a or []), ' '.join(b or []))}"


def prop_argv_total(xml: str) -> None:
    """For every named capability set: a command line, or a refusal with a reason - nothing else."""
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.qemu.builder import build_command_line
    dom = _load(xml)
    for name, flags in _flag_sets().items():
        try:
            cmd = build_command_line(dom, flags, profile=_profile())
        except VirtconformError as e:
            assert e.message.strip(), f"{name}: refusal without a reason"
            continue
        except Exception as e:  # noqa: BLE001 - this is what the property is about
            raise AssertionError(f"{name}: {type(e).__name__}: {e}") from e
        assert cmd.argv and all(isinstance(a, str) for a in cmd.argv), f"{name}: empty argv"
        for a in cmd.argv:
            assert "\n" not in a and "\x00" not in a, f"{name}: control character in {a!r}"


def qemu_options(value: str) -> list[str]:
    """Split an option string the way QEMU does: ``,`` separates, ``,,`` is a literal comma."""
    from virtconform.engine.qemu.escape import split_options
    return split_options(value)


_ID_OPTIONS = ("-device", "-chardev", "-netdev", "-drive")
_COMMA_OPTIONS = frozenset(_ID_OPTIONS + ("-name", "-net", "-serial", "-parallel", "-monitor", "-vnc",
                                          "-smp", "-usbdevice", "-pcidevice", "-sdl", "-boot"))


def _option_values(argv: list[str]) -> list[tuple[str, list[str]]]:
    return [(argv[i], qemu_options(argv[i + 1])) for i in range(len(argv) - 1) if argv[i] in _COMMA_OPTIONS]


def prop_unique_ids(xml: str) -> None:
    """Aliases (id= of -device/-chardev/-netdev/-drive) and PCI slots (addr=) are unique."""
    for name, argv in _built_any(xml, _flag_sets()):
        ids: dict[str, Counter[str]] = {o: Counter() for o in _ID_OPTIONS}
        addrs: Counter[str] = Counter()
        for opt, parts in _option_values(argv):
            for p in parts:
                if p.startswith("id=") and opt in ids:
                    ids[opt][p[3:]] += 1
                if p.startswith("addr=") and opt == "-device":
                    addrs[int(p[5:].split(".")[0], 16)] += 1
        for opt, c in ids.items():
            dup = [k for k, n in c.items() if n > 1]
            assert not dup, f"{name}: duplicate {opt} id {dup}"
        dup_slots = [k for k, n in addrs.items() if n > 1]
        assert not dup_slots, f"{name}: PCI slot used twice: {dup_slots}"


def prop_devices_present(xml: str) -> None:
    """Every disk (its source), NIC (its MAC) and serial/parallel/channel device is on the command line."""
    root = etree.fromstring(xml.encode())
    disks = [d.find("source") for d in root.iterfind("devices/disk")]
    paths = [s.get("file") or s.get("dev") or s.get("dir") for s in disks if s is not None]
    macs = [m.get("address").lower() for m in root.iterfind("devices/interface/mac")]
    n_serial = len(root.findall("devices/serial"))
    n_parallel = len(root.findall("devices/parallel"))
    n_channel = len(root.findall("devices/channel"))
    for name, argv in _built_any(xml, _flag_sets()):
        text = " ".join(argv)
        for p in paths:
            if p:
                assert p.replace(",", ",,") in text, f"{name}: disk source {p} missing"
        for m in macs:
            assert m in text.lower(), f"{name}: NIC {m} missing"
        serials = sum(1 for a in argv if a == "-serial") + text.count("isa-serial")
        if n_serial:
            assert serials >= n_serial, f"{name}: {n_serial} serial devices, {serials} on the command line"
        parallels = sum(1 for a in argv if a == "-parallel") + text.count("isa-parallel")
        if n_parallel:
            assert parallels >= n_parallel, f"{name}: {n_parallel} parallel ports, {parallels} given"
        channels = text.count("guestfwd=") + text.count("virtserialport")
        assert channels >= n_channel, f"{name}: {n_channel} channels, {channels} given"


def _round_trip_sets() -> dict[str, frozenset[str]]:
    """The legacy sets, the -device sets, and -device with -netdev/-nodefconfig/-rtc/... all on."""
    sets = {**_legacy_sets(), **_device_sets()}
    base = _flag_sets().get("qemu-0.12.1", frozenset())
    sets["qemu-0.12.1+netdev"] = base | {"device", "chardev", "netdev", "nodefconfig", "rtc", "mem-path",
                                         "balloon", "sdl", "smp-topology", "drive", "name", "uuid"}
    return sets


def prop_argv_xml_argv(xml: str) -> None:
    """argv -> xml -> argv is stable for legacy and -device flag sets, where the parser applies."""
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import domain_from_string
    from virtconform.engine.qemu.argvparse import parse_argv_text
    from virtconform.engine.qemu.builder import build_command_line
    caps = _profile().capabilities
    root = etree.fromstring(xml.encode())
    outside = _outside_parser_subset(root)
    if outside:
        raise Skip(f"outside the parser's subset: {outside}")
    dom = _load(xml)
    if "kvm" in (dom.devices.emulator or "") and dom.arch != "i686":
        # qemuParseCommandLine reads every kvm binary's guest as i686, and an i686 guest
        # on a 64-bit kvm binary gets -cpu qemu32
        raise Skip("outside the parser's subset: a kvm emulator's guest that is not i686")
    tried = 0
    for name, flags in _round_trip_sets().items():
        if "device" not in flags and _outside_legacy_subset(root):
            continue
        try:  # strict: what libvirt drops from the command line cannot come back from it
            first = build_command_line(dom, flags, profile=_profile(), strict=True).render()
        except VirtconformError:
            continue
        try:
            back = parse_argv_text(first, caps, "<rt.args>")
        except VirtconformError:
            continue  # outside the parser's subset
        back_xml = back.to_xml()
        try:
            again = build_command_line(domain_from_string(back_xml, caps, validate=False), flags,
                                       profile=_profile()).render()
        except VirtconformError as e:
            raise AssertionError(f"{name}: the parsed domain no longer builds: {e.format()}\n{back_xml}") from None
        tried += 1
        assert again == first, f"{name}: {_first_diff(first, again)}"
    if not tried:
        raise Skip("no capability set builds and parses this domain")


def _outside_parser_subset(root: etree._Element) -> str | None:
    """What argv cannot carry back (as in libvirt's qemuParseCommandLine), or None."""
    if root.find("os/kernel") is None and any(root.find(f"os/{t}") is not None
                                              for t in ("root", "initrd", "cmdline")):
        return "kernel arguments without a kernel (not on a QEMU command line)"
    if (root.findtext("os/type") in ("xen", "linux") or root.get("type") == "xen") and \
            "xenner" not in (root.findtext("devices/emulator") or ""):
        # libvirt's parser takes a xen guest only from a xenner emulator; -domid and
        # -xen-attach/-xen-domid are start-up options it ignores
        return "xen guest without a xenner emulator"
    if root.findtext("os/type") == "xen" and (root.find("os/type").get("arch") or "i686") != "i686":
        return "xenner guest not i686 (xenner's arch is not on the command line)"
    if root.find("clock[@offset='timezone']") is not None:
        return "clock timezone (TZ in the environment)"
    if root.find("devices/video") is not None and root.find("devices/graphics") is None:
        return "video without graphics (-vga is read back only with a display)"
    if root.find("devices/video/model[@type='xen']") is not None:
        return "xen video (the Xen framebuffer takes no -vga; it reads back as the default card)"
    if root.find("devices/disk/shareable") is not None:
        return "shareable disk (cache=off reads back as a cache mode)"
    for n in root.iterfind("devices/interface"):
        if n.get("type") in ("bridge", "network", "direct"):
            return f"interface type {n.get('type')} (a tap fd)"
    return None


def _outside_legacy_subset(root: etree._Element) -> str | None:
    """What only the -device syntax carries back, or None."""
    if root.find("devices/memballoon[@model='none']") is not None:
        # without -nodefaults, no -balloon reads back as libvirt's default balloon
        return "memballoon none (no -balloon reads back as the default)"
    return None


def prop_no_option_injection(xml: str) -> None:
    """Values that reach a comma-separated QEMU option stay within one option (commas doubled)."""
    root = etree.fromstring(xml.encode())
    values = {root.findtext("name") or ""}
    for el in root.iter():
        if isinstance(el.tag, str):
            values.update(v for v in el.attrib.values())
            if el.text and el.text.strip():
                values.add(el.text)
    # values distinctive enough that finding them split cannot be a coincidence
    values = {v for v in values if "," in v and sum(c.isalnum() for c in v) >= 4}
    if not values:
        raise Skip("no value with a comma")
    for name, argv in _built_any(xml, _flag_sets()):
        for opt, parts in _option_values(argv):
            joined = ",".join(parts)
            for v in values:
                if v in joined and not any(v in p for p in parts):
                    raise AssertionError(f"{name}: {v!r} is split across options of {opt} {parts}")


def _first_diff(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"first difference at {i}: {a[max(0, i - 40):i + 40]!r} vs {b[max(0, i - 40):i + 40]!r}"
    return f"lengths {len(a)} vs {len(b)}"


@dataclass(frozen=True)
class Property:
    name: str
    check: Callable[[str], None]
    hostile: bool = False  # generate values with commas and XML specials

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]


PROPERTIES: dict[str, Property] = {p.name: p for p in [
    Property("validates", prop_validates, hostile=True),
    Property("xml2xml-fixed-point", prop_xml2xml_fixed_point, hostile=True),
    Property("argv-deterministic", prop_argv_deterministic),
    Property("argv-total", prop_argv_total, hostile=True),
    Property("unique-ids", prop_unique_ids),
    Property("devices-present", prop_devices_present),
    Property("argv-xml-argv", prop_argv_xml_argv),
    Property("no-option-injection", prop_no_option_injection, hostile=True),
]}


def run_one(prop: Property, xml: str) -> bool:
    """Run a property; False when it was skipped. Failures raise AssertionError (or worse)."""
    try:
        prop.check(xml)
    except Skip:
        return False
    return True


__all__ = ["PROPERTIES", "Property", "Skip", "qemu_options", "run_one"]
