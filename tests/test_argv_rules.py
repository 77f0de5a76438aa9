"""The command-line builder's rules, one behaviour per test (libvirt 0.8.3 + safety)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from virtconform.engine.caps.flags import Flags, resolve
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.caps.qemuconf import QemuConf
from virtconform.engine.errors import VirtconformError
from virtconform.engine.loader import domain_from_string
from virtconform.engine.qemu.builder import build_command_line

PROFILE = get_profile("libvirt-test")

HEAD = """<domain type='{virt}'>
  <name>guest</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <currentMemory>219200</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='{arch}'{machine}>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='{clock}'{clockextra}/>
  <devices>
    <emulator>{emulator}</emulator>
    <disk type='block' device='disk'>
      <source dev='/dev/HostVG/guest'/>
      <target dev='hda' bus='ide'/>
    </disk>
{devices}  </devices>
</domain>
"""


def domain(devices: str = "", *, virt: str = "qemu", arch: str = "i686", machine: str = "pc",
           emulator: str = "/usr/bin/qemu", clock: str = "utc", clockextra: str = "",
           validate: bool = True):
    m = f" machine='{machine}'" if machine else ""
    xml = HEAD.format(virt=virt, arch=arch, machine=m, emulator=emulator, clock=clock,
                      clockextra=clockextra, devices=devices)
    return domain_from_string(xml, PROFILE.capabilities, validate=validate)


def argv(dom, flags: str, **kw) -> str:
    return build_command_line(dom, resolve(flags), profile=PROFILE, **kw).render()


CHANNEL = """    <channel type='pty'>
      <target type='virtio' name='{name}'/>
    </channel>
"""


def test_channel_name_commas_are_doubled_not_injected() -> None:
    dom = domain(CHANNEL.format(name="org.x,id=evil,bus=pci.0"))
    line = argv(dom, "device")
    assert "name=org.x,,id=evil,,bus=pci.0" in line
    assert ",id=evil,bus" not in line.replace(",,", "")


def test_disk_path_with_comma_is_escaped_only_inside_an_option_list() -> None:
    dom = domain(validate=False)
    dom.devices.disks[0].source.dev = "/dev/a,format=raw"
    assert "file=/dev/a,,format=raw," in argv(dom, "drive")
    # -hda FILE: QEMU opens FILE as given; a doubled comma would name another file
    assert "-hda /dev/a,format=raw " in argv(dom, "")


def test_newline_in_a_value_is_refused() -> None:
    dom = domain(validate=False)
    dom.devices.disks[0].source.dev = "/dev/a\n-evil"
    with pytest.raises(VirtconformError, match="cannot be passed"):
        argv(dom, "drive")


def test_virtio_serial_port_and_controller_are_implied() -> None:
    dom = domain(CHANNEL.format(name="org.linux-kvm.port.0"))
    line = argv(dom, "device")
    assert "-device virtio-serial-pci,id=virtio-serial0,bus=pci.0,addr=0x4" in line
    # libvirt 0.8.3 numbers an unaddressed channel from the highest port before it,
    # starting at -1: the first channel is port 0 (checked against its own code)
    assert "virtserialport,bus=virtio-serial0.0,nr=0,chardev=channel0" in line


NIC = """    <interface type='user'>
      <mac address='00:11:22:33:44:{n:02x}'/>
      <model type='virtio'/>{addr}
    </interface>
