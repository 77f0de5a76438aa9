"""libvirt 0.8.3's post-parse defaults and formatting rules, one rule per test."""
from __future__ import annotations

import subprocess
import sys

import pytest

from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.errors import VirtconformError
from virtconform.engine.loader import domain_from_string
from virtconform.engine.model.disk import disk_index, disk_name
from virtconform.engine.model.domain import CpuSet

CAPS = get_profile("libvirt-test").capabilities


def dom(devices: str = "", *, virt: str = "qemu", os: str = "<type arch='i686' machine='pc'>hvm</type>",
        extra: str = ""):
    xml = f"""<domain type='{virt}'>
  <name>t</name>
  <memory>65536</memory>{extra}
  <os>
    {os}
  </os>
  <devices>
{devices}  </devices>
</domain>
"""
    return domain_from_string(xml, CAPS)


def test_disk_index_and_name_are_inverse() -> None:
    for i in (0, 1, 25, 26, 27, 701, 702):
        assert disk_index(disk_name("sd", i)) == i
    assert disk_index("hda") == 0 and disk_index("sdaa") == 26
    assert disk_index("hda1") == -1 and disk_index("foo") == -1


@pytest.mark.parametrize("target,bus,addr", [
    ("hdd", "ide", (0, 1, 1)), ("hde", "ide", (1, 0, 0)), ("sdh", "scsi", (1, 0, 0)),
    ("fdb", "fdc", (0, 0, 1)),
])
def test_drive_address_from_target_name(target, bus, addr) -> None:
    device = "floppy" if bus == "fdc" else "disk"
    d = dom(f"""    <disk type='file' device='{device}'>
      <source file='/x.img'/>
      <target dev='{target}'/>
    </disk>
""")
    disk = d.devices.disks[0]
    assert disk.bus == bus
    a = disk.address
    assert (a.controller, a.bus, a.unit) == addr
    # an implicit controller for every controller index up to the highest used
    assert [(c.type, c.index) for c in d.devices.controllers] == [(bus, i) for i in range(addr[0] + 1)]


def _wrapped_int32_index(name: str) -> int:
    """virDiskNameToIndex written out in unbounded integers, then read as a C int at each step."""
    idx = 0
    for i, ch in enumerate(name[2:]):
        idx = ((idx + (1 if i else 0)) * 26 + ord(ch) - 97) % 2**32
        idx = idx - 2**32 if idx >= 2**31 else idx
    return idx


@pytest.mark.parametrize("name", ["sdvjhssffey", "sdnaswigqlf", "sdcejwzvov", "sdemulatorb", "hdzzzzzzzzzzzz"])
def test_a_long_disk_name_wraps_like_a_c_int(name: str) -> None:
    """Seen with libvirt's own code: 'sdvjhssffey' is controller 235 unit 5 (1650), and
    'sdemulatorb' no disk name at all (negative), not a controller in the trillions."""
    assert disk_index(name) == _wrapped_int32_index(name)
    assert -(2**31) <= disk_index(name) < 2**31
    assert disk_index("sdvjhssffey") == 1650 and disk_index("sdemulatorb") < 0


def _scsi_disk(target: str, address: str = "") -> str:
    return f"""    <disk type='file' device='disk'>
      <source file='/x.img'/>
      <target dev='{target}'/>{address}
    </disk>
"""


def test_wrapped_name_gives_its_controllers_and_negative_index_fails() -> None:
    d = dom(_scsi_disk("sdvjhssffey"))
    a = d.devices.disks[0].address
    assert (a.controller, a.unit) == (235, 5) and len(d.devices.controllers) == 236
    with pytest.raises(VirtconformError, match="sdemulatorb"):
        dom(_scsi_disk("sdemulatorb"))


@pytest.mark.parametrize("target,address,count", [
    ("sdzzzzzz", "", 45896058),
    ("sda", "<address type='drive' controller='2000000000' bus='0' unit='0'/>", 2000000001),
])
def test_implied_controllers_beyond_the_bound_are_refused_at_the_disk(target, address, count) -> None:
    """docs/deviations.md implied-controllers: libvirt would not finish listing them."""
    with pytest.raises(VirtconformError, match=f"implies {count} scsi controllers") as e:
        dom(_scsi_disk(target, address))
    assert e.value.line == 8  # the <disk>


