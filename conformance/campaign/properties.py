"""Conformance properties over generated domains.

Each property takes one domain document (XML text) and raises
``AssertionError`` when the engine misbehaves, or ``Skip`` when the document is
outside what the property is about (Hypothesis turns that into ``assume``).
They are plain functions so that pytest (tests/test_properties.py), ``virtconform
fuzz`` and users' own Hypothesis tests all run the same checks.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree


class Skip(Exception):
    """The document is outside this property's domain (not a failure); the message says why."""


#: every build runs at this instant (2010-07-27, libvirt 0.8.3's release): an offset='variable'
#: clock puts the wall clock on the command line, and two builds a second apart would differ
PINNED_EPOCH = 1_280_188_800
#: another instant, a month, a day, an hour, a minute and a second later: what a build at
#: it may change is a variable clock's -rtc base= alone
OTHER_EPOCH = PINNED_EPOCH + 32 * 86_400 + 3_661


@lru_cache(maxsize=1)
def _profile() -> Any:
    from virtconform.engine.caps.profiles import get_profile
    return get_profile("libvirt-test")


@lru_cache(maxsize=1)
def _conf() -> Any:
    """The driver settings of libvirt's test host (hugetlbfs mounted at /dev/hugepages), so
    documents with <memoryBacking><hugepages/> build as they do there."""
    from virtconform.engine.caps.qemuconf import QemuConf
    return QemuConf(hugetlbfs_mount="/dev/hugepages")


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


def _command_line(dom: Any, flags: frozenset[str], now: int | None = None) -> Any:
    """The CommandLine at the pinned instant (or ``now``), or None when the builder refuses."""
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.qemu.builder import build_command_line
    try:
        return build_command_line(dom, flags, profile=_profile(), conf=_conf(),
                                  now=PINNED_EPOCH if now is None else now)
    except VirtconformError:
        return None


def _build(dom: Any, flags: frozenset[str]) -> list[str] | None:
    """argv at the pinned instant, or None when the builder refuses with a reason."""
    cmd = _command_line(dom, flags)
    return None if cmd is None else cmd.argv


class Analysis:
    """What several properties need of one document, computed once: the tree, the defaulted
    domain, the command line of each capability set. A campaign checks every property on
    the same document, so loading and building are shared (each property still gets the
    same answers it would compute alone)."""

    def __init__(self, xml: str) -> None:
        self.xml = xml
        self.root = etree.fromstring(xml.encode())
        self._dom: Any = None
        self._xml2xml: str | None = None
        #: the model's refusal of the document (a VirtconformError), once loading was tried
        self.refusal: Any = None
        self._cmds: dict[frozenset[str], Any] = {}

    @property
    def dom(self) -> Any:
        """The defaulted domain; Skip when the model refuses the document."""
        if self.refusal is not None:
            raise Skip(f"not loadable: {self.refusal.message}")
        if self._dom is None:
            from virtconform.engine.errors import VirtconformError
            from virtconform.engine.loader import domain_from_string
            try:
                self._dom = domain_from_string(self.xml, _profile().capabilities)
            except VirtconformError as e:
                self.refusal = e
                raise Skip(f"not loadable: {e.message}") from None
        return self._dom

    def xml2xml(self) -> str:
        """The domain formatted (xml2xml's output)."""
        if self._xml2xml is None:
            self._xml2xml = self.dom.to_xml()
        return self._xml2xml

    def outcome(self, flags: frozenset[str]) -> Any:
        """The CommandLine for ``flags``, or the builder's refusal (a VirtconformError);
        anything else the builder raises propagates (a failure of whichever property asked)."""
        if flags not in self._cmds:
            from virtconform.engine.errors import VirtconformError
            from virtconform.engine.qemu.builder import build_command_line
            try:
                self._cmds[flags] = build_command_line(self.dom, flags, profile=_profile(), conf=_conf(),
                                                          now=PINNED_EPOCH)
            except VirtconformError as e:
                self._cmds[flags] = e
        return self._cmds[flags]

    def outcomes(self) -> dict[frozenset[str], Any]:
        """Every outcome computed so far, by flag set."""
        return dict(self._cmds)

    def command_line(self, flags: frozenset[str]) -> Any:
        """The CommandLine for ``flags``, or None when the builder refuses."""
        out = self.outcome(flags)
        return out if hasattr(out, "argv") else None

    def built(self, sets: dict[str, frozenset[str]]) -> list[tuple[str, list[str]]]:
        """(set name, argv) of every set that builds; Skip when all refuse."""
        out = [(name, cmd.argv) for name, flags in sets.items() if (cmd := self.command_line(flags))]
        if not out:
            raise Skip("every capability set refuses this domain")
        return out


