"""argv2xml: the reference cases, located errors, and the argv -> xml -> argv round trip."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import reference_suite
from virtconform.conformance.suites.shared import blank
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.errors import ConfigError, DocumentError, VirtconformError
from virtconform.engine.qemu.argvparse import parse_argv_text
from virtconform.engine.qemu.argvsplit import split_command_line, tokenize

PROFILE = get_profile("libvirt-test")
CAPS = PROFILE.capabilities
ENV = "LC_ALL=C PATH=/bin HOME=/home/test USER=test LOGNAME=test"
BASE = (f"{ENV} /usr/bin/qemu -S -M pc -m 214 -smp 1 -nographic -monitor "
        "unix:/tmp/test-monitor,server,nowait -no-acpi -boot c -hda /dev/HostVG/QEMUGuest1 "
        "-net none -serial none -parallel none -usb")


def xml_of(args: str) -> str:
    return parse_argv_text(args, CAPS, "t.args").to_xml()


def _cases() -> list[str]:
    suite = reference_suite()
    if suite is None:
        return []
    return sorted({c["name"] for c in json.loads((suite / "manifest.json").read_text())["argv2xml"]})


@pytest.mark.parametrize("name", _cases() or [pytest.param("none", marks=pytest.mark.skip("no ../shared"))])
def test_reference_case(name: str) -> None:
    suite = reference_suite()
    assert suite is not None
    got = xml_of((suite / "data" / f"{name}.args").read_text())
    want = (suite / "data" / f"{name}.xml").read_text()
    assert blank(got) == blank(want)


def test_reference_outputs_validate_against_schema() -> None:
    suite = reference_suite()
    if suite is None:
        pytest.skip("../shared absent")
    from virtconform.engine import schema
    from virtconform.engine.xmlio import parse_bytes
    for name in _cases():
        doc = parse_bytes(xml_of((suite / "data" / f"{name}.args").read_text()).encode(), name)
        assert schema.validate(doc) == [], name


# --------------------------------------------------------------------------- tokenising

def test_environment_emulator_and_quoting() -> None:
    cmd = split_command_line("A=1 B= /usr/bin/qemu -name 'my guest' -append \"a \\\"b\\\" c\"\n")
    assert cmd.env == [("A", "1"), ("B", "")]
    assert cmd.emulator.text == "/usr/bin/qemu"
    assert [t.text for t in cmd.args] == ["-name", "my guest", "-append", 'a "b" c']
    assert cmd.args[1].col == 28


def test_tokens_know_their_line() -> None:
    toks = tokenize("/usr/bin/qemu\n  -m 12")
    assert [(t.text, t.line, t.col) for t in toks] == [("/usr/bin/qemu", 1, 1), ("-m", 2, 3), ("12", 2, 6)]


def test_unterminated_quote_is_located() -> None:
    with pytest.raises(DocumentError) as e:
        split_command_line("/usr/bin/qemu -name 'x", "f.args")
    assert (e.value.line, e.value.column) == (1, 21)


# --------------------------------------------------------------------------- conversion rules

def test_defaults_of_a_bare_command_line() -> None:
    xml = xml_of("/usr/bin/qemu-system-x86_64")
    assert "<domain type='qemu'>" in xml
    assert "<name>unnamed</name>" in xml
    assert "<memory>65536</memory>" in xml and "<currentMemory>65536</currentMemory>" in xml
    assert "<type arch='x86_64' machine='pc-0.11'>hvm</type>" in xml  # caps default machine
    assert "<features>\n    <acpi/>\n  </features>" in xml
    assert "<graphics type='sdl'/>" in xml  # no -nographic: SDL
    assert "<model type='cirrus' vram='9216' heads='1'/>" in xml
    assert "<memballoon model='virtio'/>" in xml


def test_uuid_is_deterministic_and_depends_on_the_command_line() -> None:
    a, b = parse_argv_text(BASE, CAPS), parse_argv_text(BASE, CAPS)
    c = parse_argv_text(BASE + " -localtime", CAPS)
    assert a.uuid == b.uuid != c.uuid


def test_kvm_emulator_gets_pae_and_no_kvm_turns_it_back() -> None:
    xml = xml_of("/usr/bin/kvm -nographic")
    assert "<domain type='kvm'>" in xml and "<pae/>" in xml and "<acpi/>" in xml
    assert "<domain type='qemu'>" in xml_of("/usr/bin/kvm -nographic -no-kvm")


def test_xenner_is_a_kvm_xen_guest_with_xen_mouse() -> None:
    xml = xml_of("/usr/bin/xenner -vnc :1")
    assert "<domain type='kvm'>" in xml and ">xen</type>" in xml
    assert "<input type='mouse' bus='xen'/>" in xml


def test_vnc_display_and_autoport() -> None:
    assert "<graphics type='vnc' port='5907' autoport='no' listen='0.0.0.0'/>" in xml_of(
        "/usr/bin/qemu -vnc 0.0.0.0:7")
    assert "<graphics type='vnc' port='-1' autoport='yes'/>" in xml_of("/usr/bin/qemu -vnc foo")


def test_drive_index_bus_unit_and_virtio_count() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -drive file=/a,if=virtio -drive file=/b,if=scsi,bus=1,unit=2 "
                 "-drive file=/c,if=virtio,index=5 -drive file=/d,if=virtio -drive file=/e,if=xen,unit=1")
    for dev in ("vda", "sdj", "vdf", "vdc", "xvdb"):  # vdc: the third virtio drive
        assert f"<target dev='{dev}'" in xml
    assert "<address type='drive' controller='1' bus='0' unit='2'/>" in xml  # sdj: index 9


def test_drive_options() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -drive file=/dev/sdb,if=ide,index=1,format=qcow2,cache=on,"
                 "werror=ignore,readonly=on,serial=XYZ")
    assert "<disk type='block' device='disk'>" in xml
    assert "<driver name='qemu' type='qcow2' cache='writeback' error_policy='ignore'/>" in xml
    assert "<readonly/>" in xml and "<serial>XYZ</serial>" in xml


def test_net_pairs_nic_by_vlan() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -net nic,macaddr=52:54:00:00:00:01,vlan=1,model=e1000 "
                 "-net nic,macaddr=52:54:00:00:00:00,vlan=0 -net user,vlan=0 "
                 "-net tap,ifname=tap7,script=/s,vlan=1")
    user, eth = xml.index("<interface type='user'>"), xml.index("<interface type='ethernet'>")
    assert user < eth
    assert xml.index("52:54:00:00:00:00") < eth < xml.index("52:54:00:00:00:01")
    assert "<target dev='tap7'/>" in xml and "<model type='e1000'/>" in xml


def test_chardev_syntaxes() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -serial unix:/s,server,nowait -serial pipe:/p "
                 "-parallel udp:1.2.3.4:99@:98 -serial stdio")
    assert "<source mode='bind' path='/s'/>" in xml
    assert "<serial type='pipe'>" in xml and "<target port='1'/>" in xml
    assert "<source mode='bind' service='98'/>" in xml
    assert "<serial type='stdio'>" in xml and "<target port='2'/>" in xml
    assert xml.count("<console type='unix'>") == 1


def test_usb_and_pci_hostdevs() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -usbdevice host:3.12 -usbdevice host:1d6b:0002 "
                 "-pcidevice host=0a:1f.7")
    assert "<address bus='3' device='12'/>" in xml
    assert "<vendor id='0x1d6b'/>" in xml and "<product id='0x0002'/>" in xml
    assert "<address domain='0x0000' bus='0x0a' slot='0x1f' function='0x7'/>" in xml


def test_boot_letters_stop_at_comma() -> None:
    xml = xml_of("/usr/bin/qemu -nographic -boot ndc,menu=on")
    assert re.findall(r"<boot dev='(\w+)'/>", xml) == ["network", "cdrom", "hd"]


def test_kernel_and_sdl_fullscreen() -> None:
    xml = xml_of("DISPLAY=:1 /usr/bin/qemu -kernel /k -initrd /i -append 'root=/dev/sda ro' -full-screen")
    assert "<kernel>/k</kernel>" in xml and "<cmdline>root=/dev/sda ro</cmdline>" in xml
    assert "<graphics type='sdl' display=':1' fullscreen='yes'/>" in xml


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize(("args", "col", "msg"), [
    ("-frobnicate", 15, "unsupported QEMU argument '-frobnicate'"),
    ("-m", 15, "missing value for -m argument"),
    ("-m 12x", 18, "cannot parse memory level '12x'"),
    ("-smp 0", 20, "cannot parse CPU count"),
    ("-drive if=ide,index=0", 22, "missing file parameter"),
    ("-drive file=/a", 22, "missing index/unit/bus parameter"),
    ("-drive file=/a,if=ide,index=0,aio=native", 22, "unsupported drive option 'aio'"),
    ("-drive file=/a,if=sata,index=0", 22, "unsupported drive interface 'sata'"),
    ("-drive garbage", 22, "malformed keyword arguments"),
    ("-serial tcp:host", 23, "cannot find port number"),
    ("-serial bogus", 23, "unknown character device syntax"),
    ("-usbdevice host:1.x", 26, "cannot extract USB device address"),
    ("-pcidevice 01:02.3", 26, "unknown PCI device syntax"),
    ("-net user", 20, "cannot find NIC definition for vlan 0"),
    ("-vga hercules", 20, "unknown video adapter type"),
    ("-uuid nope", 21, "cannot parse UUID"),
    ("-soundhw gus", 24, "unsupported sound model 'gus'"),
    ("-hda disk.img", 20, "disk file 'disk.img' is not a valid absolute file path"),
    ("-vnc localhost:1", 20, "VNC listen address 'localhost' is not a valid IP address"),
    ("-net nic,macaddr=00:11:22:33:44:-6 -net user", 20, "unable to parse mac address"),
    ("-net nic,vlan=1 -net user,vlan=1 -net nic,vlan=2", 53, "-net nic on vlan 2 has no host side"),
    ("-net nic,model=e1000,bogus=1 -net user", 20, "unsupported option 'bogus' for -net nic"),
    ("-serial file:log", 23, "not a valid absolute file path"),
    ("-name 'a\x01b'", 21, "control character 0x01"),
])
def test_errors_name_the_argument_and_point_at_it(args: str, col: int, msg: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_argv_text(f"/usr/bin/qemu {args}", CAPS, "f.args")
    assert msg in e.value.message
    assert (e.value.path, e.value.line, e.value.column) == ("f.args", 1, col)
    assert e.value.exit_status == 1


def test_emulator_arch_and_machine_must_fit_the_schema() -> None:
    with pytest.raises(ConfigError, match="architecture 'arm'") as e:
        parse_argv_text("A=1 /usr/bin/qemu-system-arm", CAPS, "f.args")
    assert (e.value.line, e.value.column) == (1, 5)
    with pytest.raises(ConfigError, match="machine type 'pc' is not one of xenpv, xenner") as e:
        parse_argv_text("/usr/bin/xenner -M pc", CAPS, "f.args")
    assert e.value.column == 20
    with pytest.raises(ConfigError, match="emulator 'qemu' is not a valid absolute file path"):
        parse_argv_text("qemu -m 1", CAPS, "f.args")
    with pytest.raises(ConfigError, match="-bootloader is only for xen guests"):
        parse_argv_text("/usr/bin/qemu -bootloader /b", CAPS, "f.args")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "argv2xml", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_prints_xml_and_located_errors(tmp_path: Path) -> None:
    good = tmp_path / "g.args"
    good.write_text(BASE + "\n")
    r = _cli(str(good))
    assert r.returncode == 0 and r.stdout.startswith("<domain type='qemu'>") and r.stderr == ""
    bad = tmp_path / "b.args"
    bad.write_text("/usr/bin/qemu -m 64 -bogus\n")
    r = _cli(str(bad))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"{bad}:1:21: unsupported QEMU argument '-bogus'\n"


def test_cli_refuses_unreadable_binary_and_empty(tmp_path: Path) -> None:
    assert _cli(str(tmp_path / "missing.args")).returncode == 2
    assert _cli(str(tmp_path)).returncode == 2
    nul = tmp_path / "n.args"
    nul.write_bytes(b"/usr/bin/qemu -name a\0b\n")
    r = _cli(str(nul))
    assert r.returncode == 1 and "NUL byte" in r.stderr and ":1:22:" in r.stderr
    latin = tmp_path / "l.args"
    latin.write_bytes(b"/usr/bin/qemu -name \xe9\n")
    r = _cli(str(latin))
    assert r.returncode == 1 and "UTF-8" in r.stderr
    empty = tmp_path / "e.args"
    empty.write_text("  \n")
    assert _cli(str(empty)).returncode == 1
    assert "Traceback" not in r.stderr


# --------------------------------------------------------------------------- round trip

try:
    from virtconform.engine.caps.flags import resolve
    from virtconform.engine.caps.qemuconf import QemuConf
    from virtconform.engine.loader import domain_from_string
    from virtconform.engine.qemu.builder import build_command_line
    HAVE_BUILDER = True
except ImportError:  # pragma: no cover - the builder is written concurrently
    HAVE_BUILDER = False

needs_builder = pytest.mark.skipif(not HAVE_BUILDER, reason="engine.qemu.builder not available")

# flags of the legacy syntax (no -device/-chardev/-netdev); vnc-colon is in every QEMU of the era
LEGACY_FLAGS = ("no-reboot", "drive", "drive-boot", "name", "uuid", "drive-cache-v2", "drive-format",
                "vga", "pcidevice", "net-name", "drive-serial")

_DISKS = {
    "hda": "<disk type='block' device='disk'><source dev='/dev/vg/a'/><target dev='hda' bus='ide'/></disk>",
    "hdb": "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/>"
           "<source file='/var/b.img'/><target dev='hdb' bus='ide'/></disk>",
    "hdc": "<disk type='file' device='cdrom'><source file='/iso/c.iso'/><target dev='hdc' bus='ide'/>"
           "<readonly/></disk>",
    "fda": "<disk type='file' device='floppy'><source file='/f.img'/><target dev='fda' bus='fdc'/></disk>",
    "vda": "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
           "<source file='/v.img'/><target dev='vda' bus='virtio'/></disk>",
    "xvdb": "<disk type='block' device='disk'><source dev='/dev/x'/><target dev='xvdb' bus='xen'/></disk>",
    "sdc": "<disk type='file' device='disk'><driver name='qemu' cache='writethrough'/>"
           "<source file='/s.img'/><target dev='sdc' bus='scsi'/></disk>",
}
_CHARS = [
    "<{k} type='pty'/>", "<{k} type='null'/>", "<{k} type='vc'/>", "<{k} type='stdio'/>",
    "<{k} type='file'><source path='/tmp/log'/></{k}>", "<{k} type='dev'><source path='/dev/ttyS1'/></{k}>",
    "<{k} type='pipe'><source path='/tmp/p'/></{k}>",
    "<{k} type='unix'><source mode='bind' path='/tmp/u'/></{k}>",
    "<{k} type='unix'><source mode='connect' path='/tmp/u'/></{k}>",
    "<{k} type='tcp'><source mode='bind' host='127.0.0.1' service='9'/><protocol type='telnet'/></{k}>",
    "<{k} type='tcp'><source mode='connect' host='h' service='99'/></{k}>",
    "<{k} type='udp'><source mode='bind' host='0.0.0.0' service='1'/>"
    "<source mode='connect' host='1.2.3.4' service='2'/></{k}>",
]
_NETS = [
    "<interface type='user'><mac address='52:54:00:00:00:{n:02x}'/></interface>",
    "<interface type='user'><mac address='52:54:00:00:01:{n:02x}'/><model type='virtio'/></interface>",
    "<interface type='ethernet'><mac address='52:54:00:00:02:{n:02x}'/><script path='/etc/up'/>"
    "<target dev='tap{n}'/></interface>",
]
_GRAPHICS = ["", "<graphics type='vnc' port='5904' listen='127.0.0.1'/>", "<graphics type='vnc' port='5900'/>",
             "<graphics type='sdl' display=':0' xauth='/x'/>", "<graphics type='sdl' fullscreen='yes'/>"]


@st.composite
def legacy_domains(draw: st.DrawFn) -> tuple[str, frozenset[str]]:
    """A domain XML in the legacy-syntax subset and a flag set to build it with."""
    x86 = draw(st.booleans())
    emulator, arch, machine = (("/usr/bin/qemu-system-x86_64", "x86_64", "pc-0.10") if x86
                               else ("/usr/bin/qemu", "i686", draw(st.sampled_from(["pc", "isapc"]))))
    flags = {"vnc-colon"} | set(draw(st.lists(st.sampled_from(LEGACY_FLAGS), unique=True)))
    boot = draw(st.lists(st.sampled_from(["hd", "cdrom", "fd", "network"]), min_size=1, max_size=4, unique=True))
    disk_names = draw(st.lists(st.sampled_from(sorted(_DISKS)), unique=True, max_size=4))
    if "drive" not in flags:
        disk_names = [d for d in disk_names if d in ("hda", "hdc", "fda")]
    devs = [_DISKS[d] for d in disk_names]
    devs += [_NETS[i].format(n=n) for n, i in enumerate(draw(st.lists(st.integers(0, 2), max_size=3)))]
    devs += [c.format(k="serial") for c in draw(st.lists(st.sampled_from(_CHARS), max_size=3))]
    devs += [c.format(k="parallel") for c in draw(st.lists(st.sampled_from(_CHARS), max_size=2))]
    devs += draw(st.lists(st.sampled_from(["<input type='tablet' bus='usb'/>", "<input type='mouse' bus='usb'/>"]),
                          max_size=2))
    graphics = draw(st.sampled_from(_GRAPHICS))
    devs.append(graphics)
    if graphics:
        video = draw(st.sampled_from(["", "vga", "cirrus", "vmvga"]))
        if video:
            devs.append(f"<video><model type='{video}'/></video>")
    devs += [f"<sound model='{m}'/>" for m in draw(st.lists(
        st.sampled_from(["pcspk", "sb16", "es1370", "ac97"]), unique=True, max_size=3))]
    if draw(st.booleans()):
        devs.append(f"<watchdog model='{draw(st.sampled_from(['ib700', 'i6300esb']))}' "
                    f"action='{draw(st.sampled_from(['reset', 'pause', 'none']))}'/>")
    if draw(st.booleans()):
        devs.append(f"<hostdev mode='subsystem' type='usb'><source><address bus='{draw(st.integers(1, 20))}' "
                    f"device='{draw(st.integers(1, 127))}'/></source></hostdev>")
    if "pcidevice" in flags and draw(st.booleans()):
        devs.append("<hostdev mode='subsystem' type='pci'><source><address bus='0x06' slot='0x12' "
                    "function='0x5'/></source></hostdev>")
    xml = f"""<domain type='qemu'>
  <name>g{draw(st.integers(0, 99))}</name>
  <uuid>{draw(st.uuids())}</uuid>
  <memory>{draw(st.integers(1, 4096)) * 1024}</memory>
  <vcpu>{draw(st.integers(1, 8))}</vcpu>
  <os><type arch='{arch}' machine='{machine}'>hvm</type>{''.join(f"<boot dev='{b}'/>" for b in boot)}</os>
  {"<features><acpi/></features>" if draw(st.booleans()) else ""}
  <clock offset='{draw(st.sampled_from(["utc", "localtime"]))}'/>
  <on_reboot>{draw(st.sampled_from(["restart", "destroy"]))}</on_reboot>
  <devices><emulator>{emulator}</emulator>{''.join(devs)}</devices>
