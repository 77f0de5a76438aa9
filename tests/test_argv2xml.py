"""argv2xml is libvirt 0.8.3's qemuParseCommandLine: the reference cases, agreement with
libvirt's own code (../shared/oracle, asked at run time) on hand-written witnesses of its
rules and on mutated command lines, and the project's own parts: located warnings,
``--strict``, located errors, the CLI.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from argv_rules import RULES

from conftest import reference_suite
from virtconform.conformance.suites.shared import blank, oracle_command
from virtconform.engine.errors import ConfigError, VirtconformError
from virtconform.engine.qemu import registry
from virtconform.engine.qemu.argvparse import ParseOptions, argv_to_xml, convert
from virtconform.engine.qemu.argvsplit import split_command_line, tokenize

CLI = [sys.executable, "-m", "virtconform.conformance.cli"]


def _cases() -> list[str]:
    suite = reference_suite()
    if suite is None:
        return []
    return sorted({c["name"] for c in json.loads((suite / "manifest.json").read_text())["argv2xml"]})


# --------------------------------------------------------------------------- the reference suite

@pytest.mark.parametrize("name", _cases() or [pytest.param("none", marks=pytest.mark.skip("no ../shared"))])
def test_reference_case(name: str) -> None:
    suite = reference_suite()
    assert suite is not None
    got = argv_to_xml((suite / "data" / f"{name}.args").read_text(), path=f"{name}.args")
    assert blank(got) == blank((suite / "data" / f"{name}.xml").read_text())


# --------------------------------------------------------------------------- agreement with libvirt

_MAC = re.compile(r"<mac address='([0-9a-f:]+)'/>")


def _mask_generated_macs(xml: str, args: str) -> str:
    """A NIC without macaddr= gets a MAC drawn at random by libvirt and derived from the
    command line by us (a row of docs/deviations.md): such MACs are compared masked."""
    given = {m.lower() for m in re.findall(r"macaddr=([0-9A-Fa-f:]+)", args)}
    given = {":".join(f"{int(p, 16):02x}" for p in m.split(":")) for m in given
             if re.fullmatch(r"[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}", m)}
    return _MAC.sub(lambda m: m.group(0) if m.group(1) in given else "<mac address='GENERATED'/>", xml)


def _ours(text: str, path: str) -> tuple[str, str]:
    try:
        return "built", blank(argv_to_xml(text, path=path))
    except VirtconformError as e:
        return "refused", e.message


@pytest.fixture(scope="module")
def libvirt_argv2xml():
    """Answers of libvirt's own argv2xml for command-line texts (one batch per call)."""
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    from virtconform.conformance.crosscheck.protocol import Oracle, OracleUnavailable
    client = Oracle([str(oracle)])

    def ask(texts: list[str], tmp: Path) -> list[tuple[str, str]]:
        paths = []
        for i, t in enumerate(texts):
            p = tmp / f"{i:04d}.args"
            p.write_text(t)
            paths.append(str(p))
        try:
            got = client.batch("argv2xml", paths)
        except OracleUnavailable as e:
            pytest.skip(f"the oracle cannot run here: {e.message}")
        out = []
        for p in paths:
            a = got[p]
            out.append(("built", blank(a.text)) if a.built else (a.status, a.text))
        return out
    return ask


def _disagreements(texts: list[str], theirs: list[tuple[str, str]]) -> list[str]:
    bad = []
    for text, (their_status, their_text) in zip(texts, theirs, strict=True):
        status, out = _ours(text, "t.args")
        if their_status == "crash":
            bad.append(f"libvirt crashes on {text!r} (a deviation row is due)")
        elif status != their_status:
            bad.append(f"{text!r}: ours {status} ({out[:200]}), libvirt {their_status} ({their_text[:200]})")
        elif status == "built" and _mask_generated_macs(out, text) != _mask_generated_macs(their_text, text):
            bad.append(f"{text!r}: ours\n{out}\nlibvirt\n{their_text}")
    return bad


def test_rules_agree_with_libvirt(libvirt_argv2xml, tmp_path: Path) -> None:
    texts = [args + "\n" for _, args in RULES]
    bad = _disagreements(texts, libvirt_argv2xml(texts, tmp_path))
    assert not bad, "\n".join(bad)


