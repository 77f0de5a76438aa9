"""Shared test fixtures: where the reference suite lives, Hypothesis profiles."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import reference_suite, shared_dir  # noqa: F401


@pytest.fixture
def reference() -> Path:
    suite = reference_suite()
    if suite is None:
        pytest.skip("../shared/libvirt-0.8.3 is not present")
    return suite


try:  # Hypothesis profiles: a fast one for CI, a long one for campaigns; health checks on in both
    from hypothesis import settings

    settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
    settings.register_profile("campaign", max_examples=2000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover
    pass


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """Each property's skip rate (test_properties.py records them in its reports' user
    properties, which reach this summary under pytest-xdist too): a property that skips
    most of what it is given checks little while looking green."""
    rates = {name: rest for reports in terminalreporter.stats.values() for r in reports
             for key, (name, *rest) in getattr(r, "user_properties", ()) if key == "virtconform_skip_rate"}
    if not rates:
        return
    terminalreporter.section("property skip rates")
    for name, (skipped, tried, bound) in sorted(rates.items()):
        rate = skipped / tried if tried else 0.0
        terminalreporter.write_line(f"{name:22s} skipped {skipped:3d} of {tried:3d} ({rate:4.0%}, bound {bound:.0%})")
