"""conformance/parallel.py: forked workers give the serial results, in order; failures surface."""
from __future__ import annotations

import os

import pytest

from virtconform.conformance import parallel


def _square(x: int) -> int:
    return x * x


def _fail_on_150(x: int) -> int:
    if x == 150:
        raise ValueError("no 150 here")
    return x


def test_workers_give_the_serial_results_in_order() -> None:
    items = list(range(300))
    assert list(parallel.ordered_map(_square, items, 2, parallel_from=16)) == [x * x for x in items]
    assert list(parallel.ordered_map(_square, items, 1)) == [x * x for x in items]


def test_a_workers_exception_ends_the_run() -> None:
    with pytest.raises(RuntimeError, match="ValueError: no 150 here"):
        list(parallel.ordered_map(_fail_on_150, list(range(300)), 2, parallel_from=16))


@pytest.mark.parametrize("load,expected", [(0.0, 4), (1.2, 3), (2.6, 1), (3.7, 1), (9.0, 1)])
def test_default_jobs_are_the_cores_the_load_leaves_free(monkeypatch: pytest.MonkeyPatch, load: float,
                                                         expected: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert parallel.default_jobs() == expected