"""


def nic(n: int, slot: int | None = None) -> str:
    addr = ("" if slot is None else
            f"\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x{slot:02x}' function='0x0'/>")
    return NIC.format(n=n, addr=addr)


def test_pci_slots_skip_user_given_addresses() -> None:
    dom = domain(nic(1) + nic(2, slot=5) + nic(3))
    line = argv(dom, "device")
    assert "mac=00:11:22:33:44:01,bus=pci.0,addr=0x4" in line
    assert "mac=00:11:22:33:44:02,bus=pci.0,addr=0x5" in line
    assert "mac=00:11:22:33:44:03,bus=pci.0,addr=0x6" in line
    assert "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3" in line


def test_pci_slot_given_twice_is_an_error() -> None:
    dom = domain(nic(1, slot=5) + nic(2, slot=5))
    with pytest.raises(VirtconformError, match="given to two devices"):
        argv(dom, "device")


def test_pci_slot_of_a_fixed_device_is_taken_only_with_that_device() -> None:
    # slot 2 belongs to the primary video card; without one, a NIC may have it
    assert "addr=0x2" in argv(domain(nic(1, slot=2)), "device")
    vnc = "    <graphics type='vnc'/>\n"
    with pytest.raises(VirtconformError, match="unable to reserve PCI address 0:0:2"):
        argv(domain(nic(1, slot=2) + vnc), "device")


def test_pci_search_starts_after_the_last_reserved_slot() -> None:
    # the IDE controller (1.1) and the balloon (3) are reserved; the first free slot is 4
    assert "mac=00:11:22:33:44:01,bus=pci.0,addr=0x4" in argv(domain(nic(1)), "device")
    # a balloon placed elsewhere reserves nothing: the search starts after the IDE controller
    balloon = ("    <memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='0x00' "
               "slot='0x09' function='0x0'/>\n    </memballoon>\n")
    line = argv(domain(nic(1) + balloon), "device")
    assert "mac=00:11:22:33:44:01,bus=pci.0,addr=0x2" in line and "balloon0,bus=pci.0,addr=0x9" in line


def test_pci_exhaustion_is_an_error() -> None:
    dom = domain("".join(nic(i) for i in range(29)))
    with pytest.raises(VirtconformError, match="No more available PCI addresses"):
        argv(dom, "device")
    # 28 NICs fit in slots 4..31
    dom = domain("".join(nic(i) for i in range(28)))
    assert "addr=0x1f" in argv(dom, "device")


def test_aliases_and_device_ids_are_unique() -> None:
    dom = domain(nic(1) + nic(2) + CHANNEL.format(name="a") + CHANNEL.format(name="b"))
    line = argv(dom, "device,chardev,drive,netdev")
    ids = [p.split("=", 1)[1] for arg in line.split() for p in arg.split(",") if p.startswith("id=")]
    assert len(ids) == len(set(ids)) and len(ids) >= 8


def test_netdev_syntax_only_with_netdev_and_device() -> None:
    dom = domain(nic(1))
    assert "-netdev user,id=hostnet0 -device virtio-net-pci,netdev=hostnet0" in argv(dom, "device,netdev")
    assert "-device virtio-net-pci,vlan=0,id=net0" in argv(dom, "device")
    assert "-net nic,macaddr=00:11:22:33:44:01,vlan=0,model=virtio -net user,vlan=0" in argv(dom, "netdev")


def test_vga_none_without_video_only_without_nodefaults() -> None:
    dom = domain()
    assert "-vga none" in argv(dom, "vga")
    assert "-vga none" not in argv(dom, "vga,device")


def test_machine_alias_is_canonicalised_for_its_emulator_only() -> None:
    dom = domain(arch="x86_64", emulator="/usr/bin/qemu-system-x86_64")
    assert " -M pc-0.11 " in argv(dom, "")
    kvm = domain(virt="kvm", arch="x86_64", machine="", emulator="/usr/bin/kvm")
    assert " -M pc " in argv(kvm, "")


def test_timezone_clock_sets_tz_and_rtc_or_localtime() -> None:
    dom = domain(clock="timezone", clockextra=" timezone='Europe/Paris'")
    line = argv(dom, "rtc")
    assert "TZ=Europe/Paris /usr/bin/qemu" in line and "-rtc base=localtime" in line
    assert "-localtime" in argv(dom, "")


@pytest.mark.parametrize("devices,flags,reason", [
    ("", "", None),
    (CHANNEL.format(name="x"), "", "require QEMU to support -device"),
    ("""    <channel type='pipe'>
      <source path='/tmp/fwd'/>
      <target type='guestfwd' address='10.0.2.1' port='4600'/>
    </channel>
