"""The reference suite of ../shared/libvirt-0.8.3, case by case, through the engine."""
from __future__ import annotations

import json

import pytest

from conftest import reference_suite
from virtconform.conformance.suites.runner import Runner, load_cases

SUITE = reference_suite()
CASES = load_cases(SUITE, ["xml2xml", "xml2argv", "help"]) if SUITE else []


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


@pytest.mark.skipif(SUITE is None, reason="../shared/libvirt-0.8.3 is not present")
@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_reference_case(runner: Runner, case) -> None:
    out = runner.run_case(case)
    assert not out.error, out.error
    assert out.got == out.want


@pytest.mark.skipif(SUITE is None, reason="../shared/libvirt-0.8.3 is not present")
def test_every_reference_domain_parses_and_reaches_a_fixed_point(runner: Runner) -> None:
    from virtconform.engine.loader import domain_from_string, load_domain
    caps = runner.profile.capabilities
    for f in sorted((SUITE / "data").glob("*.xml")):
        once = load_domain(str(f), caps).to_xml()
        assert domain_from_string(once, caps).to_xml() == once, f.name


@pytest.mark.skipif(SUITE is None, reason="../shared/libvirt-0.8.3 is not present")
def test_manifest_sections_are_all_exercised() -> None:
    m = json.loads((SUITE / "manifest.json").read_text())
    assert len(CASES) == len(m["xml2xml"]) + len(m["xml2argv"]) + len(m["help"])