@lru_cache(maxsize=4)
def analysis(xml: str) -> Analysis:
    return Analysis(xml)


def _built_any(xml: str, sets: dict[str, frozenset[str]]) -> list[tuple[str, list[str]]]:
    return analysis(xml).built(sets)


# ---------------------------------------------------------------- properties
def prop_validates(xml: str) -> None:
    """Generated documents are schema-valid."""
    from virtconform.engine import schema, xmlio
    problems = schema.validate(xmlio.parse_bytes(xml.encode(), "<generated>"))
    assert not problems, "; ".join(f"{p.line}:{p.column}: {p.message}" for p in problems[:3])


def prop_xml2xml_fixed_point(xml: str) -> None:
    """xml2xml reaches its fixed point by the second round, f(f(f(x))) == f(f(x)), and the
    formatted domain loads again. Not always in one round, as in libvirt: its formatter
    leaves out some values its parser then defaults (a video vram of 0 comes back as the
    default 9216); agrees-with-libvirt holds the first round to libvirt's own."""
    from virtconform.engine.errors import DocumentError, VirtconformError
    from virtconform.engine.loader import domain_from_string
    caps = _profile().capabilities
    try:
        rounds = [analysis(xml).xml2xml()]
    except VirtconformError as e:  # as libvirt's formatter, xml2xml refuses what it cannot print
        raise Skip(f"xml2xml refuses it: {e.message}") from None
    while len(rounds) < 3:
        try:
            rounds.append(domain_from_string(rounds[-1], caps).to_xml())
        except DocumentError as e:
            # libvirt prints some values as they are (a seclabel model, a CPU model, a
            # chardev host...): with an XML special in them its output is not XML
            raise Skip(f"libvirt's output is not well-formed here: {e.message}") from None
        except VirtconformError as e:
            raise AssertionError(f"the formatted domain does not load again: {e.format()}") from None
        if rounds[-1] == rounds[-2]:
            return
    assert rounds[2] == rounds[1], f"still changing in the third round: {_first_diff(rounds[1], rounds[2])}"


def prop_argv_deterministic(xml: str) -> None:
    """The same document, flags and instant give the same command line, and another instant
    changes nothing but a variable clock's ``-rtc base=``: a second, independent load of the
    document is built for every capability set at OTHER_EPOCH (and, for a variable clock,
    at PINNED_EPOCH too) and compared with the first load's build at PINNED_EPOCH."""
    first = analysis(xml)
    again = _load(xml)
    variable = getattr(again.clock, "offset", None) == "variable"
    for name, flags in _flag_sets().items():
        a = first.command_line(flags)
        a_text = a.render() if a else "refused"
        later = _command_line(again, flags, OTHER_EPOCH)
        later_text = later.render() if later else "refused"
        if not variable:
            assert later_text == a_text, f"{name}: two builds differ: {_first_diff(a_text, later_text)}"
            continue
        b = _command_line(again, flags)
        b_text = b.render() if b else "refused"
        assert a_text == b_text, f"{name}: two builds at the same instant differ: {_first_diff(a_text, b_text)}"
        a_rest, later_rest = _RTC_BASE.sub("base=*", a_text), _RTC_BASE.sub("base=*", later_text)
        assert a_rest == later_rest, \
            f"{name}: another instant changes more than -rtc base=: {_first_diff(a_rest, later_rest)}"


