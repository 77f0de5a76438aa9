"""Device families of a crosscheck: derived from the engine's registry, each kind of
disagreement attributed to one, and the matrix family x release counted from what the run saw."""
from __future__ import annotations

import pytest

from virtconform.conformance.crosscheck import families as fam
from virtconform.engine.model.base import Child, Children
from virtconform.engine.model.domain import Devices
from virtconform.engine.qemu.registry import FAMILIES

DOC = """<domain type='qemu'><name>x</name><memory>1024</memory><os><type>hvm</type></os>
<devices><emulator>/usr/bin/qemu</emulator>{devices}</devices></domain>"""


def doc(*devices: str) -> str:
    return DOC.format(devices="".join(devices))


def test_the_rows_are_the_registrys_families_and_every_device_has_one() -> None:
    f = fam.registry()
    assert f.names[:len(FAMILIES)] == tuple(x.name for x in FAMILIES)
    kinds = {x.xml for x in vars(Devices).values() if isinstance(x, Child | Children)}
    assert kinds <= set(f.devices)                 # no kind of device is left without a row
    assert set(f.devices.values()) <= set(f.names)
    # a kind no family serves is a row of its own, marked so
    assert set(f.unserved) == {t for t in kinds if f.devices[t] == t and t not in {x.name for x in FAMILIES}}
    # <console> has a family (a paravirtualized guest's console keeps a PCI address), so none is left
    assert f.unserved == () and f.devices["console"] == "console"


@pytest.mark.parametrize(("element", "family"), [
    ("interface", "net"), ("disk", "disk"), ("memballoon", "memballoon"), ("serial", "serial"),
    ("channel", "channel"), ("hostdev", "hostdev"), ("emulator", "machine")])
def test_a_device_element_belongs_to_the_family_whose_accessor_reads_it(element: str, family: str) -> None:
    assert fam.registry().of_element("devices", element) == family


def test_the_domains_own_parts_are_the_machines_and_clock_is_its_own() -> None:
    f = fam.registry()
    assert f.of_element("clock") == "clock"
    assert {f.of_element(p) for p in ("os", "cpu", "vcpu", "memory", "features", "on_crash")} == {"machine"}
    assert f.of_element("nonsense") is None and f.of_element("devices", "nonsense") is None


def test_the_families_of_a_document() -> None:
    text = doc("<disk type='file' device='disk'><target dev='hda'/></disk>", "<interface type='user'/>",
               "<console type='pty'/>", "<unknown/>").replace("<devices>", "<clock offset='utc'/><devices>")
    assert fam.in_document(text) == {"machine", "clock", "disk", "net", "console"}
    assert fam.in_document("not <xml") == {"machine"}


@pytest.mark.parametrize(("kind", "families", "basis"), [
    ("xml2xml: /domain/devices/interface/virtualport/parameters/@instanceid differs", ("net",),
     "XML path /domain/devices/interface"),
    ("argv2xml: /domain/os/boot placed differently", ("machine",), "XML path /domain/os"),
    ("xml2xml: /domain/@type differs", ("machine",), "XML path /domain"),
    ("argv: -drive: boot= differs", ("disk",), "option -drive"),
    ("argv: -smp: value differs", ("machine",), "option -smp"),
    ("argv: -net only in ours", ("net",), "option -net"),
    ("argv: env LC_ALL= differs", ("machine",), "the emulator and its environment"),
])
def test_a_kind_that_names_its_place_is_attributed_by_it(kind: str, families: tuple[str, ...], basis: str) -> None:
    a = fam.attribute(kind, witness=doc("<sound model='es1370'/>"))
    assert (a.families, a.basis) == (families, basis)  # the witness is not asked