""", "device", "require QEMU to support -chardev and -device"),
])
def test_unsupported_features_are_refused_with_a_reason(devices, flags, reason) -> None:
    dom = domain(devices)
    if reason is None:
        argv(dom, flags)
    else:
        with pytest.raises(VirtconformError, match=reason):
            argv(dom, flags)


def test_disk_features_the_flags_cannot_express_are_dropped_with_a_warning() -> None:
    dom = domain(validate=False)
    from virtconform.engine.model.disk import DiskDriver
    dom.devices.disks[0].driver = DiskDriver(name="qemu", type="qcow2", error_policy="stop")
    cmd = build_command_line(dom, resolve("drive,drive-format"), profile=PROFILE)
    assert "werror" not in cmd.render() and ",format=qcow2" in cmd.render()
    assert [w.message for w in cmd.warnings if "error_policy" in w.message]
    assert "werror=stop,rerror=stop" in argv(dom, "drive,drive-format,monitor-json")
    cmd = build_command_line(dom, resolve("drive,monitor-json"), profile=PROFILE)
    assert "format=" not in cmd.render() and any("drive-format" in w.message for w in cmd.warnings)
    with pytest.raises(VirtconformError, match="drive-format"):
        build_command_line(dom, resolve("drive,monitor-json"), profile=PROFILE, strict=True)


def test_a_build_with_nothing_dropped_has_no_warnings() -> None:
    cmd = build_command_line(domain(nic(1)), resolve("qemu-0.12.1"), profile=PROFILE, strict=True)
    assert cmd.warnings == []


def test_hugepages_need_mount_and_mem_path() -> None:
    xml = domain().to_xml().replace("<vcpu>", "<memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n  <vcpu>")
    dom = domain_from_string(xml, PROFILE.capabilities)
    conf = QemuConf(hugetlbfs_mount="/dev/hugepages")
    assert "-mem-prealloc -mem-path /dev/hugepages/libvirt/qemu" in argv(dom, "mem-path", conf=conf)
    # the libvirt-test host's driver has the mount
    assert "-mem-path /dev/hugepages/libvirt/qemu" in argv(dom, "mem-path")
    with pytest.raises(VirtconformError, match="not mounted"):
        argv(dom, "mem-path", conf=QemuConf())
    with pytest.raises(VirtconformError, match="hugepage backing not supported"):
        argv(dom, "", conf=conf)


def test_variable_clock_prints_the_month_from_zero() -> None:
    """libvirt prints struct tm's tm_mon (January is 0): its bug, reproduced."""
    dom = domain(clock="variable", clockextra=" adjustment='3600'")
    jan_15 = 1263556800  # 2010-01-15T12:00:00Z
    assert "-rtc base=2010-0-15T13:0:0 " in argv(dom, "rtc", now=jan_15)


def test_soundhw_list_is_cut_as_libvirt_cuts_it() -> None:
    """A 100-byte budget counted down by strncat: the list stops once it is spent, the
    model that crosses it is cut, and a comma still follows (its size_t length wraps)."""
    from virtconform.engine.qemu.sound import soundhw_list
    models = ["es1370"] * 20
    out = soundhw_list(models)
    assert soundhw_list(["ac97", "sb16"]) == "ac97,sb16"
    assert out.endswith(",") and len(out) <= 101 and out.count("es1370") == 14
    # a model that spends the budget exactly gets no comma after it
    assert soundhw_list(["a" * 100, "b"]) == "a" * 100
    assert soundhw_list(["a" * 99, "b"]) == "a" * 99 + ","


def test_every_named_set_builds_or_refuses_for_reference_like_domain() -> None:
    from virtconform.engine.caps.flags import NAMED_SETS
    dom = domain(nic(1) + CHANNEL.format(name="a"))
    for name, flags in NAMED_SETS.items():
        try:
            line = build_command_line(dom, flags, profile=PROFILE).render()
        except VirtconformError as e:
            assert e.message  # refused with a reason
        else:
            assert line.startswith("LC_ALL=C ") and line.endswith("\n"), name


