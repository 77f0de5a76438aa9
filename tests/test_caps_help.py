"""qemu -help parsing against libvirt 0.8.3's rules and the reference dumps."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from virtconform.engine.caps.flags import FLAG_NAMES, NAMED_SETS, Flags
from virtconform.engine.caps.help import parse_help, parse_help_bytes, read_help
from virtconform.engine.errors import DocumentError, InputError


def _shared() -> Path:
    return Path(os.environ.get("VIRTCONFORM_SHARED")
                or Path(__file__).resolve().parents[1].parent / "shared")


REF = _shared() / "libvirt-0.8.3"
needs_ref = pytest.mark.skipif(not (REF / "manifest.json").is_file(),
                               reason="../shared/libvirt-0.8.3 not present")


def _help_cases() -> list[dict]:
    if not (REF / "manifest.json").is_file():
        return []
    return json.loads((REF / "manifest.json").read_text())["help"]


def test_flag_names_are_manifest_flag_bits_order() -> None:
    assert len(FLAG_NAMES) == 38
    if (REF / "manifest.json").is_file():
        bits = json.loads((REF / "manifest.json").read_text())["flag_bits"]
        assert sorted(bits, key=bits.get) == list(FLAG_NAMES)


@needs_ref
@pytest.mark.parametrize("case", _help_cases(), ids=lambda c: c["name"])
def test_manifest_help_case(case: dict) -> None:
    info = read_help(str(REF / "help" / case["name"]))
    assert info.version == case["version"]
    assert info.is_kvm == case["is_kvm"]
    assert info.kvm_version == case["kvm_version"]
    ignore = set(case.get("ignore_flags") or ())
    assert set(info.flags) - ignore == set(case["flags"]) - ignore
    # listed in flag_bits order
    assert info.flags.ordered() == [n for n in FLAG_NAMES if n in info.flags]


@needs_ref
def test_all_manifest_help_cases_present() -> None:
    assert len(_help_cases()) >= 6


@needs_ref
@pytest.mark.parametrize("name", sorted(NAMED_SETS))
def test_named_set_equals_parse_of_its_dump(name: str) -> None:
    dump = REF / "help" / name
    if not dump.is_file():
        pytest.skip(f"no dump for {name}")
    assert NAMED_SETS[name] == read_help(str(dump)).flags


V = "QEMU PC emulator version"


@pytest.mark.parametrize("first,version,is_kvm,kvm", [
    ("QEMU emulator version 0.13.0, Copyright", 13000, False, 0),
    ("QEMU PC emulator version 0.12.3 (qemu-kvm-0.12.3), Copyright", 12003, True, 0),
    ("QEMU PC emulator version 0.9.1 (kvm-83), Copyright", 9001, True, 83),
    ("QEMU PC emulator version \t 1.2.3", 1002003, False, 0),
    ("QEMU PC emulator version 0.10.92 (qemu-kvm-devel)", 10092, True, 0),
])
def test_version_line(first: str, version: int, is_kvm: bool, kvm: int) -> None:
    info = parse_help(first + "\n")
    assert (info.version, info.is_kvm, info.kvm_version) == (version, is_kvm, kvm)


def _flags(first: str, body: str) -> Flags:
    return parse_help(first + "\n" + body).flags


def test_migration_rules_by_version() -> None:
    assert {"migrate-kvm-stdio"} <= _flags(f"{V} 0.9.1 (kvm-78)", "")
    f79 = _flags(f"{V} 0.9.1 (kvm-79)", "")
    assert "migrate-qemu-tcp" in f79 and "migrate-qemu-exec" not in f79
    assert {"migrate-qemu-tcp", "migrate-qemu-exec"} <= _flags(f"{V} 0.9.1 (kvm-83)", "")
    assert not {"migrate-qemu-tcp", "migrate-kvm-stdio"} & _flags(f"{V} 0.9.1", "")
    f12 = _flags(f"{V} 0.12.0", "")
    assert {"migrate-qemu-tcp", "migrate-qemu-exec", "migrate-qemu-unix", "net-name"} <= f12
    assert "migrate-qemu-unix" not in _flags(f"{V} 0.11.0", "")


def test_netdev_only_from_0_13_and_never_json_or_configfd() -> None:
    body = "-netdev [user|tap],id=str\n-device driver\n-qmp dev\n"
    assert "netdev" not in _flags(f"{V} 0.12.5", body)
    f13 = _flags("QEMU emulator version 0.13.0", body)
    assert "netdev" in f13
    assert "monitor-json" not in f13 and "pci-configfd" not in f13


def test_substring_rules_and_their_quirks() -> None:
    f = _flags(f"{V} 0.12.3 (qemu-kvm-0.12.3)",
               "-drive [cache=writethrough|writeback|none][,format=f][,serial=s][,boot=on|off]\n"
               "-rtc-td-hack\n-net tap[,vhost=on|off],vnet_hdr\n-xen-domid id\n-nodefconfig\n"
               "-smp n[,cores=c][,threads=t][,sockets=s]\n-vga [std]\n")
    for name in ("drive", "drive-cache-v2", "drive-format", "drive-serial", "drive-boot",
                 "rtc-td-hack", "vnet-host", "vnet-hdr", "xen-domid", "nodefconfig",
                 "smp-topology", "vga"):
        assert name in f, name
    assert "rtc" not in f            # "-rtc " needs the trailing blank
    assert "domid" not in f          # -xen-domid wins over -domid
    old = _flags(f"{V} 0.9.1", "-drive [cache=on|off]\n-std-vga\n-vga\n-domid n\n,vhost=on\n")
    assert "drive-cache-v2" not in old and "vga" not in old
    assert "domid" in old and "vnet-host" not in old   # vhost only counts for kvm
    assert "drive-format" not in _flags(f"{V} 0.9.1", "format=x\n")  # only with -drive


@pytest.mark.parametrize("data,where", [
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"\x7fELF\x02\x01\x00\x00garbage", "binary"),
    (b"Usage: qemu [options]\n", "Usage: qemu"),
    (b"QEMU emulator version\n", "QEMU emulator version"),
    (b"QEMU emulator version 0.x.1\n", "0.x.1"),
    (b"QEMU emulator version 0.12\n", "0.12"),
    (b"QEMU emulator version -1.2.3\n", "-1.2.3"),
    (b"QEMU emulator version 99999999999.0.0\n", "99999999999"),
    (b"QEMU PC emulator version 0.9.1 (kvm-xx)\n", "kvm-xx"),
    (b" QEMU emulator version 0.12.1\n", "QEMU"),
    (b"qemu emulator version 0.12.1\n", "qemu emulator"),
])
def test_malformed_help_is_a_located_document_error(data: bytes, where: str) -> None:
    with pytest.raises(DocumentError) as e:
        parse_help_bytes(data, "help.txt")
    line = e.value.format()
    assert line.startswith("help.txt:1:")
    assert where in line
    assert "\n" not in line


def test_long_first_line_is_truncated_in_the_message() -> None:
    with pytest.raises(DocumentError) as e:
        parse_help("x" * 500 + "\n")
    assert len(e.value.message) < 200


def test_unreadable_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_help(str(tmp_path / "missing"))
    with pytest.raises(InputError):
        read_help(str(tmp_path))
