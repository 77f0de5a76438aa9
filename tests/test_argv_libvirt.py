"""The command-line builder against libvirt 0.8.3's own code, one rule per probe document.

Each probe is a small domain aimed at one rule of qemudBuildCommandLine and its helpers
(memory, accelerators, CPU, disks in the three syntaxes, NIC backends, character
devices, graphics, sound, timers, PCI slot assignment). It is built for several
capability sets by the engine and by ``../shared/oracle`` (libvirt's driver as a
command, with the real emulator rule): the command lines must be identical, or both
sides refuse. Skipped where the oracle is absent.
"""
from __future__ import annotations

import calendar
import os
import re
import subprocess
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import oracle_command
from virtconform.engine.caps.flags import resolve
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.errors import VirtconformError
from virtconform.engine.loader import load_domain
from virtconform.engine.qemu.builder import build_command_line

PROFILE = get_profile("libvirt-test")
SETS = ("qemu-0.9.1", "kvm-74", "qemu-0.10.5", "qemu-kvm-0.11.0-rc2", "qemu-0.12.1",
        "qemu-0.12.1,netdev,nodefconfig,monitor-json,pci-configfd,no-hpet,rtc-td-hack",
        "drive,vnc-colon", "drive,device,chardev", "kqemu,kvm,enable-kvm,rtc,tdf,no-kvm-pit")

DOMAIN = """<domain type='{virt}'>
  <name>probe</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <currentMemory>100000</currentMemory>
  {top}
  <os><type arch='{arch}'>hvm</type>{os}</os>
  <clock offset='{clock}'>{timers}</clock>
  {lifecycle}
  <devices>
    <emulator>{emulator}</emulator>
{devices}
  </devices>
</domain>
"""
MAC = "<mac address='52:54:00:00:00:{:02x}'/>"


def probe(devices: str = "", *, virt: str = "qemu", arch: str = "i686", emulator: str = "/usr/bin/qemu",
          top: str = "", os_: str = "", clock: str = "utc", timers: str = "", lifecycle: str = "") -> str:
    return DOMAIN.format(virt=virt, arch=arch, emulator=emulator, top=top, os=os_, clock=clock,
                         timers=timers, lifecycle=lifecycle, devices=devices)


def disk(dev: str, bus: str = "", device: str = "disk", src: str | None = "/a", extra: str = "",
         kind: str = "file") -> str:
    if device == "cdrom" and "<readonly/>" not in extra:
        extra += "<readonly/>"  # libvirt's parser makes every CD-ROM read-only; say so
    attr = {"file": "file", "block": "dev", "dir": "dir"}[kind]
    source = f"<source {attr}='{src}'/>" if src is not None else ""
    bus = f" bus='{bus}'" if bus else ""
    return f"<disk type='{kind}' device='{device}'>{source}<target dev='{dev}'{bus}/>{extra}</disk>"


def nic(n: int, kind: str = "user", inner: str = "") -> str:
    return f"<interface type='{kind}'>{MAC.format(n)}{inner}</interface>"


def pci(slot: int) -> str:
    return f"<address type='pci' domain='0x0000' bus='0x00' slot='{slot:#04x}' function='0x0'/>"


def xen_probe(devices: str) -> str:
    """A Xen guest of xenner (kvm): its inputs default to the xen bus, its console is its own."""
    return probe(devices, virt="kvm", arch="x86_64", emulator="/usr/bin/xenner").replace(
        ">hvm</type>", " machine='xenner'>xen</type>")