def test_argv_cli_json_and_exit_statuses(tmp_path) -> None:
    f = tmp_path / "d.xml"
    f.write_text(domain().to_xml())
    cli = [sys.executable, "-m", "virtconform.conformance.cli"]
    p = subprocess.run(cli + ["argv", "--caps", "drive", "--json", str(f)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["env"][0] == "LC_ALL=C" and out["argv"][0] == "/usr/bin/qemu"
    p = subprocess.run(cli + ["argv", "--caps", "no-such-flag", str(f)], capture_output=True, text=True)
    assert p.returncode == 2 and "no-such-flag" in p.stderr and "Traceback" not in p.stderr
    f.write_text(domain(CHANNEL.format(name="x")).to_xml())
    p = subprocess.run(cli + ["argv", "--caps", "", str(f)], capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.startswith(f"{f}:") and "-device" in p.stderr


def test_flags_type_is_the_builder_input() -> None:
    assert isinstance(resolve("qemu-0.12.1"), Flags)


def test_the_builder_only_reads_the_domain() -> None:
    dom = domain(nic(1) + CHANNEL.format(name="a"))
    before = dom.to_xml()
    argv(dom, "device,chardev,drive")
    assert dom.to_xml() == before
    assert all(getattr(d, "address", None) is None for d in dom.devices.interfaces)


def test_argv_cli_forms_warnings_and_strict(tmp_path) -> None:
    """libvirt's form by default (no quoting), --shell quotes, a dropped part is one
    located warning line on stderr, and --strict refuses it instead."""
    f = tmp_path / "d.xml"
    xml = domain().to_xml().replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>\n  <cpu>\n    <topology sockets='1' "
                                    "cores='2' threads='1'/>\n  </cpu>")
    f.write_text(xml)
    cli = [sys.executable, "-m", "virtconform.conformance.cli", "argv"]
    p = subprocess.run(cli + ["--caps", "qemu-0.9.1", str(f)], capture_output=True, text=True)
    assert p.returncode == 0 and " -smp 2 " in p.stdout, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{f}:") and ": warning: " in lines[0] and "topology" in lines[0]
    p = subprocess.run(cli + ["--caps", "qemu-0.9.1", "--strict", str(f)], capture_output=True, text=True)
    assert p.returncode == 1 and "topology" in p.stderr and not p.stdout
    dom = domain(validate=False)
    dom.os.cmdline = "console=ttyS0 quiet"
    dom.os.kernel = "/boot/vmlinuz"
    dom.os.boot = []  # the schema takes a kernel or boot devices
    f.write_text(dom.to_xml())
    plain = subprocess.run(cli + ["--caps", "", str(f)], capture_output=True, text=True).stdout
    shell = subprocess.run(cli + ["--caps", "", "--shell", str(f)], capture_output=True, text=True).stdout
    assert " -append console=ttyS0 quiet " in plain
    assert " -append 'console=ttyS0 quiet' " in shell


def test_qemu_conf_vnc_password_and_listen_count_when_set_even_empty() -> None:
    """qemudBuildCommandLine tests driver->vncPassword for NULL, and a graphics listen
    address (even '') wins over qemu.conf's: a set value counts whatever it holds."""
    dom = domain("    <graphics type='vnc' port='5901'/>\n")
    assert argv(dom, "vnc-colon", conf=QemuConf()).endswith(" -vnc :1\n")
    assert argv(dom, "vnc-colon", conf=QemuConf(vnc_password="")).endswith(" -vnc :1,password\n")
    assert argv(dom, "vnc-colon", conf=QemuConf(vnc_listen="10.0.0.1")).endswith(" -vnc 10.0.0.1:1\n")
    empty_listen = domain("    <graphics type='vnc' port='5901' listen=''/>\n", validate=False)
    assert argv(empty_listen, "vnc-colon", conf=QemuConf(vnc_listen="10.0.0.1")).endswith(" -vnc :1\n")
