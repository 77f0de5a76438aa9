"""Issue 12's acceptance, end to end, on a scratch git repository of 300 generated domains.

`check --update` then `check` pass; four planted changes (a MAC, a memory size, an invalid
element, a new document) fail exactly those four documents in JUnit (read back by a JUnit
reader and held to the JUnit schema), are annotated by `--format github`, `--base HEAD`
names the MAC and memory changes, the pytest plugin fails exactly those documents
(tests/test_check.py runs it under xdist too), and the pre-commit hook (installed by the real pre-commit from this checkout)
fails on the invalid document and passes once it is fixed.

Nothing here pins virtconform's own command lines: expectations come from the planted
changes and from what the tool itself wrote into the lock file.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "virtconform.conformance.cli"]
TARGETS = ["qemu-0.12.1", "qemu-0.9.1", "kvm-74"]
COUNT = 300
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_AUTHOR_DATE": "2010-08-04T00:00:00Z", "GIT_COMMITTER_DATE": "2010-08-04T00:00:00Z"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def vc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=os.environ | GIT_ENV).stdout


def lock_entries(repo: Path) -> dict[tuple[str, str], list[str]]:
    from virtconform.conformance.gatekeeping.lockfile import read_lock
    return read_lock(repo / "virtconform.lock")


class Scenario:
    """The scratch repository, the committed baseline, and the four planted changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.planted: dict[str, str] = {}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("domains-repo")
    git(root, "init", "-q")
    (root / "virtconform.toml").write_text(
        'include = ["domains/**/*.xml"]\n'
        f"targets = [{', '.join(json.dumps(t) for t in TARGETS)}]\n")
    p = vc(root, "generate", "--count", str(COUNT + 40), "--seed", "12", "--out", "domains")
    assert p.returncode == 0, p.stderr
    # keep 300 documents virtconform accepts (the generator is another command's concern)
    report = json.loads(vc(root, "check", "--format", "json").stdout)
    invalid = {r["document"] for r in report["results"]
               if any(c["name"] == "valid" and c["status"] == "failed" for c in r["checks"])}
    kept = 0
    for f in sorted((root / "domains").glob("*.xml")):
        if f"domains/{f.name}" in invalid or kept >= COUNT:
            f.unlink()
        else:
            kept += 1
    assert kept == COUNT
    s = Scenario(root)
    s.first_update = vc(root, "check", "--update")
    s.first_check = vc(root, "check")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "baseline")
    _plant(s)
    return s


def _built(entries: dict[tuple[str, str], list[str]], doc: str) -> list[list[str]]:
    return [v for (d, _t), v in entries.items() if d == doc and not v[0].startswith("refused: ")]


def _plant(s: Scenario) -> None:
    entries = lock_entries(s.root)
    docs = sorted(f"domains/{f.name}" for f in (s.root / "domains").glob("*.xml"))
    used: set[str] = set()

    def pick(test) -> str:
        for d in docs:
            if d not in used and test(d, (s.root / d).read_text()):
                used.add(d)
                return d
        raise AssertionError("no document fits")

    # a MAC that reaches a command line
    def mac_visible(d: str, text: str) -> bool:
        m = re.search(r'<mac address="([0-9a-f:]+)"', text)
        return bool(m) and any(m.group(1) in line for e in _built(entries, d) for line in e)
    mac_doc = pick(mac_visible)
    text = (s.root / mac_doc).read_text()
    old_mac = re.search(r'<mac address="([0-9a-f:]+)"', text).group(1)
    new_mac = old_mac[:-2] + ("00" if old_mac[-2:] != "00" else "01")
    (s.root / mac_doc).write_text(text.replace(old_mac, new_mac, 1))
    s.planted["mac"] = mac_doc
    s.old_mac, s.new_mac = old_mac, new_mac

    # a memory size (memory and currentMemory alike, so whichever -m reads changes)
    def builds(d: str, text: str) -> bool:
        return bool(_built(entries, d)) and "<memory>" in text
    mem_doc = pick(builds)
    text = (s.root / mem_doc).read_text()
    old_kib = int(re.search(r"<memory>(\d+)<", text).group(1))
    new_kib = 262144 if old_kib // 1024 != 256 else 524288
    text = re.sub(r"<(memory|currentMemory)>\d+<", rf"<\g<1>>{new_kib}<", text)
    (s.root / mem_doc).write_text(text)
    s.planted["memory"] = mem_doc

    # an element the schema does not know
    bad_doc = pick(lambda d, t: "</domain>" in t)
    (s.root / bad_doc).write_text((s.root / bad_doc).read_text().replace(
        "</domain>", "  <bogus/>\n</domain>"))
    s.planted["invalid"] = bad_doc

    # a new document
    source = pick(lambda d, t: True)
    new_doc = "domains/zz-new.xml"
    (s.root / new_doc).write_text((s.root / source).read_text().replace(
        "</name>", "-new</name>", 1))
    s.planted["new"] = new_doc