#: the date -rtc gives a variable clock (libvirt's %d-%d-%dT%d:%d:%d)
_RTC_BASE = re.compile(r"base=\d+-\d+-\d+T\d+:\d+:\d+")


def prop_argv_total(xml: str) -> None:
    """For every named capability set: a command line, or a refusal with a reason - nothing else."""
    a = analysis(xml)
    a.dom  # noqa: B018 - a document the model refuses is outside this property (Skip)
    for name, flags in _flag_sets().items():
        try:
            cmd = a.outcome(flags)
        except Exception as e:  # noqa: BLE001 - this is what the property is about
            raise AssertionError(f"{name}: {type(e).__name__}: {e}") from e
        if not hasattr(cmd, "argv"):
            assert cmd.message.strip(), f"{name}: refusal without a reason"
            continue
        assert cmd.argv and all(isinstance(w, str) for w in cmd.argv), f"{name}: empty argv"
        for w in cmd.argv:
            assert "\n" not in w and "\x00" not in w, f"{name}: control character in {w!r}"


def qemu_options(value: str) -> list[str]:
    """Split an option string the way QEMU does: ``,`` separates, ``,,`` is a literal comma."""
    if ",," not in value:  # most option strings: a plain split (the scan below is 20x slower)
        return value.split(",")
    from virtconform.engine.qemu.escape import split_options
    return split_options(value)


_ID_OPTIONS = ("-device", "-chardev", "-netdev", "-drive")
_COMMA_OPTIONS = frozenset(_ID_OPTIONS + ("-name", "-net", "-serial", "-parallel", "-monitor", "-vnc",
                                          "-smp", "-usbdevice", "-pcidevice", "-sdl", "-boot"))


#: values of those options QEMU takes as they are (a file or device name, no option syntax)
_RAW_VALUES = {"-serial": ("file:", "pipe:", "/"), "-parallel": ("file:", "pipe:", "/"),
               "-usbdevice": ("disk:",)}


def _option_values(argv: list[str]) -> list[tuple[str, list[str]]]:
    return [(argv[i], qemu_options(argv[i + 1])) for i in range(len(argv) - 1)
            if argv[i] in _COMMA_OPTIONS and not argv[i + 1].startswith(_RAW_VALUES.get(argv[i], "\0"))]


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
    root = analysis(xml).root
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


def set_name(flags: frozenset[str]) -> str:
    """The name of a capability set the properties use (its flags when unnamed)."""
    for name, f in _flag_sets().items():
        if f == flags:
            return name
    return ",".join(sorted(flags))


def prop_argv2xml_total(xml: str) -> None:
    """The reader takes every command line the builder writes: a domain (with located
    warnings for what it drops) or a refusal with a reason; the domain it reads formats,
    loads again, and builds or is refused with a reason - nothing else. Two capability sets
    per document (reader_sets): a campaign goes through all of them."""
    from virtconform.engine.loader import domain_from_string
    a = analysis(xml)
    caps = _profile().capabilities
    read = 0
    for name, flags in reader_sets(xml).items():
        cmd = a.command_line(flags)
        if cmd is None:
            continue
        line = cmd.render()
        reading = read_command_line(line)
        if reading.error is not None:
            _refusal(reading.error, f"{name}: {reading.step}")
            continue
        read += 1
        for w in reading.warnings:
            _assert_located(w, line, name)
        step = "loading the domain read back"
        try:
            dom = domain_from_string(reading.xml, caps)
            step = "building the domain read back"
            build_command_line_pinned(dom, flags)
        except Exception as e:  # noqa: BLE001 - this is what the property is about
            _refusal(e, f"{name}: {step}")
    if not read:
        raise Skip("every capability set refuses this domain")


@dataclass(frozen=True)
class Reading:
    """argv2xml of one command line: the domain's XML and the reader's warnings, or what
    went wrong (``error``) at which ``step``."""

    xml: str | None
    warnings: tuple[Any, ...] = ()
    error: BaseException | None = None
    step: str = "reading the builder's command line"


