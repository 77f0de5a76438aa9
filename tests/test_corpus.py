"""The project's own corpus: round trips, command lines per capability set, refusals."""
from __future__ import annotations

from pathlib import Path

import pytest

from virtconform.conformance.suites.runner import Runner, load_cases

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CASES = load_cases(CORPUS, ["xml2xml", "xml2argv"])


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_corpus_case(runner: Runner, case) -> None:
    out = runner.run_case(case)
    assert not out.error, out.error
    assert out.got == out.want


def test_corpus_covers_several_capability_sets_and_refusals() -> None:
    argv = [c for c in CASES if c.section == "xml2argv"]
    assert len({c.spec["caps"] for c in argv}) >= 4
    assert sum("expect" in c.spec for c in argv) >= 20
    assert any("refuse" in c.spec for c in argv)
    assert {c.name for c in CASES if c.section == "xml2xml"} == {
        p.stem for p in (CORPUS / "domains").glob("*.xml")}


def test_a_wrong_expectation_is_detected(runner: Runner) -> None:
    case = next(c for c in CASES if c.section == "xml2argv" and "expect" in c.spec)
    broken = type(case)(case.section, case.name, {**case.spec, "caps": ""}, case.suite, case.data)
    out = runner.run_case(broken)
    assert not out.ok


ARGV_CASES = [c for c in CASES if c.section == "xml2argv"]


@pytest.mark.parametrize("case", ARGV_CASES, ids=[c.label for c in ARGV_CASES])
def test_corpus_command_lines_are_libvirts(case) -> None:
    """Every pinned command line is the one libvirt's own code builds (the -rtc date of a
    variable clock aside: libvirt reads the clock, the corpus pins it), and every pinned
    refusal is one libvirt makes too."""
    import os
    import re
    import subprocess

    from virtconform.conformance.suites.shared import oracle_command
    from virtconform.engine.caps.flags import resolve
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    flags = ",".join(sorted(resolve(case.spec["caps"]))) or "none"
    p = subprocess.run([str(oracle), "xml2argv", "--exact-flags", flags, str(case.data / f"{case.name}.xml")],
                       capture_output=True, text=True,
                       env=dict(os.environ, LIBVIRT083_ORACLE_EMULATOR_REQUIRED="1"))
    if p.returncode in (2, 3):
        pytest.skip(f"the oracle cannot run here: {p.stderr.strip()[-200:]}")
    if "refuse" in case.spec:
        assert p.returncode == 1, f"libvirt builds {case.label}: {p.stdout}"
        return
    assert p.returncode == 0, p.stderr
    date = re.compile(r"-rtc base=[0-9-]+T[0-9:]+")
    want = (case.suite / case.spec["expect"]).read_text()
    assert date.sub("-rtc base=DATE", p.stdout) == date.sub("-rtc base=DATE", want)