def test_update_then_check_pass(scenario: Scenario) -> None:
    assert scenario.first_update.returncode == 0, scenario.first_update.stdout[-2000:]
    assert scenario.first_check.returncode == 0, scenario.first_check.stdout[-2000:]
    assert "all hold" in scenario.first_check.stdout
    entries = lock_entries(scenario.root)
    assert {d for d, _ in entries} == {f"domains/{f.name}" for f in (scenario.root / "domains").glob("*.xml")
                                       if f.name != "zz-new.xml"}
    assert {t for _, t in entries} == set(TARGETS)


def test_junit_fails_exactly_the_four_documents(scenario: Scenario, tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml
    from lxml import etree

    out = tmp_path / "report.xml"
    p = vc(scenario.root, "check", "--format", "junit", "--output", str(out))
    assert p.returncode == 1, p.stderr
    schema = etree.XMLSchema(etree.parse(str(REPO / "tests" / "data" / "junit-10.xsd")))
    doc = etree.parse(str(out))
    assert schema.validate(doc), schema.error_log
    failed, cases = set(), 0
    for suite in JUnitXml.fromfile(str(out)):
        for case in suite:
            cases += 1
            if any(isinstance(r, Failure) for r in case.result):
                failed.add(case.classname)
    assert failed == set(scenario.planted.values())
    assert cases >= (COUNT + 1) * (1 + len(TARGETS))  # one case per document x check


def test_github_annotates_the_four_documents(scenario: Scenario) -> None:
    p = vc(scenario.root, "check", "--format", "github")
    assert p.returncode == 1
    files = set(re.findall(r"^::error file=([^,:]+)", p.stdout, re.M))
    assert files == set(scenario.planted.values())
    bad = scenario.planted["invalid"]
    assert re.search(rf"^::error file={re.escape(bad)},line=\d+,col=\d+,title=virtconform valid::.*bogus",
                     p.stdout, re.M)


def test_base_names_the_mac_and_memory_changes(scenario: Scenario) -> None:
    p = vc(scenario.root, "check", "--base", "HEAD", "--format", "json")
    assert p.returncode == 1
    report = json.loads(p.stdout)
    abi = {r["document"]: next(c for c in r["checks"] if c["name"] == "guest ABI")
           for r in report["results"]}
    failed = {d for d, c in abi.items() if c["status"] == "failed"}
    assert failed == {scenario.planted["mac"], scenario.planted["memory"]}
    mac = abi[scenario.planted["mac"]]["message"]
    assert f"interface {scenario.new_mac}" in mac and scenario.old_mac in mac
    assert "memory:" in abi[scenario.planted["memory"]]["message"]
    assert abi[scenario.planted["new"]]["status"] == "passed"
    text = vc(scenario.root, "check", "--base", "HEAD").stdout
    assert f"interface {scenario.new_mac}" in text and "memory:" in text


def test_pytest_plugin_fails_exactly_the_four_documents(scenario: Scenario) -> None:
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "virtconform", "--virtconform",
                        "domains", "-q", "-rf", "-p", "no:cacheprovider"],
                       cwd=scenario.root, capture_output=True, text=True)
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr[-2000:]
    failed = set(re.findall(r"^FAILED (\S+?)::", p.stdout, re.M))
    assert failed == set(scenario.planted.values())
    collected = re.search(r"(\d+) failed, (\d+) passed", p.stdout)
    assert collected and sum(map(int, collected.groups())) == (COUNT + 1) * len(TARGETS)


def _snapshot_of_this_checkout(dest: Path) -> str:
    """This checkout's files (committed or not) as one commit pre-commit can install."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("this checkout is not a git work tree")
    dest.mkdir()
    git(dest, "init", "-q")
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").strip()


def test_pre_commit_hook_fails_on_the_invalid_document_then_passes(scenario: Scenario,
                                                                   tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    rev = _snapshot_of_this_checkout(tmp_path / "hooks")
    work = tmp_path / "work"
    shutil.copytree(scenario.root, work)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {tmp_path / 'hooks'}\n    rev: {rev}\n    hooks:\n"
        "      - id: virtconform-validate\n      - id: virtconform-check\n")
    bad = scenario.planted["invalid"]
    run = [sys.executable, "-m", "pre_commit", "run", "virtconform-validate", "--files", bad,
           "--color", "never"]
    p = subprocess.run(run, cwd=work, capture_output=True, text=True)
    if p.returncode not in (0, 1) or "An error has occurred" in p.stdout + p.stderr:
        pytest.skip(f"pre-commit cannot install the hook here: {(p.stdout + p.stderr)[-500:]}")
    assert p.returncode == 1, p.stdout
    assert re.search(rf"{re.escape(bad)}:\d+:\d+: .*bogus", p.stdout), p.stdout
    (work / bad).write_text((work / bad).read_text().replace("  <bogus/>\n", ""))
    p = subprocess.run(run, cwd=work, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    assert "Passed" in p.stdout
    # the check hook holds the whole repository to the lock: the MAC, memory and new
    # document still fail until the lock is updated
    run_check = [sys.executable, "-m", "pre_commit", "run", "virtconform-check", "--all-files",
                 "--color", "never"]
    p = subprocess.run(run_check, cwd=work, capture_output=True, text=True)
    assert p.returncode == 1 and scenario.planted["mac"] in p.stdout, p.stdout[-2000:]
    assert vc(work, "check", "--update").returncode == 0
    p = subprocess.run(run_check, cwd=work, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-2000:]