PROBES: dict[str, str] = {
    # the machine
    "memory-is-the-maximum": probe(),
    "accelerators-i686": probe(),
    "accelerators-x86_64-64bit-emulator": probe(arch="x86_64", emulator="/usr/bin/qemu-system-x86_64"),
    "qemu32-on-a-64bit-emulator": probe(emulator="/usr/bin/qemu-system-x86_64"),
    "qemu32-on-kvm": probe(virt="kvm", emulator="/usr/bin/kvm"),
    "kqemu-domain": probe(virt="kqemu"),
    "kvm-domain": probe(virt="kvm", arch="x86_64"),
    "cpu-topology": probe(top="<vcpu>4</vcpu><cpu><topology sockets='2' cores='2' threads='1'/></cpu>"),
    "cpu-model": probe(top="<cpu match='exact'><model>qemu64</model></cpu>"),
    "on-reboot-destroy": probe(lifecycle="<on_reboot>destroy</on_reboot>"),
    "boot-order": probe(os_="<boot dev='network'/><boot dev='cdrom'/><boot dev='fd'/><boot dev='hd'/>"),
    # disks
    "disk-legacy-names": probe(disk("hdb") + disk("hdd", device="cdrom") + disk("fdb", device="floppy")),
    "disk-empty-media": probe(disk("hdc", device="cdrom", src=None) + disk("hdb", device="cdrom", src=None)
                              + disk("fda", device="floppy", src=None)),
    "disk-scsi-virtio-xen": probe(disk("sdb") + disk("vda") + disk("xvda", bus="xen")),
    "disk-usb": probe(disk("sda", bus="usb")),
    "disk-read-only": probe(disk("hda", extra="<readonly/>") + disk("xvdb", bus="xen", extra="<readonly/>")),
    "disk-shareable": probe(disk("hda", extra="<shareable/>")
                            + disk("hdb", extra="<driver name='qemu' cache='writethrough'/><shareable/>")),
    "disk-cache-modes": probe(disk("hda", extra="<driver name='qemu' cache='none'/>")
                              + disk("hdb", extra="<driver name='qemu' cache='writeback'/>")),
    "disk-format-serial-policy": probe(disk("hda", extra="<driver name='qemu' type='qcow2' "
                                                         "error_policy='stop'/><serial>WD-123_x</serial>")),
    "disk-unsafe-serial": probe(disk("hda", extra="<serial>WD.123</serial>")),
    "disk-fat": probe(disk("hda", kind="dir", src="/srv", extra="<readonly/>")
                      + disk("fda", kind="dir", device="floppy", src="/srv", extra="<readonly/>")),
    "disk-boot-flags": probe(disk("hda") + disk("hdb") + disk("hdc", device="cdrom") + disk("vda"),
                             os_="<boot dev='cdrom'/><boot dev='hd'/>"),
    "disk-bus-beyond-one-controller": probe(disk("sdh") + disk("hda", extra="<address type='drive' "
                                                                         "controller='0' bus='3' unit='5'/>")),
    # drive addresses are unsigned, printed with %d: 2^31 is negative, 2^32-1 is -1 (none)
    "disk-address-numbers-printed-as-c-ints": probe(
        disk("hda", extra="<address type='drive' controller='0' bus='2147483648' unit='4294967295'/>")
        + disk("sdb", extra="<address type='drive' controller='4294967295' bus='0' unit='2147483649'/>")),
    "disk-long-name-wraps-in-a-c-int": probe(disk("sdvjhssffey") + disk("vdmwlqkxb")),
    # an empty model is a model ('-net nic,...,model=', '-device ,vlan=...'); VNC's display
    # is the port minus 5900 in a C int
    "nic-empty-model": probe(nic(1, "user", "<model type=''/>")),
    "disk-empty-serial": probe(disk("hda", extra="<serial/>") + disk("hdb", extra="<serial></serial>")),
    "empty-script-and-driver-type": probe(nic(1, "ethernet", "<script path=''/>")
                                          + disk("hda", extra="<driver name='qemu' type=''/>")),
    "empty-keymap-and-ifname": probe(nic(1, "ethernet", "<target dev=''/>")
                                     + "<graphics type='vnc' port='5901' keymap=''/>"),
    "empty-vnc-password-and-channel-name": probe(
        "<graphics type='vnc' port='5910' passwd=''/>"
        "<channel type='pty'><target type='virtio' name=''/></channel>"),
    "sdl-empty-display-and-xauth": probe("<graphics type='sdl' display='' xauth=''/>"),
    "fat-disk-empty-driver-type": probe(disk("hdb", kind="dir", src="/srv", extra="<driver type=''/><readonly/>")),
    "vnc-port-wraps": probe("<graphics type='vnc' port='-2147483648'/>"),
    # qemuBuildDriveDevStr ignores qemuBuildDeviceAddressStr's failure: no address, no refusal
    "virtio-disk-address-with-a-function": probe(
        disk("vda", extra="<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x1'/>")
        + disk("vdb", extra="<address type='pci' slot='0x08' function=' 5'/>")),
    "usb-host-and-virtio-serial-numbers-printed-as-c-ints": probe(
        "<channel type='pty'><target type='virtio' name='org.a'/>"
        "<address type='virtio-serial' controller='0' bus='0' port='4294967295'/></channel>"
        "<channel type='pty'><target type='virtio' name='org.b'/>"
        "<address type='virtio-serial' controller='0' bus='2147483648' port='7'/></channel>"
        "<hostdev mode='subsystem' type='usb'><source><address bus='4294967291' device='2147483649'/>"
        "</source></hostdev>"),
    # NICs
    "nic-backends": probe(nic(1) + nic(2, "ethernet", "<target dev='tap7'/><script path='/s'/>")
                          + nic(3, "client", "<source address='1.2.3.4' port='5'/>")
                          + nic(4, "mcast", "<source address='230.0.0.1' port='5'/>")
                          + nic(5, "user", "<model type='virtio'/>") + nic(6, "user", "<model type='e1000'/>")),
    "nic-server-without-address": probe(nic(1, "server", "<source port='5'/>")),
    "nic-internal": probe(nic(1, "internal", "<source name='lan'/>")),
    # character devices
    "chardev-types": probe("<serial type='pty'/><serial type='file'><source path='/f'/></serial>"
                           "<serial type='unix'><source mode='bind' path='/u'/></serial>"
                           "<serial type='tcp'><source mode='connect' host='h' service='3'/>"
                           "<protocol type='telnet'/></serial>"
                           "<parallel type='dev'><source path='/dev/lp0'/></parallel>"),
    "chardev-udp-partial": probe("<serial type='udp'><source mode='connect' service='2'/></serial>"
                                 "<parallel type='udp'><source mode='bind' host='1.1.1.1'/>"
                                 "<source mode='connect' host='2.2.2.2' service='2'/></parallel>"),
    # every channel with a virtio-serial address counts in the next port, whatever its target
    "channel-ports-count-every-virtio-serial-address": probe(
        "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='4600'/>"
        "<address type='virtio-serial' controller='0' bus='0'/></channel>"
        "<channel type='pty'><target type='virtio' name='a'/></channel>"
        "<channel type='pty'><target type='guestfwd' address='10.0.2.2' port='4601'/></channel>"
        "<channel type='pty'><target type='virtio' name='c'/></channel>"),
    "channel-guestfwd": probe("<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='4600'/>"
                              "</channel>"),
    # graphics, video, sound, input, watchdog, host devices
    "vnc-autoport": probe("<graphics type='vnc'/>"),
    "vnc-port-listen-keymap": probe("<graphics type='vnc' port='5903' autoport='no' listen='1.2.3.4' "
                                    "keymap='de'/>"),
    "vnc-port-below-5900": probe("<graphics type='vnc' port='5' autoport='no'/>"),
    "vnc-password": probe("<graphics type='vnc' port='5901' autoport='no' passwd='secret'/>"),
    "sdl": probe("<graphics type='sdl' display=':0.1' xauth='/x' fullscreen='yes'/>"),
    "graphics-rdp": probe("<graphics type='rdp'/>"),
    "graphics-desktop": probe("<graphics type='desktop'/>"),
    "graphics-two": probe("<graphics type='vnc'/><graphics type='sdl'/>"),
    "video-models": probe("<graphics type='vnc'/><video><model type='vmvga'/></video>"),
    "video-xen": probe("<graphics type='vnc'/><video><model type='xen'/></video>"),
    "sound-list-truncated": probe("".join(f"<sound model='{m}'/>" for m in ("es1370", "ac97", "sb16", "pcspk") * 8)),
    "inputs-usb": probe("<input type='tablet' bus='usb'/><input type='mouse' bus='usb'/>"),
    "watchdog-action": probe("<watchdog model='ib700' action='poweroff'/>"),
    "hostdevs": probe("<hostdev mode='subsystem' type='usb'><source><address bus='0' device='5'/></source>"
                      "</hostdev><hostdev mode='subsystem' type='pci' managed='yes'><source>"
                      "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>"),
    "hostdev-capabilities-mode": probe(disk("vda") + "<hostdev mode='capabilities' type='pci'><source>"
                                       "<address domain='0' bus='6' slot='18' function='5'/></source></hostdev>"
                                       + nic(1)),
    "channel-without-target": probe("<channel type='pty'/>" + nic(1)),
    "cpuset-of-no-cpu": probe(top="<vcpu cpuset='9,^9'>2</vcpu>"),
    # devices libvirt keeps but neither prints nor builds: they count in aliases and slots
    "xen-tablet-slot-and-alias": xen_probe(f"<input type='tablet'>{pci(4)}</input><input type='mouse' bus='usb'/>"
                                           "<watchdog model='ib700'/>"),
    "xen-console-slot": xen_probe(f"<console type='pty'>{pci(5)}</console><watchdog model='ib700'/>" + nic(1)),
    "filesystem": probe("<filesystem type='mount'><source dir='/a'/><target dir='/b'/></filesystem>"),
    # timers and clocks
    "timers-pit-hpet": probe(timers="<timer name='pit' tickpolicy='catchup'/><timer name='hpet' present='no'/>"),
    "timer-hpet-present": probe(timers="<timer name='hpet' present='yes'/>"),
    "timer-rtc": probe(timers="<timer name='rtc' track='guest' tickpolicy='catchup'/>"),
    "clock-timezone": probe(clock="timezone' timezone='Europe/Paris"),
    "clock-variable": probe(clock="variable' adjustment='-86400"),
    # PCI slots
    "pci-order": probe(disk("vda") + "<controller type='virtio-serial' index='0'/>" + nic(1) + nic(2)
                       + "<sound model='es1370'/><sound model='sb16'/><watchdog model='i6300esb'/>"
                       + "<graphics type='vnc'/><video><model type='cirrus'/></video>"),
    "pci-user-slots-skipped": probe(nic(1) + f"<interface type='user'>{MAC.format(2)}{pci(5)}</interface>"
                                    + nic(3) + f"<serial type='pty'>{pci(6)}</serial>"),
    "pci-balloon-elsewhere": probe(disk("hda") + nic(1) + f"<memballoon model='virtio'>{pci(9)}</memballoon>"),
    "pci-no-ide-no-video": probe(nic(1) + f"<memballoon model='virtio'>{pci(7)}</memballoon>"),
    "pci-slot-of-the-vga": probe(f"<interface type='user'>{MAC.format(1)}{pci(2)}</interface>"
                                 "<graphics type='vnc'/>"),
    "pci-slot-2-without-vga": probe(f"<interface type='user'>{MAC.format(1)}{pci(2)}</interface>"),
    "pci-filesystem-address": probe("<filesystem type='mount'><source dir='/a'/><target dir='/b'/>"
                                    f"{pci(4)}</filesystem>" + nic(1)),
    "pci-exhausted": probe("".join(nic(i) for i in range(29))),
    "pci-ide-index-1": probe("<controller type='ide' index='1'/><watchdog model='ib700'/>"),
    # a Xen guest's tablet (and a PS/2 mouse) is neither printed nor built, but libvirt
    # keeps it: its address takes the slot the virtio-serial controller would get, and it
    # counts in the USB mouse's alias
    "pci-address-of-an-unprinted-input": probe(f"<input type='tablet'>{pci(4)}</input><input type='mouse' "
                                               "bus='ps2'/><input type='mouse' bus='usb'/>"
                                               "<channel type='pty'><target type='virtio'/></channel>",
                                               virt="kvm", arch="x86_64", emulator="/usr/bin/kvm")
    .replace(">hvm<", ">xen<"),
}

