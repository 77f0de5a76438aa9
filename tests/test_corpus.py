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
