"""`virtconform check`: configuration, lock file, sharding, workers, formats, the ABI allowance."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from virtconform.conformance.cli.main import main
from virtconform.conformance.gatekeeping.lockfile import read_lock

DOMAINS = Path(__file__).resolve().parents[1] / "corpus" / "domains"
BUILDS = ["chardevs.xml", "desktop-multimedia.xml", "fat-dirs.xml", "scsi-floppy-cdrom.xml"]
CONFIG = 'include = ["domains/*.xml"]\ntargets = ["qemu-0.12.1", "qemu-0.9.1"]\n'


def repo(tmp_path: Path, names: list[str] = BUILDS, config: str = CONFIG, copies: int = 1) -> Path:
    (tmp_path / "domains").mkdir()
    for name in names:
        for k in range(copies):
            suffix = f"-{k}" if copies > 1 else ""
            shutil.copy(DOMAINS / name, tmp_path / "domains" / name.replace(".xml", f"{suffix}.xml"))
    (tmp_path / "virtconform.toml").write_text(config)
    return tmp_path


def check(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(["check", "--config", str(root / "virtconform.toml"), "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_update_then_check_and_a_lock_that_reads_well(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path)
    rc, out, _ = check(root, capsys=capsys)
    assert rc == 1 and "no lock file yet" in out and len(out.splitlines()) == 2  # one line, not 8
    assert check(root, "--update", capsys=capsys)[0] == 0
    text = (root / "virtconform.lock").read_text()
    headers = [ln for ln in text.splitlines() if ln.startswith("document ")]
    assert headers == [f"document domains/{n} target {t}" for n in sorted(BUILDS)
                       for t in ("qemu-0.12.1", "qemu-0.9.1")]
    assert any(ln.startswith("  -m ") for ln in text.splitlines())  # one option per line
    stamp = (root / "virtconform.lock").stat().st_mtime_ns
    rc, out, _ = check(root, "--update", capsys=capsys)
    assert rc == 0 and "lock file written" not in out
    assert (root / "virtconform.lock").stat().st_mtime_ns == stamp  # nothing changed: not rewritten
    rc, out, _ = check(root, capsys=capsys)
    assert rc == 0 and "all hold" in out and "\x1b[" not in out
    shutil.copy(DOMAINS / "virtio-serial-channels.xml", root / "domains" / "new.xml")
    rc, out, _ = check(root, capsys=capsys)
    assert rc == 1 and "domains/new.xml: FAIL target qemu-0.12.1: not in the lock file" in out


def test_a_drift_is_shown_per_option(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path)
    check(root, "--update", capsys=capsys)
    f = root / "domains" / "chardevs.xml"
    f.write_text(f.read_text().replace("<memory>219136<", "<memory>109568<"))
    rc, out, _ = check(root, capsys=capsys)
    assert rc == 1
    minus = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("- ")]
    plus = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("+ ")]
    assert minus and all(m.startswith("- -m ") for m in minus)
    assert plus and all(p.startswith("+ -m ") for p in plus)
    assert "domains/chardevs.xml: FAIL targets qemu-0.12.1, qemu-0.9.1: command line differs" in out
    assert len(minus) == len(plus) == 1  # the same drift on both targets, shown once


def test_a_removed_document_leaves_stale_entries_until_update(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path)
    check(root, "--update", capsys=capsys)
    (root / "domains" / "fat-dirs.xml").unlink()
    rc, out, _ = check(root, capsys=capsys)
    assert rc == 1 and "stale entries" in out and "fat-dirs.xml" in out
    assert check(root, "--update", capsys=capsys)[0] == 0
    assert all(d != "domains/fat-dirs.xml" for d, _ in read_lock(root / "virtconform.lock"))


def test_refusals_are_locked_like_command_lines(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path, ["mcast-cluster.xml"])  # refused by every capability set
    assert check(root, "--update", capsys=capsys)[0] == 0
    entries = read_lock(root / "virtconform.lock")
    assert entries and all(v[0].startswith("refused: ") and len(v) == 1 for v in entries.values())
    assert check(root, capsys=capsys)[0] == 0


def test_an_invalid_document_fails_with_its_location(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path)
    check(root, "--update", capsys=capsys)
    f = root / "domains" / "chardevs.xml"
    f.write_text(f.read_text().replace("<on_reboot>restart", "<on_reboot>explode"))
    rc, out, _ = check(root, "--format", "github", capsys=capsys)
    assert rc == 1
    line = next(ln for ln in out.splitlines() if ln.startswith("::error"))
    assert line.startswith("::error file=domains/chardevs.xml,line=") and ",col=" in line


@pytest.mark.parametrize("config, words", [
    ('include = ["*.xml"]\ntargts = ["qemu-0.12.1"]\n', ["targts", "unknown key"]),
    ('include = ["*.xml"]\ntargets = ["qemu-9"]\n', ["qemu-9"]),
    ('include = ["*.xml"]\n', ["targets"]),
    ('targets = ["qemu-0.12.1"]\n', ["include"]),
    ('include = ["*.xml"\n', ["not valid TOML"]),
    ('include = ["*.xml"]\ntargets = { "bad name" = "qemu-0.12.1" }\n', ["bad name"]),
    ('include = ["*.xml"]\ntargets = { x = { help = "missing.txt" } }\n', ["missing.txt"]),
    ('include = ["*.xml"]\ntargets = ["qemu-0.12.1"]\nprofile = "nope"\n', ["profile"]),
])
def test_configuration_mistakes_are_located_usage_errors(tmp_path: Path, capsys, config: str,
                                                         words: list[str]) -> None:
    (tmp_path / "virtconform.toml").write_text(config)
    rc, out, err = check(tmp_path, capsys=capsys)
    assert rc == 2 and out == ""
    assert err.startswith(f"{tmp_path / 'virtconform.toml'}:") and "internal error" not in err
    assert all(w in err for w in words), err


def test_pyproject_table_and_config_search_upwards(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "virtconform.toml").unlink()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.virtconform]\n" + CONFIG)
    cli = [sys.executable, "-m", "virtconform.conformance.cli", "check"]
    p = subprocess.run([*cli, "--update"], cwd=root / "domains", capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (root / "virtconform.lock").is_file()
    p = subprocess.run(cli, cwd=tmp_path.parent, capture_output=True, text=True)
    assert p.returncode == 2 and "virtconform.toml" in p.stderr


def test_shards_partition_the_documents_and_jobs_do_not_change_results(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path, copies=5)   # 20 documents: enough for the worker pool
    check(root, "--update", capsys=capsys)
    f = root / "domains" / "chardevs-3.xml"
    f.write_text(f.read_text().replace("<memory>219136<", "<memory>109568<"))
    seen = []
    for k in (1, 2, 3):
        rc, out, _ = check(root, "--shard", f"{k}/3", "--format", "json", capsys=capsys)
        seen.append({r["document"] for r in json.loads(out)["results"]})
    assert sum(len(s) for s in seen) == 20 and len(set().union(*seen)) == 20
    rc1, one, _ = check(root, "--format", "json", capsys=capsys)
    rc2 = main(["check", "--config", str(root / "virtconform.toml"), "--jobs", "2", "--format", "json"])
    two = capsys.readouterr().out
    strip = [{k: v for k, v in json.loads(x).items() if k != "seconds"} for x in (one, two)]
    assert rc1 == rc2 == 1 and strip[0] == strip[1]
    assert strip[0]["failed"] == ["domains/chardevs-3.xml"]
    assert check(root, "--shard", "4/3", capsys=capsys)[0] == 2


def test_allowed_abi_changes_pass_the_base_gate(tmp_path: Path, capsys) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = repo(tmp_path, config=CONFIG + 'allow_abi_changes = ["memory"]\n')
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=root, check=True, env=os.environ | env, capture_output=True)
    f = root / "domains" / "chardevs.xml"
    f.write_text(f.read_text().replace("<memory>219136<", "<memory>109568<"))
    g = root / "domains" / "desktop-multimedia.xml"
    g.write_text(g.read_text().replace("52:54:00:12:34:56", "52:54:00:12:34:57"))
    rc, out, _ = check(root, "--update", "--base", "HEAD", "--format", "json", capsys=capsys)
    abi = {r["document"]: next(c for c in r["checks"] if c["name"] == "guest ABI")
           for r in json.loads(out)["results"]}
    assert abi["domains/chardevs.xml"]["status"] == "passed"
    assert "allowed" in abi["domains/chardevs.xml"]["message"]
    assert abi["domains/desktop-multimedia.xml"]["status"] == "failed"
    assert "interface 52:54:00:12:34:57" in abi["domains/desktop-multimedia.xml"]["message"]
    assert rc == 1
    rc, _, err = check(root, "--base", "no-such-ref", capsys=capsys)
    assert rc == 2 and "no-such-ref" in err


def test_colour_only_when_asked(tmp_path: Path) -> None:
    from virtconform.conformance.gatekeeping import reports
    from virtconform.conformance.gatekeeping.checker import Check, Outcome
    outcome = Outcome([Check("a.xml", "valid", "failed", "bad", line=1, column=2)], 1, ["t"], 0.1)
    assert "\x1b[31m" in reports.text(outcome, colour=True)
    assert "\x1b" not in reports.text(outcome, colour=False)
    assert reports.text(outcome, colour=False).startswith("a.xml:1:2: FAIL valid: bad")


def test_nothing_to_check_is_not_a_pass(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path, [])
    rc, out, err = check(root, capsys=capsys)
    assert rc == 2 and "no document to check" in err


def test_lock_lines_quote_what_a_shell_would_split_and_read_back(tmp_path: Path) -> None:
    from virtconform.conformance.gatekeeping.lockfile import entry_lines, write_lock
    lines = entry_lines([("HOME", "/home/a b")], ["/usr/bin/qemu", "-name", "my guest", "-S", "-m", "512"])
    assert lines == ["'HOME=/home/a b'", "/usr/bin/qemu", "-name 'my guest'", "-S", "-m 512"]
    lock = tmp_path / "x.lock"
    write_lock(lock, {("d/a b.xml", "t1"): lines, ("d/0.xml", "t2"): ["refused: no"],
                      ("d/0.xml", "t1"): ["x"]}, ["t1", "t2"], [])
    assert read_lock(lock) == {("d/0.xml", "t1"): ["x"], ("d/0.xml", "t2"): ["refused: no"],
                               ("d/a b.xml", "t1"): lines}
    text = lock.read_text().splitlines()
    assert [ln for ln in text if ln.startswith("document")] == [
        "document d/0.xml target t1", "document d/0.xml target t2", "document d/a b.xml target t1"]


def test_a_damaged_lock_file_is_a_located_usage_error(tmp_path: Path, capsys) -> None:
    root = repo(tmp_path)
    check(root, "--update", capsys=capsys)
    lock = root / "virtconform.lock"
    lines = lock.read_text().splitlines()
    lines.insert(7, "garbage")
    lock.write_text("\n".join(lines) + "\n")
    rc, out, err = check(root, capsys=capsys)
    assert rc == 2 and err.startswith(f"{lock}:8:1: not a lock file line")


def test_a_crash_on_one_document_is_reported_and_exits_3(tmp_path: Path, capsys, monkeypatch) -> None:
    from virtconform.engine.qemu import builder
    root = repo(tmp_path)
    real = builder.build_command_line

    def flaky(dom, *a, **kw):
        if "chardevs" in (dom.name or ""):
            raise RuntimeError("boom")
        return real(dom, *a, **kw)
    monkeypatch.setattr(builder, "build_command_line", flaky)
    rc, out, _ = check(root, "--update", "--no-cache", capsys=capsys)
    assert rc == 3
    assert "internal error: RuntimeError: boom" in out
    crashed = [ln.split(":")[0] for ln in out.splitlines() if ": FAIL" in ln and "internal error" in ln]
    assert crashed == ["domains/chardevs.xml"]


def test_a_lock_update_reads_well_in_git_diff(tmp_path: Path, capsys) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = repo(tmp_path)
    check(root, "--update", capsys=capsys)
    env = os.environ | {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=root, check=True, env=env, capture_output=True)
    f = root / "domains" / "fat-dirs.xml"
    f.write_text(f.read_text().replace(">262144<", ">131072<"))  # <memory> (-m) and <currentMemory>
    check(root, "--update", capsys=capsys)
    diff = subprocess.run(["git", "diff", "-U1", "--", "virtconform.lock"], cwd=root, env=env,
                          capture_output=True, text=True).stdout
    hunks = [ln for ln in diff.splitlines() if ln.startswith("@@")]
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert hunks and all("document domains/fat-dirs.xml target " in h for h in hunks), diff
    assert changed and all(ln[1:].strip().startswith("-m ") for ln in changed), diff


def test_pytest_plugin_without_configuration_checks_every_named_set(tmp_path: Path) -> None:
    from virtconform.engine.caps.flags import NAMED_SETS
    for name in ("chardevs.xml", "mcast-cluster.xml"):   # the second: refused everywhere
        shutil.copy(DOMAINS / name, tmp_path / name)
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "virtconform", "--virtconform", ".",
                        "-q", "-rf", "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 1, p.stdout[-2000:]
    failed = sorted(ln.split()[1] for ln in p.stdout.splitlines() if ln.startswith("FAILED "))
    assert failed == sorted(f"mcast-cluster.xml::{n}" for n in NAMED_SETS)
    assert "refused: " in p.stdout and "Traceback" not in p.stdout


def test_pytest_plugin_under_xdist(tmp_path: Path, capsys) -> None:
    pytest.importorskip("xdist")
    root = repo(tmp_path, copies=2)
    check(root, "--update", capsys=capsys)
    f = root / "domains" / "fat-dirs-1.xml"
    f.write_text(f.read_text().replace(">262144<", ">131072<"))  # <memory> (-m) and <currentMemory>
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "virtconform", "--virtconform", "domains",
                        "-n", "2", "-q", "-rf", "-p", "no:cacheprovider"], cwd=root,
                       capture_output=True, text=True)
    assert p.returncode == 1, p.stdout[-2000:]
    failed = sorted(ln.split()[1] for ln in p.stdout.splitlines() if ln.startswith("FAILED "))
    assert failed == ["domains/fat-dirs-1.xml::qemu-0.12.1", "domains/fat-dirs-1.xml::qemu-0.9.1"]
    assert "1 failed" not in p.stdout and "2 failed, 14 passed" in p.stdout
    assert "- -m " in p.stdout and "+ -m " in p.stdout