def test_every_reader_is_witnessed() -> None:
    """Each option the registry reads appears in some rule, so that each is held to libvirt."""
    words = {w.lstrip("-") for _, args in RULES for w in args.split()}
    names = [*registry.OPTIONS, *registry.PREFIXES]
    missing = [n for n in names if not any(w.startswith(n.lstrip("-")) for w in words)]
    assert not missing, missing


#: odd values for mutated command lines
_ODD = ["'", "<&>", "a\tb", "", "none", "0", "-1", "1", "99999999999", "0x10", "+3", "a", "x,y", "a=b", ",", "=",
        "/dev/sdb", "host:1.2", "host:0x1:0x2", "host=00:1f.7", "tcp:h:1,server", "unix:/s,listen",
        "udp:a:1@b", "file:", "pty", "tablet", "disk:/x", "nic,vlan=1", "nic,macaddr=52:54:00:12:34:56",
        "user,vlan=1", "tap,ifname=vnet3,script=", "socket", "cd", "c,menu=on", "qemu64,+sse2,-lm",
        "2,sockets=2,cores=1,threads=1", "3,maxcpus=4", "file=/a,index=25", "file=/a,if=virtio",
        "file=/a,if=scsi,bus=1,unit=3", "file=,media=cdrom,index=2", "pcspk,sb16", "i6300esb", "pause",
        "std", "vmware", ":1", "127.0.0.1:0", "12345678-1234-1234-1234-123456789abc", "pc-0.11"]
_FLAGS = ["-no-acpi", "-no-reboot", "-no-kvm", "-nographic", "-full-screen", "-localtime", "-std-vga",
          "-vmwarevga", "-usb", "-S", "-enable-kvm", "-nodefaults"]
_OPTS = ["-m", "-smp", "-uuid", "-name", "-M", "-cpu", "-hda", "-sdl", "-fdq", "-cdrom", "-drive", "-net",
         "-serial", "-parallel", "-usbdevice", "-pcidevice", "-soundhw", "-watchdog", "-watchdog-action",
         "-vga", "-vnc", "-boot", "-kernel", "-bootloader", "-rtc", "-device", "-chardev", "-k"]


def _mutate(text: str, r: random.Random) -> str:
    words = text.split()
    env = [w for w in words[:8] if "=" in w and not w.startswith("-")]
    rest = words[len(env):]
    emulator, args = rest[0], rest[1:]
    groups: list[list[str]] = []
    i = 0
    while i < len(args):
        n = 2 if i + 1 < len(args) and not args[i + 1].startswith("-") else 1
        groups.append(args[i:i + n])
        i += n
    for _ in range(r.choice((1, 1, 2, 3))):
        k = r.randrange(8)
        if k == 0 and groups:
            del groups[r.randrange(len(groups))]
        elif k == 1 and groups:
            groups.insert(r.randrange(len(groups) + 1), list(r.choice(groups)))
        elif k == 2 and len(groups) > 1:
            a, b = r.randrange(len(groups)), r.randrange(len(groups))
            groups[a], groups[b] = groups[b], groups[a]
        elif k in (3, 4) and groups:
            g = r.choice(groups)
            if len(g) == 2:
                g[1] = r.choice(_ODD) if r.random() < 0.7 else g[1] + r.choice((",", ",x", ",x=1", "0"))
        elif k == 5:
            groups.insert(r.randrange(len(groups) + 1), [r.choice(_FLAGS)])
        elif k == 6:
            groups.insert(r.randrange(len(groups) + 1), [r.choice(_OPTS), r.choice(_ODD)])
        else:
            emulator = r.choice(("/usr/bin/qemu-kvm", "/usr/bin/xenner", "/usr/bin/qemu-system-x86_64"))
    return " ".join(env + [emulator] + [w for g in groups for w in g]) + "\n"


def test_mutated_reference_command_lines_agree_with_libvirt(libvirt_argv2xml, tmp_path: Path) -> None:
    suite = reference_suite()
    if suite is None:
        pytest.skip("../shared/libvirt-0.8.3 is not present")
    bases = [p.read_text() for p in sorted((suite / "data").glob("*.args"))]
    r = random.Random(20100715)
    texts = [_mutate(r.choice(bases), r) for _ in range(400)]
    bad = _disagreements(texts, libvirt_argv2xml(texts, tmp_path))
    assert not bad, f"{len(bad)} of {len(texts)} disagree:\n" + "\n".join(bad[:10])


# --------------------------------------------------------------------------- the project's own parts