</domain>
"""
    return xml, frozenset(flags)


@needs_builder
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(legacy_domains())
def test_argv_xml_argv_is_stable(case: tuple[str, frozenset[str]]) -> None:
    xml, flags = case
    try:
        dom = domain_from_string(xml, CAPS)
        argv1 = build_command_line(dom, flags, profile=PROFILE).render()
    except VirtconformError:
        assume(False)  # outside what the builder accepts for these flags
        return
    back = parse_argv_text(argv1, CAPS, "rt.args")
    again = domain_from_string(back.to_xml(), CAPS)
    assert build_command_line(again, flags, profile=PROFILE).render() == argv1


@needs_builder
def test_reference_xml2argv_legacy_cases_round_trip() -> None:
    suite = reference_suite()
    if suite is None:
        pytest.skip("../shared absent")
    done = 0
    for case in json.loads((suite / "manifest.json").read_text())["xml2argv"]:
        flags = resolve(",".join(case["flags"]) or "none")
        if "device" in flags or "chardev" in flags or case["name"] in ("bootloader", "input-xen"):
            continue  # -device syntax; xenner's arch is not in the command line
        conf = QemuConf.from_mapping(case.get("qemu_conf") or {})
        dom = domain_from_string((suite / "data" / f"{case['name']}.xml").read_text(), CAPS)
        argv1 = build_command_line(dom, flags, profile=PROFILE, conf=conf).render()
        again = domain_from_string(parse_argv_text(argv1, CAPS).to_xml(), CAPS)
        assert build_command_line(again, flags, profile=PROFILE, conf=conf).render() == argv1, case["name"]
        done += 1
    assert done >= 40


# --------------------------------------------------------------------------- the -device syntax

def _device_cases() -> list[tuple[str, list[str], dict]]:
    suite = reference_suite()
    if suite is None:
        return []
    return [(c["name"], c["flags"], c.get("qemu_conf") or {})
            for c in json.loads((suite / "manifest.json").read_text())["xml2argv"] if "device" in c["flags"]]


@needs_builder
@pytest.mark.parametrize("case", _device_cases() or [pytest.param(None, marks=pytest.mark.skip("no ../shared"))])
def test_reference_device_args_read_back_and_build_the_same(case: tuple[str, list[str], dict]) -> None:
    name, flag_list, qemu_conf = case
    suite = reference_suite()
    assert suite is not None
    args = (suite / "data" / f"{name}.args").read_text()
    flags = resolve(",".join(flag_list))
    conf = QemuConf.from_mapping(qemu_conf)
    dom = domain_from_string(xml_of(args), CAPS)
    assert build_command_line(dom, flags, profile=PROFILE, conf=conf).render() == args


def test_reference_device_cases_are_there() -> None:
    if reference_suite() is None:
        pytest.skip("../shared absent")
    assert len(_device_cases()) >= 13


DEV = (f"{ENV} /usr/bin/qemu -S -M pc -m 214 -smp 1 -nographic -nodefconfig -nodefaults "
       "-chardev socket,id=monitor,path=/tmp/test-monitor,server,nowait -mon chardev=monitor,mode=readline "
       "-no-acpi -boot c")

NETDEV_FLAGS = ("device,chardev,netdev,nodefconfig,rtc,mem-path,balloon,sdl,smp-topology,drive,name,"
                "uuid,vnc-colon,drive-format,drive-boot,vga")

RICH = """<domain type='qemu'>
  <name>a,b</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <memoryBacking><hugepages/></memoryBacking>
  <vcpu>4</vcpu>
  <os><type arch='i686' machine='pc'>hvm</type><boot dev='hd'/></os>
  <cpu><topology sockets='2' cores='2' threads='1'/></cpu>
  <clock offset='localtime'><timer name='rtc' track='guest' tickpolicy='catchup'/></clock>
  <devices>
    <emulator>/usr/bin/qemu</emulator>
    <disk type='block' device='disk'><source dev='/dev/HostVG/a'/><target dev='hda' bus='ide'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <disk type='file' device='disk'><source file='/tmp/s.img'/><target dev='sdb' bus='scsi'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/tmp/v.img'/>
      <target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/tmp/u.img'/><target dev='sda' bus='usb'/></disk>
    <disk type='file' device='floppy'><source file='/tmp/f.img'/><target dev='fdb' bus='fdc'/></disk>
    <controller type='virtio-serial' index='1' ports='8' vectors='4'/>
    <interface type='user'><mac address='00:11:22:33:44:55'/><model type='virtio'/></interface>
    <interface type='ethernet'><mac address='00:11:22:33:44:56'/><script path='/etc/qemu-ifup'/></interface>
    <interface type='client'><mac address='00:11:22:33:44:57'/><source address='192.168.0.1' port='5558'/>
      <model type='e1000'/></interface>
    <serial type='udp'><source mode='bind' host='0.0.0.0' service='9998'/>
      <source mode='connect' host='127.0.0.1' service='9999'/></serial>
    <serial type='tcp'><source mode='bind' host='127.0.0.1' service='9999'/><protocol type='telnet'/></serial>
    <parallel type='file'><source path='/tmp/p.log'/></parallel>
    <channel type='pipe'><source path='/tmp/fwd'/><target type='guestfwd' address='10.0.2.1' port='4600'/></channel>
    <channel type='pty'><target type='virtio' name='org.x,y'/>
      <address type='virtio-serial' controller='1' bus='0' port='3'/></channel>
    <input type='tablet' bus='usb'/>
    <graphics type='sdl' display=':0.1'/>
    <sound model='es1370'/><sound model='pcspk'/><sound model='sb16'/><sound model='ac97'/>
    <watchdog model='i6300esb' action='poweroff'/>
    <hostdev mode='subsystem' type='usb'><source><address bus='14' device='6'/></source></hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'><source>
      <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>
    <memballoon model='virtio'><address type='pci' domain='0x0000' bus='0x00' slot='0x1d' function='0x0'/>
    </memballoon>
  </devices>