def test_implied_controllers_up_to_the_bound_are_listed() -> None:
    d = dom(_scsi_disk("sdzzzz"))
    assert [c.index for c in d.devices.controllers] == list(range(67894))


def test_virtio_disk_has_no_drive_address() -> None:
    d = dom("""    <disk type='file' device='disk'>
      <source file='/x.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
""")
    assert d.devices.disks[0].address is None and d.devices.controllers == []


def test_virtio_serial_controllers_for_every_referenced_index_without_ports() -> None:
    d = dom("""    <channel type='pty'>
      <target type='virtio' name='a'/>
      <address type='virtio-serial' controller='2' bus='0'/>
    </channel>
    <channel type='pty'>
      <target type='virtio' name='b'/>
    </channel>
""")
    ctrls = [(c.type, c.index, c.ports, c.vectors) for c in d.devices.controllers]
    assert ctrls == [("virtio-serial", 2, None, None), ("virtio-serial", 0, None, None)]
    # an unnumbered port follows the highest one before it on its controller, from -1
    assert [ch.address.port for ch in d.devices.channels] == [0, 0]


def test_memballoon_default_depends_on_virt_type() -> None:
    assert dom().devices.memballoon.model == "virtio"
    xen = dom(virt="kvm", os="<type arch='x86_64' machine='xenner'>xen</type>")
    assert xen.devices.memballoon.model == "virtio"


def test_default_machine_emulator_and_boot() -> None:
    d = dom(virt="kvm", os="<type arch='x86_64'>hvm</type>")
    assert d.machine == "pc" and d.devices.emulator == "/usr/bin/kvm"
    assert d.os.boot_devs == ["hd"]
    q = dom(os="<type arch='x86_64'>hvm</type>")
    assert q.machine == "pc-0.11" and q.devices.emulator == "/usr/bin/qemu-system-x86_64"


def test_serial_is_echoed_as_console_and_console_becomes_serial() -> None:
    d = dom("""    <console type='pty'>
      <target port='0'/>
    </console>
""")
    assert len(d.devices.serials) == 1 and d.devices.consoles[0].type == "pty"
    out = d.to_xml()
    assert out.index("<serial type='pty'>") < out.index("<console type='pty'>")


def test_graphics_bring_implicit_mouse_and_video() -> None:
    d = dom("    <graphics type='vnc' autoport='yes'/>\n")
    out = d.to_xml()
    assert "<graphics type='vnc' port='-1' autoport='yes'/>" in out
    assert "<input type='mouse' bus='ps2'/>" in out
    assert "<model type='cirrus' vram='9216' heads='1'/>" in out


def test_cpuset_is_canonicalised() -> None:
    c = CpuSet()
    assert c.format(c.parse("0-3,^2, 8")) == "0-1,3,8"
    with pytest.raises(ValueError):
        c.parse("3-1")


def test_formatting_escapes_and_is_a_fixed_point() -> None:
    d = dom(extra="\n  <description>a &amp; b &lt;c&gt; 'q'</description>")
    out = d.to_xml()
    assert "<description>a &amp; b &lt;c&gt; &apos;q&apos;</description>" in out
    assert domain_from_string(out, CAPS).to_xml() == out


@pytest.mark.parametrize("bad,message", [
    ("<type arch='sparc'>hvm</type>", "not supported"),
    ("<type arch='x86_64' machine='xenner'>linux</type>", "unknown OS type linux"),
])
def test_unsupported_guests_are_located_errors(bad, message) -> None:
    with pytest.raises(VirtconformError, match=message) as e:
        dom(os=bad)
    assert e.value.line and e.value.column


def test_xml2xml_cli_reports_located_error_with_exit_1(tmp_path) -> None:
    f = tmp_path / "bad.xml"
    f.write_text("<domain type='qemu'>\n  <name>t</name>\n  <memory>1</memory>\n  <os>\n"
                 "    <type arch='i686'>hvm</type>\n  </os>\n  <clock offset='timezone'/>\n</domain>\n")
    p = subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "xml2xml", str(f)],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stderr.startswith(f"{f}:7:") and "timezone" in p.stderr and p.stderr.count("\n") == 1
