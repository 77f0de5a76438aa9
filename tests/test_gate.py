"""Gatekeeping: a change passes only when it is valid, still builds, and keeps the guest ABI."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "domains"
CLI = [sys.executable, "-m", "virtconform.conformance.cli", "gate"]


def run(old: Path, new: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + [str(old), str(new), *extra], capture_output=True, text=True)


def test_identical_definitions_pass() -> None:
    f = CORPUS / "chardevs.xml"
    p = run(f, f)
    assert p.returncode == 0 and p.stdout.strip().endswith("passed"), p.stdout + p.stderr


def test_a_new_nic_that_moves_pci_slots_fails(tmp_path: Path) -> None:
    old = CORPUS / "virtio-serial-channels.xml"
    text = old.read_text()
    new = tmp_path / "new.xml"
    nic = ("    <interface type='user'>\n      <mac address='52:54:00:00:00:99'/>\n"
           "      <model type='virtio'/>\n    </interface>\n")
    new.write_text(text.replace("    <serial", nic + "    <serial", 1) if "<serial" in text
                   else text.replace("    <channel", nic + "    <channel", 1))
    p = run(old, new, "--caps", "qemu-0.12.1", "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 1 and not out["passed"]
    assert any(line.startswith("ABI: interface 0 added") for line in out["abi"])
    p = run(old, new, "--caps", "qemu-0.12.1", "--allow-abi-change")
    assert p.returncode == 0


def test_a_change_that_no_longer_builds_is_a_regression(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    new = tmp_path / "new.xml"
    new.write_text(old.read_text().replace(
        "  <devices>\n", "  <devices>\n", 1).replace(
        "    <memballoon", "    <channel type='pty'>\n      <target type='virtio' name='x'/>\n"
                          "    </channel>\n    <memballoon", 1))
    p = run(old, new, "--caps", "qemu-0.10.5", "--json", "--allow-abi-change")
    out = json.loads(p.stdout)
    assert p.returncode == 1
    assert any("no longer builds" in r and "-device" in r for r in out["regressions"])


def test_an_invalid_new_definition_fails_with_its_location(tmp_path: Path) -> None:
    old = CORPUS / "chardevs.xml"
    new = tmp_path / "new.xml"
    new.write_text(old.read_text().replace("<on_reboot>restart", "<on_reboot>explode"))
    p = run(old, new)
    assert p.returncode == 1 and p.stderr.startswith(f"{new}:") and "Traceback" not in p.stderr
