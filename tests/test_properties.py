"""The conformance properties under the Hypothesis profile in force (HYPOTHESIS_PROFILE, default ci)."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from virtconform.conformance.campaign.properties import PROPERTIES, Property, Skip, qemu_options
from virtconform.conformance.generators.strategies import domains

RELAXED = settings(suppress_health_check=list(HealthCheck))


def _run(prop: Property, xml: str) -> None:
    try:
        prop.check(xml)
    except Skip:
        assume(False)


@pytest.mark.parametrize("name", [n for n, p in PROPERTIES.items()
                                  if not p.campaign or os.environ.get("HYPOTHESIS_PROFILE") == "campaign"])
def test_property(name: str) -> None:
    prop = PROPERTIES[name]

    @RELAXED
    @given(domains(hostile=prop.hostile))
    def check(xml: str) -> None:
        _run(prop, xml)

    check()


def test_qemu_options_splits_like_qemu() -> None:
    assert qemu_options("file=/a,,b,if=ide") == ["file=/a,b", "if=ide"]
    assert qemu_options("a,,,b") == ["a,", "b"]
    assert qemu_options("") == [""]


@given(st.text(alphabet="ab,=", max_size=12))
def test_doubled_commas_stay_in_one_option(value: str) -> None:
    assert qemu_options("x=" + value.replace(",", ",,")) == ["x=" + value]


def test_injection_property_catches_a_split_value() -> None:
    from virtconform.conformance.campaign import properties as P
    xml = "<domain type='qemu'><name>evil,if=ide</name></domain>"
    argv = ["-name", "evil,if=ide"]
    parts = dict(P._option_values(argv))["-name"]
    assert parts == ["evil", "if=ide"]
    assert not any("evil,if=ide" in p for p in parts)
    del xml


def test_fuzz_command_json(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from virtconform.conformance.cli.main import main
    rc = main(["fuzz", "--seconds", "3", "--seed", "5", "--json", "--out", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"examples", "failures", "properties", "per_property", "seconds"}
    assert report["seconds"] >= 3 and report["examples"] > 0
    assert rc == (1 if report["failures"] else 0)
    assert len(report["properties"]) >= 5


def test_fuzz_rejects_unknown_property() -> None:
    from virtconform.conformance.cli.main import main
    assert main(["fuzz", "--seconds", "0", "--property", "nope"]) == 2
