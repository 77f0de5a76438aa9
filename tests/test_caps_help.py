"""qemu -help parsing is libvirt 0.8.3's qemudParseHelpStr: the reference dumps, agreement
with libvirt's own code (../shared/oracle, asked at run time) on hand-written help texts and
on mutated dumps, and located errors."""
from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from conftest import reference_suite
from virtconform.conformance.suites.shared import oracle_command
from virtconform.engine.caps.flags import FLAG_NAMES, NAMED_SETS
from virtconform.engine.caps.help import parse_help, parse_help_bytes, read_help
from virtconform.engine.errors import DocumentError, InputError


def _help_cases() -> list[dict]:
    suite = reference_suite()
    return json.loads((suite / "manifest.json").read_text())["help"] if suite else []


def test_flag_names_are_manifest_flag_bits_order() -> None:
    assert len(FLAG_NAMES) == 38
    suite = reference_suite()
    if suite is not None:
        bits = json.loads((suite / "manifest.json").read_text())["flag_bits"]
        assert sorted(bits, key=bits.get) == list(FLAG_NAMES)


@pytest.mark.parametrize("case", _help_cases() or [pytest.param({}, marks=pytest.mark.skip("no ../shared"))],
                         ids=lambda c: c.get("name", "none"))
def test_manifest_help_case(case: dict, reference: Path) -> None:
    info = read_help(str(reference / "help" / case["name"]))
    assert (info.version, info.is_kvm, info.kvm_version) == (case["version"], case["is_kvm"], case["kvm_version"])
    ignore = set(case.get("ignore_flags") or ())
    assert set(info.flags) - ignore == set(case["flags"]) - ignore
    assert info.flags.ordered() == [n for n in FLAG_NAMES if n in info.flags]  # flag_bits order


@pytest.mark.parametrize("name", sorted(NAMED_SETS))
def test_named_set_equals_parse_of_its_dump(name: str, reference: Path) -> None:
    dump = reference / "help" / name
    if not dump.is_file():
        pytest.skip(f"no dump for {name}")
    assert NAMED_SETS[name] == read_help(str(dump)).flags


# --------------------------------------------------------------------------- agreement with libvirt

V = "QEMU PC emulator version"
#: (rule, help text): witnesses of qemudParseHelpStr's version rules and qemudComputeCmdFlags'
#: substring rules; what libvirt makes of each is asked at run time
RULES: list[tuple[str, str]] = [
    ("the two version prefixes", "QEMU emulator version 0.13.0, Copyright\n"),
    ("blanks and tabs after the prefix", f"{V} \t 1.2.3\n"),
    ("no blank after the prefix", f"{V}0.12.1\n"),
    ("qemu-kvm marks kvm without a number", f"{V} 0.12.3 (qemu-kvm-0.12.3), Copyright\n"),
    ("kvm-NN is kvm's version", f"{V} 0.9.1 (kvm-83)\n"),
    ("kvm- without a number", f"{V} 0.9.1 (kvm-xx)\n"),
    ("kvm- too large", f"{V} 0.9.1 (kvm-2147483648)\n"),
    ("no blank before the kvm part", f"{V} 0.9.1(kvm-84)\n"),
    ("anything after micro", f"{V} 0.12.1-dirty\n-name\n"),
    ("leading zeros", f"{V} 00.012.0001\n"),
    ("a large major number wraps in an unsigned int", f"{V} 5000.0.0\n-drive\n"),
    ("wrapping to 0 loses the version-based flags", f"{V} 4294.967.296 (kvm-85)\n"),
    ("a number past INT_MAX fails", f"{V} 2147483648.0.0\n"),
    ("two numbers only", f"{V} 0.12\n"),
    ("a sign", f"{V} +0.1.2\n"),
    ("a blank before the prefix", f" {V} 0.12.1\n"),
    ("lower case", "qemu emulator version 0.12.1\n"),
    ("empty", ""),
    ("a binary", "\x7fELF\x02\x01\x01"),
    ("a NUL ends the text", f"{V} 0.12.1\n-name\0-uuid\n"),
    ("migration: stdio before kvm-79", f"{V} 0.9.1 (kvm-78)\n"),
    ("migration: tcp from kvm-79", f"{V} 0.9.1 (kvm-79)\n"),
    ("migration: exec from kvm-80", f"{V} 0.9.1 (kvm-80)\n"),
    ("migration: unix from 0.12", f"{V} 0.12.0\n"),
    ("vnet_hdr for kvm from 0.10 or kvm-74", f"{V} 0.9.1 (kvm-74)\n"),
    ("drive cache v2 needs the full mode list", f"{V} 0.12.1\n-drive [cache=writethrough|writeback|none]\n"),
    ("cache=on|off does not unset it", f"{V} 0.12.1\n-drive cache=writethrough|writeback|none cache=on|off\n"),
    ("other cache texts are v1", f"{V} 0.12.1\n-drive [cache=writethrough|writeback] cache=none\n"),
    ("format= and cache only with -drive", f"{V} 0.12.1\nformat=f cache=writethrough|writeback|none\n"),
    ("-vga only without -std-vga", f"{V} 0.10.0\n-std-vga\n-vga\n"),
    ("-xen-domid wins over -domid", f"{V} 0.12.1\n-xen-domid id\n-domid n\n"),
    ("-rtc needs the trailing blank", f"{V} 0.12.1\n-rtc-td-hack\n-rtc\tbase\n"),
    ("-rtc with a blank", f"{V} 0.12.1\n-rtc base\n"),
    ("-netdev never turns netdev on", "QEMU emulator version 0.13.0\n-netdev user\n-device x\n-qmp\n"),
    ("vhost only for kvm", f"{V} 0.12.1\n-net tap[,vhost=on]\n"),
    ("vhost for kvm", f"{V} 0.12.1 (qemu-kvm-0.12.1)\n-net tap[,vhost=on]\n"),
    ("smp topology needs all three", f"{V} 0.12.1\ncores= threads=\n"),
    ("the other substrings", f"{V} 0.12.1\n-no-kqemu -no-kvm -enable-kvm -no-reboot -name -uuid -pcidevice "
                             "-mem-path -chardev -balloon -device -nodefconfig -no-hpet -no-kvm-pit-reinjection "
                             "-tdf -sdl cores= threads= sockets= boot=on serial=s\n"),
]