_RTC_DATE = re.compile(r"-rtc base=(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)")


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("argv-probes")
    out = {}
    for name, text in PROBES.items():
        (d / f"{name}.xml").write_text(text)
        out[name] = d / f"{name}.xml"
    return out


def _oracle_batch(files: list[Path], flags: list[str]) -> dict[str, tuple[str, str]]:
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    env = dict(os.environ, LIBVIRT083_ORACLE_EMULATOR_REQUIRED="1")
    p = subprocess.run([str(oracle), "xml2argv-batch", "--exact-flags", ",".join(flags) or "none",
                        *map(str, files)], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        pytest.skip(f"the oracle cannot run here: {p.stderr.strip()[-200:]}")
    out = {}
    for line in p.stdout.splitlines():
        name, status, payload = line.split("\t", 2)
        out[name] = (status, payload.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\"))
    return out


def _ours(path: Path, flags: frozenset[str], now: int | None) -> tuple[str, str]:
    try:
        dom = load_domain(str(path), PROFILE.capabilities)
        cmd = build_command_line(dom, flags, profile=PROFILE, now=now, domid=PROFILE.domid_for(flags))
    except VirtconformError as e:
        return "ERR", e.message
    return "OK", cmd.render().rstrip("\n")


def _oracle_time(line: str, path: Path) -> int | None:
    """The time libvirt read for a variable clock, from its -rtc base= date (month 0-based)."""
    m = _RTC_DATE.search(line)
    if m is None:
        return None
    y, mon, d, hh, mm, ss = map(int, m.groups())
    dom = load_domain(str(path), PROFILE.capabilities)
    return calendar.timegm((y, mon + 1, d, hh, mm, ss, 0, 0, 0)) - (dom.clock.adjustment or 0)


@pytest.mark.parametrize("spec", SETS)
def test_probes_build_as_libvirt_builds(probes: dict[str, Path], spec: str) -> None:
    flags = resolve(spec)
    theirs = _oracle_batch(list(probes.values()), sorted(flags))
    wrong = []
    for name, path in probes.items():
        status, payload = theirs[str(path)]
        mine = _ours(path, flags, _oracle_time(payload, path) if status == "OK" else None)
        if status == "OK" and mine != ("OK", payload):
            wrong.append(f"{name}: libvirt builds\n  {payload}\nours {mine[0]}\n  {mine[1]}")
        elif status == "ERR" and mine[0] == "OK":
            wrong.append(f"{name}: libvirt refuses ({payload.strip().splitlines()[-1]}), ours builds\n  {mine[1]}")
    assert not wrong, "\n".join(wrong)


def test_the_probes_reach_both_outcomes(probes: dict[str, Path]) -> None:
    """The probe set is not vacuous: for the device capability set libvirt builds most
    probes and refuses some (an exhausted PCI bus, an unsafe serial, a CPU model)."""
    theirs = _oracle_batch(list(probes.values()), sorted(resolve("qemu-0.12.1")))
    built = [n for n, p in probes.items() if theirs[str(p)][0] == "OK"]
    assert len(built) >= 0.85 * len(probes)
    assert {"pci-exhausted", "disk-unsafe-serial", "cpu-model"} <= set(probes) - set(built)


MIGRATION_SOURCES = ("tcp:0.0.0.0:4444", "stdio", "exec:cat", "unix:/tmp/migrate.sock")
MIGRATION_FLAGS = ("none", "migrate-qemu-tcp", "migrate-kvm-stdio", "migrate-qemu-exec", "migrate-qemu-unix",
                   "migrate-kvm-stdio,migrate-qemu-exec")


@pytest.mark.parametrize("source", MIGRATION_SOURCES)
def test_incoming_migration_as_libvirt(probes: dict[str, Path], source: str) -> None:
    """-incoming for each kind of source and QEMU: the same line, or both refuse."""
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    path = probes["memory-is-the-maximum"]
    env = dict(os.environ, LIBVIRT083_ORACLE_EMULATOR_REQUIRED="1")
    for spec in MIGRATION_FLAGS:
        flags = resolve(spec)
        p = subprocess.run([str(oracle), "xml2argv", "--exact-flags", ",".join(sorted(flags)) or "none",
                            "--migrate-from", source, str(path)], capture_output=True, text=True, env=env)
        dom = load_domain(str(path), PROFILE.capabilities)
        try:
            ours = build_command_line(dom, flags, profile=PROFILE, migrate_from=source).render()
        except VirtconformError:
            ours = None
        assert (p.returncode == 0) == (ours is not None), f"{source} with {spec}: {p.stderr or ours}"
        if ours is not None:
            assert ours == p.stdout, f"{source} with {spec}"


#: probe -> (capability set, words of the warning): libvirt builds these (the test above
#: holds the line to libvirt's) without a part of the document, which we say
DROPPED = {
    "cpu-topology": ("qemu-0.9.1", "topology"),
    "disk-format-serial-policy": ("qemu-0.10.5", "error_policy"),
    "disk-read-only": ("qemu-0.10.5", "read-only"),
    "graphics-rdp": ("qemu-0.12.1", "rdp"),
    "graphics-two": ("qemu-0.12.1", "one display"),
    "filesystem": ("qemu-0.12.1", "filesystem"),
    "hostdev-capabilities-mode": ("qemu-0.12.1", "mode 'capabilities'"),
    "channel-without-target": ("qemu-0.12.1", "without a target"),
    "nic-internal": ("qemu-0.12.1", "internal"),
    "timer-hpet-present": ("qemu-0.9.1", "HPET"),
    "on-reboot-destroy": ("drive", "on_reboot"),
}


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_what_libvirt_drops_is_a_located_warning(probes: dict[str, Path], name: str) -> None:
    spec, words = DROPPED[name]
    dom = load_domain(str(probes[name]), PROFILE.capabilities)
    cmd = build_command_line(dom, resolve(spec), profile=PROFILE)
    assert any(words in w.message and w.line for w in cmd.warnings), [w.message for w in cmd.warnings]
    with pytest.raises(VirtconformError, match=words):
        build_command_line(load_domain(str(probes[name]), PROFILE.capabilities), resolve(spec),
                           profile=PROFILE, strict=True)


def test_a_probe_nothing_is_dropped_from_has_no_warning(probes: dict[str, Path]) -> None:
    dom = load_domain(str(probes["pci-order"]), PROFILE.capabilities)
    assert build_command_line(dom, resolve("qemu-0.12.1"), profile=PROFILE).warnings == []