@lru_cache(maxsize=2048)
def read_command_line(line: str) -> Reading:
    """argv2xml of ``line``, read once for every property that reads it (argv2xml-total
    reads the builder's lines, the differential properties libvirt's, mostly the same)."""
    from virtconform.engine.qemu import argvparse
    step = "reading the builder's command line"
    try:
        conv = argvparse.convert(line, _profile().capabilities, "<argv>")
        step = "formatting the domain read back"
        return Reading(conv.xml, tuple(conv.warnings))
    except Exception as e:  # noqa: BLE001 - kept for whoever reads the line
        return Reading(None, error=e, step=step)


def clear_caches() -> None:
    """Forget what was computed of documents and command lines (tests that plant a bug
    in the engine must not get answers computed without it)."""
    analysis.cache_clear()
    read_command_line.cache_clear()
    for hook in _CACHE_HOOKS:
        hook()


#: further caches to clear with clear_caches (the differential properties register theirs)
_CACHE_HOOKS: list[Callable[[], None]] = []


def reader_sets(xml: str) -> dict[str, frozenset[str]]:
    """The capability sets argv2xml-total reads a document's command lines of: every set
    with ``device`` and one without, chosen by the document's digest (the same document,
    the same sets; reading is the cost of the property, so not all of them each time)."""
    import hashlib
    sets = _flag_sets()
    legacy = sorted(n for n, f in sets.items() if "device" not in f)
    pick = legacy[hashlib.blake2b(xml.encode(), digest_size=4).digest()[0] % len(legacy)] if legacy else None
    return {n: f for n, f in sets.items() if "device" in f or n == pick}


def _refusal(e: BaseException, where: str) -> None:
    """A refusal with a reason passes; anything else is the failure."""
    from virtconform.engine.errors import VirtconformError
    if not isinstance(e, VirtconformError):
        raise AssertionError(f"{where}: {type(e).__name__}: {e}") from e
    assert e.message.strip(), f"{where}: a refusal without a reason"


def _assert_located(w: Any, line: str, name: str) -> None:
    """A warning of the reader points at the argument it names (at the word's opening
    quote, for a word libvirt's splitter reads as quoted)."""
    m = re.search(r"argument '(.*)' during", w.message)
    at = line[w.col - 1:] if w.line == 1 and w.col >= 1 else ""
    assert m is None or at.startswith(m.group(1)) or (at[:1] in "'\"" and at[1:].startswith(m.group(1))), \
        f"{name}: warning {w.format()!r} does not point at {m.group(1)!r} (column {w.col}: {at[:30]!r})"


def build_command_line_pinned(dom: Any, flags: frozenset[str], now: int = 0) -> Any:
    """The CommandLine of ``dom`` at PINNED_EPOCH (or ``now``); refusals raise."""
    from virtconform.engine.qemu.builder import build_command_line
    return build_command_line(dom, flags, profile=_profile(), conf=_conf(), now=now or PINNED_EPOCH)

def prop_no_option_injection(xml: str) -> None:
    """Values that reach a comma-separated QEMU option stay within one option (commas doubled)."""
    root = analysis(xml).root
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


#: the share of examples a property may skip before its run counts as a failure: a property
#: that skips most documents checks little while looking busy
MAX_SKIP = 0.5
#: how sure a run must be that a property skips more than its bound before it fails: the
#: normal quantile of a one-sided 99% bound
_Z = 2.326


def skips_beyond_bound(skipped: int, tried: int, bound: float) -> bool:
    """Whether ``skipped`` of ``tried`` examples show, with 99% confidence, a skip rate above
    ``bound`` (the Wilson score interval's lower end is above it). A short run's rate is
    noisy: a property skipping 55% of its documents reads as 80% in one run of 20 and
    30% in the next; a property that skips all of them fails from 23 examples on."""
    if tried <= 0:
        return False
    p = skipped / tried
    z2 = _Z * _Z
    centre = p + z2 / (2 * tried)
    spread = _Z * ((p * (1 - p) + z2 / (4 * tried)) / tried) ** 0.5
    return (centre - spread) / (1 + z2 / tried) > bound