def test_an_option_several_families_read_is_narrowed_by_the_witness() -> None:
    a = fam.attribute("argv: -usbdevice: value differs", doc("<input type='tablet' bus='usb'/>"))
    assert a.families == ("input",) and "-usbdevice" in a.basis
    # a prefix reader (-sd...) does not take -sdl when the witness has no disk
    a = fam.attribute("argv: -sdl only in ours", doc("<graphics type='sdl'/>"))
    assert a.families == ("graphics",)


def test_other_kinds_are_attributed_by_what_the_witness_keeps() -> None:
    a = fam.attribute("argv: -device virtio-net-pci: mac= differs", doc("<interface type='user'/>"))
    assert a.families == ("net",) and a.basis == "minimized witness: <interface>"
    a = fam.attribute("argv: we refuse, libvirt builds: the cpuset leaves no CPU", doc())
    assert a.families == ("machine",) and "no device" in a.basis
    a = fam.attribute("argv: libvirt crashes, we build", doc("<disk type='file'/>", "<video/>"), "smallest seen")
    assert a.families == ("disk", "video") and a.basis.startswith("witness (not minimized)")
    assert fam.attribute("argv: spacing differs", None).families == ("machine",)


def test_the_matrix_counts_exposure_drift_and_what_is_apart() -> None:
    disk = doc("<disk type='file'/>")
    both = doc("<disk type='file'/>", "<interface type='user'/>")
    t = fam.Tally()
    t.add("argv", "s1", disk, fam.COMPARED)
    t.add("argv", "s1", both, fam.COMPARED, ["argv: -net: vlan= differs"])
    t.add("argv", "s1", both, fam.CRASH, ["argv: libvirt crashes, we build"])
    t.add("argv", "s2", both, fam.HOST)
    t.add("xml2xml", "", disk, fam.DELIBERATE)
    t.add("xml2xml", "", disk, fam.COMPARED, ["xml2xml: /domain/devices/memballoon only in ours"])
    t.add("argv2xml", "s1", both, fam.COMPARED)
    t.add("argv2xml", "s2", both, fam.COMPARED)
    attributions = {"argv: -net: vlan= differs": fam.Attribution(("net",), "option -net"),
                    "argv: libvirt crashes, we build": fam.Attribution(("disk",), "minimized witness: <disk>"),
                    "xml2xml: /domain/devices/memballoon only in ours":
                        fam.Attribution(("memballoon",), "XML path /domain/devices/memballoon")}
    m = fam.matrix(t, fam.columns(["xml2xml", "argv", "argv2xml"], ["s1", "s2"]), attributions)
    assert [c["id"] for c in m["columns"]] == ["xml2xml", "argv:s1", "argv:s2", "argv2xml"]
    cells = {(c["family"], c["column"]): c for c in m["cells"]}

    def nums(f: str, col: str) -> tuple[int, ...]:
        c = cells[(f, col)]
        return c["compared"], c["agree"], c["drift"], c["libvirt_crashes"], c["deliberate"], c["host_dependent"]

    assert nums("disk", "argv:s1") == (2, 2, 0, 1, 0, 0)     # the crash is counted apart
    assert nums("net", "argv:s1") == (1, 0, 1, 0, 0, 0)
    assert nums("machine", "argv:s1") == (2, 2, 0, 0, 0, 0)  # every document has the machine
    assert nums("net", "argv:s2") == (0, 0, 0, 0, 0, 1)
    # a family the document lacks but the difference names is compared there too
    assert nums("memballoon", "xml2xml") == (1, 0, 1, 0, 0, 0)
    assert nums("disk", "xml2xml") == (1, 1, 0, 0, 1, 0)
    assert nums("net", "argv2xml") == (2, 2, 0, 0, 0, 0)     # argv2xml: every set in one column
    assert cells[("net", "argv:s1")]["kinds"] == {"argv: -net: vlan= differs": 1}
    rows = {r["family"]: r for r in m["rows"]}
    assert rows["net"]["drift"] == 1 and rows["sound"]["exercised"] is False
    assert rows["console"]["in_registry"] is True
