"""Gatekeeping: a change passes only when it is valid, still builds, and keeps what the guest sees."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "domains"
CLI = [sys.executable, "-m", "virtconform.conformance.cli", "gate"]


def run(old: Path, new: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + [str(old), str(new), *extra], capture_output=True, text=True)


def changed(tmp_path: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    text = (CORPUS / name).read_text()
    assert old in text, f"{old!r} not in {name}"
    out = tmp_path / name
    out.write_text(text.replace(old, new, count))
    return out


def test_identical_definitions_pass() -> None:
    f = CORPUS / "chardevs.xml"
    p = run(f, f)
    assert p.returncode == 0 and p.stdout.strip().endswith("passed"), p.stdout + p.stderr
    assert "compared on" in p.stdout and "compared on 0 " not in p.stdout


def test_a_new_nic_names_the_device_and_the_moved_slot_with_a_pin(tmp_path: Path) -> None:
    old = CORPUS / "virtio-serial-channels.xml"
    nic = ("    <interface type='user'>\n      <mac address='52:54:00:00:00:99'/>\n"
           "      <model type='virtio'/>\n    </interface>\n")
    new = changed(tmp_path, old.name, "    <channel", nic + "    <channel")
    p = run(old, new, "--caps", "qemu-0.12.1", "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 1 and not out["passed"]
    items = {c["item"]: c for c in out["abi"]}
    assert items["interface 52:54:00:00:00:99"]["kind"] == "added"
    moved = [c for c in out["abi"] if c["kind"] == "changed" and "PCI slot" in c["detail"]]
    assert moved, out["abi"]
    for c in moved:  # the pin keeps the old slot: the one named first in "0xOLD -> 0xNEW"
        old_slot = c["detail"].split("PCI slot ")[1].split(" ->")[0]
        assert f"slot='{old_slot}'" in c["suggestion"] and "<address type='pci'" in c["suggestion"]
    assert all("(" not in c["item"] for c in out["abi"])  # names, never tuples
    assert any(line.startswith("+ -device") for line in out["argv"]["qemu-0.12.1"])
    assert run(old, new, "--caps", "qemu-0.12.1", "--allow-abi-change").returncode == 0


def test_memory_reaches_the_guest_and_is_compared(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    # libvirt 0.8.3 gives -m the <memory> (the maximum); <currentMemory> is the balloon's
    # run-time target and changes nothing on the command line
    same = changed(tmp_path, old.name, "<currentMemory>219136<", "<currentMemory>109568<")
    assert run(old, same).returncode == 0
    new = changed(tmp_path, old.name, "<memory>219136<", "<memory>109568<")
    p = run(old, new)
    assert p.returncode == 1, p.stdout
    line = next(ln for ln in p.stdout.splitlines() if "guest ABI: memory:" in ln)
    assert line.startswith(f"{new}:4:")  # points at <memory>
    assert any(ln.strip().startswith("- -m ") for ln in p.stdout.splitlines())
    assert any(ln.strip().startswith("+ -m ") for ln in p.stdout.splitlines())


def test_a_changed_mac_is_one_replacement_named_by_both_macs(tmp_path: Path) -> None:
    old = CORPUS / "desktop-multimedia.xml"
    new = changed(tmp_path, old.name, "52:54:00:12:34:56", "52:54:00:12:34:57")
    out = json.loads(run(old, new, "--json").stdout)
    assert [c["item"] for c in out["abi"]] == ["interface 52:54:00:12:34:57"]
    assert "52:54:00:12:34:56" in out["abi"][0]["detail"]
    assert out["abi"][0]["line"] == 33


def test_a_change_outside_the_command_line_is_not_an_abi_change(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    new = changed(tmp_path, old.name, "<on_crash>", "<description>x</description>\n  <on_crash>")
    p = run(old, new, "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 0 and out["abi"] == [] and out["argv"] == {}, p.stdout + p.stderr


def test_a_change_that_no_longer_builds_is_a_regression(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    new = changed(tmp_path, old.name, "    <memballoon",
                  "    <channel type='pty'>\n      <target type='virtio' name='x'/>\n"
                  "    </channel>\n    <memballoon")
    p = run(old, new, "--caps", "qemu-0.10.5", "--json", "--allow-abi-change")
    out = json.loads(p.stdout)
    assert p.returncode == 1
    assert any("no longer builds" in r and "-device" in r for r in out["regressions"])


def test_nothing_checkable_fails_loudly() -> None:
    f = CORPUS / "mcast-cluster.xml"  # a guest CPU model: refused by every capability set
    p = run(f, f)
    assert p.returncode == 1
    assert "NOT CHECKED" in p.stdout and "checked 0" not in p.stdout
    out = json.loads(run(f, f, "--json").stdout)
    assert not out["passed"] and out["checked_targets"] == [] and out["unchecked_targets"]


def test_an_invalid_new_definition_fails_with_its_location(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    new = changed(tmp_path, old.name, "<on_reboot>restart", "<on_reboot>explode")
    p = run(old, new)
    assert p.returncode == 1 and p.stderr.startswith(f"{new}:") and "Traceback" not in p.stderr
    p = run(old, new, "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["passed"] is False and out["error"]["line"] > 0


def test_json_on_an_unreadable_document(tmp_path: Path) -> None:
    p = run(CORPUS / "chardevs.xml", tmp_path / "missing.xml", "--json")
    assert p.returncode == 2 and json.loads(p.stdout)["error"]["message"]


def test_a_removed_channel_is_named_by_its_target(tmp_path: Path) -> None:
    old = CORPUS / "virtio-serial-channels.xml"
    text = old.read_text()
    start = text.index("    <channel type='unix'>")
    end = text.index("</channel>\n", start) + len("</channel>\n")
    new = tmp_path / old.name
    new.write_text(text[:start] + text[end:])
    out = json.loads(run(old, new, "--caps", "qemu-0.12.1", "--json").stdout)
    removed = [c for c in out["abi"] if c["kind"] == "removed"]
    assert [c["item"] for c in removed] == ["channel org.qemu.guest_agent.0"]
    assert "virtio-serial" in removed[0]["detail"] and "port=2" in removed[0]["detail"]