_SNIPPETS = ["-no-kqemu", "-no-kvm", "-enable-kvm", "-name", "-uuid", "-xen-domid", "-domid", "-drive",
             "cache=writethrough|writeback|none", "cache=on|off", "format=", "-vga", "-std-vga", "boot=on",
             "serial=s", "-pcidevice", "-mem-path", "-chardev", "-balloon", "-device", "-nodefconfig", "-rtc ",
             "-rtc-td-hack", "-no-hpet", "-no-kvm-pit-reinjection", "-tdf", "-netdev", "-sdl", "cores=",
             ",vhost="]
_FIRST = ["0.12.1", "0.13.0", "0.9.0", "0.10.0", "1.2.3", "0.12", "12.3.4", "5000.0.0", "0.12.1 (qemu-kvm-0.12.1)",
          "0.9.1 (kvm-74)", "0.9.1 (kvm-79)", "0.9.1 (kvm-80)", "0.9.1 (kvm-)", "0.11.0 (kvm-devel)"]


def _mutate(text: str, r: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(r.choice((1, 2, 3))):
        k = r.randrange(6)
        if k == 0 and len(lines) > 1:
            del lines[r.randrange(1, len(lines))]
        elif k == 1:
            i = r.randrange(len(lines))
            lines.insert(i, lines[i])
        elif k == 2 and len(lines) > 1:
            i = r.randrange(1, len(lines))
            lines[i] = lines[i].replace(r.choice(_SNIPPETS), r.choice(_SNIPPETS))
        elif k == 3:
            lines.insert(r.randrange(1, len(lines) + 1), r.choice(_SNIPPETS))
        elif k == 4:
            lines[0] = f"{r.choice(('QEMU emulator version', V))} {r.choice(_FIRST)}"
        elif len(lines) > 2:
            i = r.randrange(1, len(lines))
            del lines[i:i + r.randrange(1, 20)]
    return "\n".join(lines)


def _libvirt(oracle: Path, path: Path) -> dict | None:
    try:
        p = subprocess.run([str(oracle), "help", str(path)], capture_output=True, text=True, errors="replace")
    except OSError as e:
        pytest.skip(f"the oracle cannot run here: {e}")
    if p.returncode == 1:
        return None
    if p.returncode != 0:
        pytest.skip(f"the oracle cannot run here: {p.stderr.strip()[-200:]}")
    d = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
    return {"version": int(d["version"]), "is_kvm": d["is_kvm"] == "1", "kvm_version": int(d["kvm_version"]),
            "flags": sorted("net-name" if f == "0-10" else f for f in d.get("flag_names", "").split(",") if f)}


def _ours(path: Path) -> dict | None:
    try:
        info = read_help(str(path))
    except DocumentError:
        return None
    return {"version": info.version, "is_kvm": info.is_kvm, "kvm_version": info.kvm_version,
            "flags": sorted(info.flags)}


def _agree(texts: list[str], tmp: Path) -> list[str]:
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    bad = []
    for i, text in enumerate(texts):
        f = tmp / f"help{i:04d}"
        f.write_bytes(text.encode("latin-1"))
        ours, theirs = _ours(f), _libvirt(oracle, f)
        if ours != theirs:
            bad.append(f"{text[:80]!r}: ours {ours}, libvirt {theirs}")
    return bad


def test_rules_agree_with_libvirt(tmp_path: Path) -> None:
    bad = _agree([text for _, text in RULES], tmp_path)
    assert not bad, "\n".join(bad)


def test_mutated_dumps_agree_with_libvirt(reference: Path, tmp_path: Path) -> None:
    bases = [p.read_text(encoding="latin-1") for p in sorted((reference / "help").iterdir())]
    r = random.Random(20100715)
    texts = [_mutate(r.choice(bases), r) for _ in range(150)]
    bad = _agree(texts, tmp_path)
    assert not bad, f"{len(bad)} of {len(texts)} disagree:\n" + "\n".join(bad[:10])


# --------------------------------------------------------------------------- the project's own parts

@pytest.mark.parametrize("data,where", [
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"\x7fELF\x02\x01\x00\x00garbage", "?ELF"),
    (b"Usage: qemu [options]\n", "Usage: qemu"),
    (b"QEMU emulator version\n", "QEMU emulator version"),
    (b"QEMU emulator version 0.x.1\n", "0.x.1"),
    (b"QEMU emulator version 99999999999.0.0\n", "99999999999"),
    (b"QEMU PC emulator version 0.9.1 (kvm-xx)\n", "kvm-xx"),
])
def test_malformed_help_is_a_located_document_error(data: bytes, where: str) -> None:
    with pytest.raises(DocumentError) as e:
        parse_help_bytes(data, "help.txt")
    line = e.value.format()
    assert line.startswith("help.txt:1:") and where in line and "\n" not in line


def test_long_first_line_is_truncated_in_the_message() -> None:
    with pytest.raises(DocumentError) as e:
        parse_help("x" * 500 + "\n")
    assert len(e.value.message) < 200


def test_unreadable_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_help(str(tmp_path / "missing"))
    with pytest.raises(InputError):
        read_help(str(tmp_path))