</domain>
"""


@needs_builder
@pytest.mark.parametrize("flag_spec", [NETDEV_FLAGS, "qemu-0.12.1", NETDEV_FLAGS.replace("netdev,", "")])
def test_rich_domain_round_trips_in_device_syntax(flag_spec: str) -> None:
    flags = resolve(flag_spec)
    conf = QemuConf.from_mapping({"hugetlbfs_mount": "/dev/hugepages"})
    try:
        argv1 = build_command_line(domain_from_string(RICH, CAPS), flags, profile=PROFILE, conf=conf).render()
    except VirtconformError as e:
        pytest.skip(f"this flag set refuses the domain: {e.message}")
    back = parse_argv_text(argv1, CAPS, "rt.args")
    again = domain_from_string(back.to_xml(), CAPS)
    assert build_command_line(again, flags, profile=PROFILE, conf=conf).render() == argv1


@needs_builder
def test_rich_domain_reads_back_what_it_said() -> None:
    flags = resolve(NETDEV_FLAGS)
    conf = QemuConf.from_mapping({"hugetlbfs_mount": "/dev/hugepages"})
    argv = build_command_line(domain_from_string(RICH, CAPS), flags, profile=PROFILE, conf=conf).render()
    for part in ("-netdev user,id=hostnet0", "-device virtio-net-pci,netdev=hostnet0", "-sdl", "-mem-path",
                 "-smp 4,sockets=2,cores=2,threads=1", "-rtc base=localtime,clock=vm,driftfix=slew",
                 "-name a,,b", "-global isa-fdc.driveB=", "virtserialport,bus=virtio-serial1.0,nr=3"):
        assert part in argv, part
    xml = xml_of(argv)
    for part in ("<name>a,b</name>", "<hugepages/>", "<topology sockets='2' cores='2' threads='1'/>",
                 "<clock offset='localtime'>", "<timer name='rtc' tickpolicy='catchup' track='guest'/>",
                 "<target dev='sdb' bus='scsi'/>", "<target dev='vdb' bus='virtio'/>",
                 "<target dev='fdb' bus='fdc'/>", "<target dev='sda' bus='usb'/>", "<target dev='hdc' bus='ide'/>",
                 "<model type='virtio'/>", "<model type='e1000'/>", "<model type='rtl8139'/>",
                 "<script path='/etc/qemu-ifup'/>", "<protocol type='telnet'/>",
                 "<target type='guestfwd' address='10.0.2.1' port='4600'/>",
                 "<target type='virtio' name='org.x,y'/>",
                 "<controller type='virtio-serial' index='1' ports='8' vectors='4'>",
                 "<watchdog model='i6300esb' action='poweroff'>", "<input type='tablet' bus='usb'/>",
                 "<sound model='pcspk'/>", "<sound model='sb16'/>", "<graphics type='sdl'",
                 "slot='0x1d'"):
        assert part in xml, part


def test_device_syntax_targeted_reads() -> None:
    xml = xml_of(DEV + " -drive file=/tmp/a.img,if=none,id=drive-ide0-1-1,readonly=on,format=raw "
                 "-device ide-drive,bus=ide.1,unit=1,drive=drive-ide0-1-1,id=ide0-1-1 "
                 "-drive file=/tmp/b.img,if=none,id=drive-virtio-disk2 "
                 "-device virtio-blk-pci,bus=pci.0,addr=0x6,drive=drive-virtio-disk2,id=virtio-disk2 "
                 "-device lsi,id=scsi0,bus=pci.0,addr=0x5 "
                 "-drive file=/tmp/c.img,if=none,id=drive-scsi0-0-3 "
                 "-device scsi-disk,bus=scsi0.0,scsi-id=3,drive=drive-scsi0-0-3,id=scsi0-0-3 "
                 "-chardev null,id=serial0 -device isa-serial,chardev=serial0 "
                 "-chardev tty,id=parallel0,path=/dev/ttyS0 -device isa-parallel,chardev=parallel0 "
                 "-device usb-mouse,id=input0 -device usb-host,hostbus=001,hostaddr=002,id=hostdev0 "
                 "-device ib700,id=watchdog0 -watchdog-action pause -balloon virtio")
    assert "<target dev='hdd' bus='ide'/>" in xml and "<readonly/>" in xml
    assert "<address type='drive' controller='0' bus='1' unit='1'/>" in xml
    assert "<target dev='vdc' bus='virtio'/>" in xml and "slot='0x06'" in xml
    assert "<target dev='sdd' bus='scsi'/>" in xml and "<controller type='scsi' index='0'>" in xml
    assert "<serial type='null'>" in xml and "<parallel type='dev'>" in xml
    assert "<input type='mouse' bus='usb'/>" in xml
    assert "<address bus='1' device='2'/>" in xml
    assert "<watchdog model='ib700' action='pause'/>" in xml
    assert "<memballoon model='virtio'/>" in xml
    # -nodefaults without a balloon device: the balloon was switched off
    assert "<memballoon model='none'/>" in xml_of(DEV)
    # a media=cdrom drive with -device is read-only only when it says so
    cd = xml_of(DEV + " -drive if=none,media=cdrom,id=drive-ide0-1-0 "
                "-device ide-drive,bus=ide.1,unit=0,drive=drive-ide0-1-0,id=ide0-1-0")
    assert "<readonly/>" not in cd and "device='cdrom'" in cd
    assert "<vcpu>2</vcpu>" in xml_of(DEV.replace("-smp 1", "-smp 2,sockets=2,cores=1,threads=1"))
    assert "<cpu>" not in xml_of(DEV.replace("-smp 1", "-smp 2,sockets=2,cores=1,threads=1"))


@pytest.mark.parametrize(("tail", "opt_text", "msg"), [
    ("-device frobnicator,id=x", "frobnicator,id=x", "-device: unsupported device 'frobnicator'"),
    ("-device isa-serial,chardev=nope", "isa-serial,chardev=nope", "no -chardev with id 'nope'"),
    ("-chardev pty,id=serial0", "pty,id=serial0", "-chardev 'serial0' is not used by any device"),
    ("-chardev spicevmc,id=c", "spicevmc,id=c", "unsupported -chardev type 'spicevmc'"),
    ("-chardev socket,id=c,host=h,port=1,server", "socket,id=c,host=h,port=1,server", "without nowait"),
    ("-drive file=/a,if=none,id=drive-x", "file=/a,if=none,id=drive-x", "-drive 'drive-x' is not used"),
    ("-netdev user,id=hostnet0", "user,id=hostnet0", "-netdev 'hostnet0' is not used by any device"),
    ("-netdev vde,id=h", "vde,id=h", "unsupported -netdev type 'vde'"),
    ("-device e1000,netdev=h,id=net0,mac=00:11:22:33:44:55", "e1000,netdev=h,id=net0,mac=00:11:22:33:44:55",
     "no -netdev with id 'h'"),
    ("-device rtl8139,vlan=0,id=net0,mac=00:11:22:33:44:55", "rtl8139,vlan=0,id=net0,mac=00:11:22:33:44:55",
     "-net nic on vlan 0 has no host side"),
    ("-device ES1370,id=sound0,bus=pci.1,addr=0x4", "ES1370,id=sound0,bus=pci.1,addr=0x4", "only bus=pci.0"),
    ("-device usb-tablet,id=input0,port=2", "usb-tablet,id=input0,port=2", "unsupported option 'port'"),
    ("-global isa-fdc.bootindexA=1", "isa-fdc.bootindexA=1", "unsupported global property"),
    ("-rtc base=2010-1-1T0:0:0", "base=2010-1-1T0:0:0", "a date depends on when"),
    ("-rtc base=utc,clock=rt", "base=utc,clock=rt", "unsupported -rtc option 'clock=rt'"),
    ("-smp 2,sockets=2", "2,sockets=2", "expected N,sockets=S,cores=C,threads=T"),
    ("-name a,process=b", "a,process=b", "unsupported -name option 'process=b'"),
    ("-balloon none", "none", "unsupported balloon 'none'"),
    ("-mon chardev=nope,mode=readline", "chardev=nope,mode=readline", "no -chardev with id 'nope'"),
    ("-device virtio-serial-pci,id=vs0", "virtio-serial-pci,id=vs0", "expected id=virtio-serialN"),
])
def test_device_syntax_errors_are_located(tail: str, opt_text: str, msg: str) -> None:
    text = f"/usr/bin/qemu -nodefaults {tail}"
    with pytest.raises(ConfigError) as e:
        parse_argv_text(text, CAPS, "f.args")
    assert msg in e.value.message
    assert (e.value.path, e.value.line, e.value.column) == ("f.args", 1, text.index(opt_text) + 1)