def test_words_know_where_they_start() -> None:
    toks = tokenize("A=1 /usr/bin/qemu \n  -name 'a b' -m\t12\n-S")
    assert [(t.text, t.line, t.col) for t in toks] == [
        ("A=1", 1, 1), ("/usr/bin/qemu", 1, 5), ("-name", 2, 3), ("a b", 2, 9), ("-m\t12", 2, 15), ("-S", 3, 1)]
    cmd = split_command_line("DISPLAY=:0 DISPLAY=:1 /usr/bin/qemu")
    assert cmd.getenv("DISPLAY") == ":0" and cmd.getenv("XAUTHORITY") is None


def test_dropped_arguments_are_located_warnings() -> None:
    r = convert("/usr/bin/qemu -nographic -rtc \n base=utc -m 128", path="w.args")
    assert [w.format() for w in r.warnings] == [
        "w.args:1:26: warning: unknown QEMU argument '-rtc' during conversion",
        "w.args:2:2: warning: unknown QEMU argument 'base=utc' during conversion"]
    assert "<memory>131072</memory>" in r.xml  # -m after the dropped words is read


def test_strict_refuses_the_first_warning() -> None:
    with pytest.raises(ConfigError) as e:
        convert("/usr/bin/qemu -nographic -rtc base=utc", path="s.args", options=ParseOptions(strict=True))
    assert (e.value.path, e.value.line, e.value.column) == ("s.args", 1, 26)
    assert "unknown QEMU argument '-rtc'" in e.value.message and "--strict" in e.value.message


@pytest.mark.parametrize(("args", "col", "msg"), [
    ("-m 1x", 18, "cannot parse memory level '1x'"),
    ("-name", 15, "missing value for -name argument"),
    ("-drive file=/a", 22, "missing index/unit/bus parameter"),
    ("-net nic -net user,vlan=2", 29, "cannot find NIC definition for vlan 2"),
    ("-serial bogus", 23, "unknown character device syntax bogus"),
])
def test_errors_are_located_at_the_argument(args: str, col: int, msg: str) -> None:
    with pytest.raises(ConfigError) as e:
        convert(f"/usr/bin/qemu {args}", path="e.args")
    assert (e.value.path, e.value.line, e.value.column) == ("e.args", 1, col)
    assert msg in e.value.message


def test_implied_controllers_are_bounded() -> None:
    """libvirt lists one controller per index below a disk's: a name like 'sdzzzzz' would make
    hundreds of thousands of lines; we refuse instead (a row of docs/deviations.md)."""
    with pytest.raises(ConfigError, match="controllers"):
        convert("/usr/bin/qemu -nographic -sdzzzzz /a")


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "argv2xml", *args], capture_output=True, text=True, input=stdin)


def test_cli_prints_xml_with_warnings_on_stderr(tmp_path: Path) -> None:
    f = tmp_path / "g.args"
    f.write_text("/usr/bin/qemu -nographic -enable-kvm -name g\n")
    p = _cli(str(f))
    assert p.returncode == 0 and "<name>g</name>" in p.stdout
    assert p.stderr == f"{f}:1:26: warning: unknown QEMU argument '-enable-kvm' during conversion\n"
    p = _cli("--strict", str(f))
    assert p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1


def test_cli_validate_refuses_what_the_schema_rejects(tmp_path: Path) -> None:
    f = tmp_path / "v.args"
    f.write_text("/usr/bin/qemu-system-arm -nographic\n")  # the schema knows no arch 'arm'
    assert _cli(str(f)).returncode == 0
    p = _cli("--validate", str(f))
    assert p.returncode == 1 and "schema rejects" in p.stderr and len(p.stderr.splitlines()) == 1


def test_cli_keeps_bytes_that_are_not_utf8_and_refuses_nul(tmp_path: Path) -> None:
    (tmp_path / "latin.args").write_bytes(b"/usr/bin/qemu -nographic -name caf\xe9\n")
    p = subprocess.run([*CLI, "argv2xml", str(tmp_path / "latin.args")], capture_output=True)
    assert p.returncode == 0 and b"<name>caf\xe9</name>" in p.stdout  # as libvirt copied them
    (tmp_path / "nul.args").write_bytes(b"/usr/bin/qemu -name a\0b\n")
    p = _cli(str(tmp_path / "nul.args"))
    assert p.returncode == 1 and p.stderr == f"{tmp_path / 'nul.args'}:1:22: NUL byte in command line\n"
