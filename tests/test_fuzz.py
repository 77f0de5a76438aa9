"""`virtconform fuzz`: campaign hygiene, the shared example database (a real Redis), byte
fuzzing, and a planted bug found, saved and replayed."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from virtconform.conformance.cli.main import main

CLI = [sys.executable, "-m", "virtconform.conformance.cli"]
#: the line of the engine that doubles commas in QEMU option values, and the planted bug
DOUBLING = 'return check_value(value, what).replace(",", ",,")'
PLANTED_BUG = "return check_value(value, what)"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a throwaway copy of the project whose engine doubles no commas
    (the copy's source edited, nothing patched at run time): ``virtconform`` run with it
    is the copy."""
    import virtconform.engine.qemu.escape as escape
    root = Path(escape.__file__).resolve().parents[2]
    copy = tmp_path_factory.mktemp("planted") / "virtconform"
    for part in ("engine", "conformance", "schemas"):
        shutil.copytree(root / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "__init__.py").write_text("")  # a regular package: found before the installed one
    source = copy / "engine" / "qemu" / "escape.py"
    text = source.read_text()
    assert text.count(DOUBLING) == 1, "escape.opt no longer doubles commas this way: update the planted bug"
    source.write_text(text.replace(DOUBLING, PLANTED_BUG))
    env = dict(os.environ, PYTHONPATH=str(copy.parent))
    where = subprocess.run([sys.executable, "-c", "import virtconform.engine.qemu.escape as e; print(e.__file__)"],
                           capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert Path(where) == source, f"the copy is not what runs: {where}"
    return env


def _fuzz(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, dict, str]:
    p = subprocess.run(CLI + ["fuzz", "--json", *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                       env=env)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr


# ---------------------------------------------------------------- hygiene
def test_json_counts_examples_and_skips_per_property(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rc = main(["fuzz", "--seconds", "3", "--seed", "5", "--json", "--property",
               "validates,argv-total,unique-ids,no-option-injection"])
    report = json.loads(capsys.readouterr().out)
    per = report["per_property"]
    assert report["seconds"] >= 3 and report["examples"] > 0
    assert report["examples"] == sum(p["examples"] for p in per.values())  # skipped ones not counted
    assert report["skipped"] == sum(p["skipped"] for p in per.values())
    for p in per.values():
        assert sum(p["skip_reasons"].values()) == p["skipped"]
        assert 0 <= p["skip_rate"] <= 1 and "max_skip" in p
    assert rc == (1 if report["failures"] else 0)
    assert not (tmp_path / ".hypothesis").exists()


@pytest.mark.parametrize("seconds", ["0", "-1"])
def test_a_campaign_of_no_time_is_a_usage_error(seconds: str) -> None:
    assert main(["fuzz", "--seconds", seconds]) == 2


def test_a_campaign_of_n_examples_checks_n(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["fuzz", "--examples", "0"]) == 2
    capsys.readouterr()
    rc = main(["fuzz", "--examples", "30", "--seed", "2", "--json", "--property", "validates"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["examples"] == 30 and report["per_property"]["validates"]["examples"] == 30


def test_batched_properties_get_documents_in_batches(capsys: pytest.CaptureFixture[str]) -> None:
    """A property with a batch form (the oracle's) gets many documents per call, each
    outcome counted as an example, a skip or a failure of its document."""
    from virtconform.conformance.campaign import properties as P
    calls: list[int] = []

    def batch(xmls: list[str]) -> list[BaseException | None]:
        calls.append(len(xmls))
        return [P.Skip("planted: odd") if len(x) % 2 else None for x in xmls]

    def single(xml: str) -> None:
        outcome = batch([xml])[0]
        if outcome is not None:
            raise outcome
    P.register(P.Property("batched", single, kinds=P.BOTH, batch=batch, max_skip=1.0))
    try:
        rc = main(["fuzz", "--seconds", "2", "--json", "--property", "batched,validates", "--seed", "3"])
    finally:
        del P.PROPERTIES["batched"]
    report = json.loads(capsys.readouterr().out)
    per = report["per_property"]["batched"]
    assert rc == 0
    assert per["examples"] + per["skipped"] == sum(calls)
    assert per["skipped"] == per["skip_reasons"]["planted: odd"] > 0 and per["examples"] > 0
    assert max(calls) > 1
    assert per["examples"] + per["skipped"] == report["per_property"]["validates"]["examples"]


def test_unknown_property_is_a_usage_error() -> None:
    assert main(["fuzz", "--seconds", "1", "--property", "nope"]) == 2


def test_a_property_skipping_beyond_its_bound_fails_the_campaign(capsys: pytest.CaptureFixture[str]) -> None:
    from virtconform.conformance.campaign import properties as P

    def never_applies(xml: str) -> None:
        raise P.Skip("planted: outside this property")
    P.register(P.Property("never-applies", never_applies, max_skip=0.5))
    try:
        rc = main(["fuzz", "--seconds", "1", "--json", "--property", "never-applies", "--seed", "1"])
    finally:
        del P.PROPERTIES["never-applies"]
    report = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert report["per_property"]["never-applies"]["skip_reasons"] == {
        "planted: outside this property": report["skipped"]}
    assert any("bound" in f["error"] for f in report["failed"])


def test_replay_runs_reproducers_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from virtconform.conformance.campaign.reproducers import write_reproducer
    xml = (Path(__file__).resolve().parents[1] / "corpus" / "domains" / "chardevs.xml").read_text()
    write_reproducer(tmp_path, "validates-0-001", {"property": "validates", "error": "x", "xml": xml})
    assert main(["fuzz", "--replay", str(tmp_path)]) == 0
    write_reproducer(tmp_path, "validates-0-002", {"property": "validates", "error": "x",
                                                   "xml": xml.replace("<vcpu>1</vcpu>", "<vcpu>x</vcpu>")})
    assert main(["fuzz", "--replay", str(tmp_path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in out["results"]] == ["passes", "fails"]


def test_replay_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["fuzz", "--replay", str(tmp_path)]) == 2
    assert main(["fuzz", "--replay", str(tmp_path / "missing")]) == 2


def test_directory_database_keeps_coverage_increasing_examples(tmp_path: Path) -> None:
    db = tmp_path / "db"
    rc, report, err = _fuzz(["--seconds", "2", "--seed", "3", "--database", str(db), "--property", "validates"])
    assert rc == 0, err
    assert report["corpus_saved"] > 0
    from virtconform.conformance.campaign.database import corpus_key, open_database
    assert len(list(open_database(str(db)).fetch(corpus_key("plain")))) > 0


# ---------------------------------------------------------------- the planted bug
def test_planted_bug_is_found_saved_and_replayed(tmp_path: Path, planted: dict[str, str]) -> None:
    """A throwaway copy of the project with comma doubling switched off: a campaign finds
    it, saves a minimized reproducer, and ``fuzz --replay`` replays it (failing with the
    copy, passing with the real engine)."""
    out = tmp_path / "found"
    rc, report, err = _fuzz(["--examples", "400", "--seed", "11", "--property", "no-option-injection",
                             "--out", str(out)], env=planted)
    assert rc == 1, err
    assert report["reproducers"] == str(out)
    failed = [f for f in report["failed"] if f["property"] == "no-option-injection"]
    assert failed and "split across options" in failed[0]["error"]
    saved = json.loads(Path(failed[0]["reproducer"]).read_text())
    assert saved["replay"] == f"virtconform fuzz --replay {out}"
    assert len(saved["xml"]) < 2000  # minimized
    # the same reproducer fails again with the bug, and passes without it
    p = subprocess.run(CLI + ["fuzz", "--replay", str(out)], capture_output=True, text=True, timeout=120,
                       env=planted)
    assert p.returncode == 1 and "fails" in p.stderr, p.stderr
    p = subprocess.run(CLI + ["fuzz", "--replay", str(out)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------- Redis
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    try:
        import redis
    except ImportError:
        pytest.skip("the redis client is not installed (extra 'redis')")
    port = _free_port()
    work = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None:
                pytest.skip(f"redis-server exited with status {proc.returncode}")
            time.sleep(0.05)
    else:
        proc.terminate()
        pytest.skip("redis-server did not answer within 5s")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_unreachable_redis_is_a_usage_error() -> None:
    pytest.importorskip("redis")
    assert main(["fuzz", "--seconds", "1", "--database", f"redis://127.0.0.1:{_free_port()}/0"]) == 2


def test_workers_share_failures_and_coverage_through_redis(redis_url: str, tmp_path: Path,
                                                           planted: dict[str, str]) -> None:
    import redis

    from virtconform.conformance.campaign.database import failures_key, open_database
    prop = ["--property", "validates,no-option-injection"]
    # two workers on the same server, different seeds, at the same time; a number of
    # examples, not of seconds, so that what they check does not depend on the machine's load
    procs = [subprocess.Popen(CLI + ["fuzz", "--json", "--examples", "300", "--seed", str(s), "--database",
                                     redis_url, *prop], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in (1, 2)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        reports.append(json.loads(out))
    assert all(r["corpus_saved"] > 0 for r in reports)
    keys = redis.Redis.from_url(redis_url).keys(b"*virtconform:corpus:*")
    assert keys, "Redis holds the workers' examples afterwards"
    # a failure found by one worker (with the planted bug) ...
    rc, found, err = _fuzz(["--examples", "400", "--seed", "11", "--database", redis_url, "--property",
                            "no-option-injection", "--out", str(tmp_path / "a")], env=planted)
    assert rc == 1 and found["failures"], err
    db = open_database(redis_url)
    assert list(db.fetch(failures_key("no-option-injection")))
    # ... is replayed first by another one (the bug still there: it fails from the database) ...
    rc, other, err = _fuzz(["--seconds", "1", "--seed", "8", "--database", redis_url, "--property",
                            "no-option-injection", "--out", str(tmp_path / "b")], env=planted)
    assert rc == 1
    assert other["per_property"]["no-option-injection"]["replayed"] >= 1
    assert any(f.get("source") == "database" for f in other["failed"])
    # ... and forgotten by a worker on which it passes (the bug fixed)
    rc, fixed, err = _fuzz(["--seconds", "1", "--seed", "9", "--database", redis_url, "--property",
                            "no-option-injection"])
    assert rc == 0, fixed["failed"]
    assert not list(db.fetch(failures_key("no-option-injection")))


# ---------------------------------------------------------------- byte fuzzing
def _atheris() -> None:
    from virtconform.conformance.campaign.bytefuzz import atheris_missing
    why = atheris_missing()
    if why:
        pytest.skip(why)


@pytest.mark.parametrize("target", ["qemu-conf", "argv"])
def test_byte_fuzzing_runs_and_reports(target: str, tmp_path: Path) -> None:
    _atheris()
    rc, report, err = _fuzz(["--bytes", target, "--seconds", "4", "--out", str(tmp_path)])
    assert report["executions"] > 0, err
    assert report["failures"] == [], report["failures"]
    assert rc == 0


def test_byte_inputs_end_in_a_result_or_a_located_error() -> None:
    from virtconform.conformance.campaign.bytefuzz import TARGETS, run_input
    for target in TARGETS:
        for data in (b"", b"\x00", b"\xff\xfe", b"<domain", b"-x" * 50, b"a = [", b"QEMU PC emulator version 0.12.1"):
            assert run_input(target, data) is None, (target, data)


def test_byte_reproducers_replay(tmp_path: Path) -> None:
    from virtconform.conformance.campaign.reproducers import write_reproducer
    write_reproducer(tmp_path, "bytes-qemu-conf-001", {"target": "qemu-conf", "error": "x", "data": b"a = 1\n"})
    assert main(["fuzz", "--replay", str(tmp_path)]) == 0
    assert os.path.exists(tmp_path / "bytes-qemu-conf-001.bin")


def test_byte_fuzzing_instruments_the_target_reader_only() -> None:
    """atheris' include list keeps top-level packages only: the rest of the project is
    excluded by name, so coverage (and the instrumentation's cost) is the reader's."""
    from virtconform.conformance.campaign.bytefuzz import outside_modules
    outside = set(outside_modules("argv"))
    assert {"virtconform.engine.model.domain", "virtconform.engine.schema", "virtconform.conformance.campaign.runner",
            "virtconform.engine"} <= outside
    assert not {"virtconform.engine.qemu.argvparse", "virtconform.engine.qemu", "virtconform.conformance.cli.argv2xml"} \
        & outside
    assert "virtconform.engine.model.domain" not in outside_modules("xml")


def test_replaying_the_corpus_takes_at_most_its_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared corpus larger than a campaign can replay: the worker replays chunks until
    corpus replay has taken REPLAY_SHARE of its budget, and keeps the rest for later."""
    from virtconform.conformance.campaign import runner
    from virtconform.conformance.campaign.database import corpus_key, open_database
    from virtconform.conformance.generators.domaingen import generate_domain_text
    db = open_database(str(tmp_path / "db"))
    for seed in range(3 * runner.REPLAY_CHUNK):
        db.save(corpus_key("plain"), generate_domain_text(seed).encode())
    worker = runner.Worker(0, 10.0, 1, ["validates"], str(tmp_path / "db"), tmp_path / "out", False)
    worker.deadline = time.monotonic() + 60
    monkeypatch.setattr(runner, "REPLAY_SHARE", 1e-9)  # any chunk exhausts the share
    worker.replay()
    assert worker.stats["validates"].replayed == runner.REPLAY_CHUNK
    monkeypatch.setattr(runner, "REPLAY_SHARE", 1.0)
    worker.replay()  # the rest, not lost
    assert worker.stats["validates"].replayed == 3 * runner.REPLAY_CHUNK