@dataclass(frozen=True)
class Property:
    """A named check of one domain document.

    ``kinds``: the generated documents it holds for, ``plain`` and/or ``hostile`` (commas and
    XML specials in values). ``max_skip``: the largest share of skipped examples that still
    counts as a real run (tests and campaigns fail a property above it). ``unavailable``:
    None when the property can run here, else why not (e.g. an absent oracle); such a
    property is left out. ``batch``: the same check over many documents at once, for a
    property whose cost is mostly per call (an outside process): per document None (holds),
    a Skip, or the failure; campaigns give it their documents in batches. ``warm``: what a
    batched property can compute of one document while the campaign's shared analysis of it
    (``analysis``) is at hand; the batch, run later, finds it done.
    """

    name: str
    check: Callable[[str], None]
    kinds: tuple[str, ...] = ("plain",)
    max_skip: float = MAX_SKIP
    unavailable: Callable[[], str | None] = field(default=lambda: None, compare=False)
    batch: Callable[[list[str]], list[BaseException | None]] | None = field(default=None, compare=False)
    warm: Callable[[str], None] | None = field(default=None, compare=False)

    def outcomes(self, xmls: list[str]) -> list[BaseException | None]:
        """Per document: None when the property holds, a Skip, or the failure (an exception)."""
        if self.batch is not None:
            return self.batch(xmls)
        out: list[BaseException | None] = []
        for xml in xmls:
            try:
                self.check(xml)
                out.append(None)
            except Exception as e:  # noqa: BLE001 - the outcome, whatever it is
                out.append(e)
        return out

    @property
    def hostile(self) -> bool:
        """Whether its own test draws hostile documents (the harder kind it holds for)."""
        return "hostile" in self.kinds

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]


PROPERTIES: dict[str, Property] = {}
BOTH = ("plain", "hostile")


def register(prop: Property) -> Property:
    """Add a property to the suite that tests and ``fuzz`` run (names are unique)."""
    if prop.name in PROPERTIES:
        raise ValueError(f"property {prop.name} is already registered")
    PROPERTIES[prop.name] = prop
    return prop


def available() -> dict[str, Property]:
    """The registered properties that can run on this machine."""
    return {n: p for n, p in PROPERTIES.items() if p.unavailable() is None}


for _p in [
    Property("validates", prop_validates, kinds=BOTH),
    Property("xml2xml-fixed-point", prop_xml2xml_fixed_point, kinds=BOTH),
    Property("argv-deterministic", prop_argv_deterministic, kinds=BOTH),
    Property("argv-total", prop_argv_total, kinds=BOTH),
    # these need a document that some capability set builds: about 45% of generated
    # domains use something libvirt 0.8.3 refuses with every set (timer names, CPU models,
    # balloon models, ...), so they may skip up to 60%
    Property("unique-ids", prop_unique_ids, kinds=BOTH, max_skip=0.6),
    Property("devices-present", prop_devices_present, kinds=BOTH, max_skip=0.6),
    Property("argv2xml-total", prop_argv2xml_total, kinds=BOTH, max_skip=0.6),
    # its domain is documents that some set builds AND that have a comma in a value, which
    # the hostile generator writes into some values only
    Property("no-option-injection", prop_no_option_injection, kinds=("hostile",), max_skip=0.8),
]:
    register(_p)


def run_one(prop: Property, xml: str) -> bool:
    """Run a property; False when it was skipped. Failures raise AssertionError (or worse)."""
    try:
        prop.check(xml)
    except Skip:
        return False
    return True


def skip_reason(e: Skip) -> str:
    """A skip's reason with the document's own values blurred, so reasons group."""
    import re
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", str(e))[:100]


__all__ = ["MAX_SKIP", "OTHER_EPOCH", "PINNED_EPOCH", "PROPERTIES", "Property", "Reading", "Skip", "analysis",
           "available", "clear_caches", "qemu_options", "read_command_line", "register", "run_one", "skip_reason",
           "skips_beyond_bound"]
