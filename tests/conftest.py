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


try:  # Hypothesis profiles: a fast one for CI, a long one for campaigns
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("campaign", max_examples=2000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover
    pass
