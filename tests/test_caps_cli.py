"""`virtconform caps` through the installed command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import reference_suite

REF = reference_suite()


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "caps", *args],
                          capture_output=True, text=True, timeout=60)


def _help_file(tmp_path: Path) -> Path:
    f = tmp_path / "help"
    f.write_text("QEMU PC emulator version 0.12.3 (qemu-kvm-0.12.3), Copyright\n"
                 "-drive [,cache=writethrough|writeback|none][,format=f]\n-no-kvm\n")
    return f


def test_json_output_exact(tmp_path: Path) -> None:
    r = _run("--qemu-help", str(_help_file(tmp_path)), "--json")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ('{"version": 12003, "is_kvm": true, "kvm_version": 0, "flags": '
                        '["vnc-colon", "drive", "vnet-hdr", "migrate-qemu-tcp", "migrate-qemu-exec", '
                        '"drive-cache-v2", "kvm", "drive-format", "net-name", "migrate-qemu-unix"]}\n')


@pytest.mark.skipif(REF is None, reason="../shared/libvirt-0.8.3 is not present")
def test_json_matches_manifest() -> None:
    assert REF is not None
    for case in json.loads((REF / "manifest.json").read_text())["help"]:
        r = _run("--qemu-help", str(REF / "help" / case["name"]), "--json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["version"] == case["version"] and got["is_kvm"] == case["is_kvm"]
        assert got["kvm_version"] == case["kvm_version"]
        assert sorted(got["flags"]) == sorted(case["flags"])


def test_table_output(tmp_path: Path) -> None:
    r = _run("--qemu-help", str(_help_file(tmp_path)))
    assert r.returncode == 0
    assert "12003" in r.stdout
    lines = r.stdout.splitlines()
    assert any(line.split() == ["kvm", "yes"] for line in lines)
    assert any(line.split() == ["kqemu", "no"] for line in lines)


def test_bad_help_exit_1_one_line(tmp_path: Path) -> None:
    f = tmp_path / "bad"
    f.write_bytes(b"QEMU emulator version zero\nmore\n")
    r = _run("--qemu-help", str(f), "--json")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"{f}:1:")
    assert "Traceback" not in r.stderr


def test_unreadable_help_exit_2(tmp_path: Path) -> None:
    r = _run("--qemu-help", str(tmp_path / "missing"), "--json")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_capabilities_summary_and_list() -> None:
    from virtconform.engine.caps.profiles import get_profile
    path = str(get_profile("libvirt-test").capabilities_path)
    r = _run("--capabilities", path)
    assert r.returncode == 0
    assert "pc (-> pc-0.11)" in r.stdout and "/usr/bin/kvm" in r.stdout
    r = _run("--list")
    assert r.returncode == 0 and "qemu-0.12.1:" in r.stdout and "nodefconfig" in r.stdout
    assert _run().returncode == 2
