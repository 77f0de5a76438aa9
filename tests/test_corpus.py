"""The project's own corpus: round trips, command lines per capability set, refusals.

Its expectations are what libvirt 0.8.3's own code does (written by
``python -m virtconform.conformance.crosscheck.corpus --update`` from ../shared/oracle and
checked against it here when it is present). Where our engine still does otherwise, the case
says so (``"xfail"``: the kinds of difference measured); the test then holds that difference
to be exactly the one recorded, so that a fix (or a new difference) shows.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from virtconform.conformance.crosscheck import corpus, deviations
from virtconform.conformance.crosscheck.compare import judge
from virtconform.conformance.crosscheck.protocol import Oracle
from virtconform.conformance.suites.runner import Runner, load_cases
from virtconform.conformance.suites.shared import oracle_command

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CASES = load_cases(CORPUS, ["xml2xml", "xml2argv"])
UPDATE = "python -m virtconform.conformance.crosscheck.corpus --update"


def _mode(case) -> str:
    return "xml2xml" if case.section == "xml2xml" else "argv"


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_corpus_case(case) -> None:
    got = corpus.our_answer(case, case.spec.get("clock_epoch", 0))
    verdict = judge(_mode(case), got, corpus.expected(case))
    if "xfail" in case.spec:
        measured = "engine differs from libvirt 0.8.3: " + "; ".join(verdict.kinds)
        assert not verdict.agrees, f"the engine now does what libvirt does here: run `{UPDATE}`"
        assert measured == case.spec["xfail"], f"the difference changed (run `{UPDATE}`): {measured}"
        pytest.xfail(case.spec["xfail"])
    assert verdict.agrees, f"{'; '.join(verdict.kinds)}\n{verdict.detail}"


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    cmd = oracle_command()
    if cmd is None:
        pytest.skip("../shared/oracle is not present")
    return Oracle(str(cmd))


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_corpus_expectation_is_what_libvirt_does(oracle: Oracle, case) -> None:
    if not corpus.runnable(case):
        pytest.skip("the oracle's host is not the case's")
    why = corpus.holds(case, corpus.ask_libvirt(oracle, case))
    assert why is None, f"{why}\n(fix the expectation from libvirt's output: `{UPDATE}`; or add a deviation row)"


def test_host_dependent_cases_name_their_deviation_row() -> None:
    rows = {r.id: r for r in deviations.rows()}
    for case in CASES:
        if "deviation" in case.spec:
            row = rows.get(case.spec["deviation"])
            assert row is not None and row.libvirt.outcome == "depends", case.label


def test_corpus_covers_several_capability_sets_and_refusals() -> None:
    argv = [c for c in CASES if c.section == "xml2argv"]
    assert len({c.spec["caps"] for c in argv}) >= 4
    assert sum("expect" in c.spec for c in argv) >= 20
    assert any("refuse" in c.spec for c in argv)
    assert {c.name for c in CASES if c.section == "xml2xml"} == {
        p.stem for p in (CORPUS / "domains").glob("*.xml")}


def test_every_expectation_file_belongs_to_a_case() -> None:
    named = {c.spec["expect"] for c in CASES if "expect" in c.spec}
    files = {f"{p.parent.name}/{p.name}" for d in ("args", "expected") for p in (CORPUS / d).glob("*")}
    assert files == named


def test_a_wrong_expectation_is_detected() -> None:
    case = next(c for c in CASES if c.section == "xml2argv" and "expect" in c.spec and "xfail" not in c.spec)
    broken = type(case)(case.section, case.name, {**case.spec, "caps": ""}, case.suite, case.data)
    assert not Runner().run_case(broken).ok
    assert not judge("argv", corpus.our_answer(broken, 0), corpus.expected(case)).agrees
