"""conformance/parallel.py: forked workers give the serial results, in order; failures surface."""
from __future__ import annotations

import io
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


def _four_cores_and_proc_loadavg(monkeypatch: pytest.MonkeyPatch, content: str | None) -> None:
    """Four cores, and /proc/loadavg holding ``content`` (None: there is no such file)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    real_open = open

    def fake_open(path, *a, **k):  # type: ignore[no-untyped-def]
        if path != "/proc/loadavg":
            return real_open(path, *a, **k)
        if content is None:
            raise FileNotFoundError(path)
        return io.BytesIO(content.encode())

    monkeypatch.setattr("builtins.open", fake_open)


@pytest.mark.parametrize("running,expected", [(1, 4), (2, 3), (4, 1), (5, 1), (12, 1)])
def test_default_jobs_are_the_cores_other_tasks_leave_free(monkeypatch: pytest.MonkeyPatch, running: int,
                                                           expected: int) -> None:
    """/proc/loadavg's runnable count includes the reader itself."""
    _four_cores_and_proc_loadavg(monkeypatch, f"0.50 0.40 0.30 {running}/180 4242\n")
    assert parallel.default_jobs() == expected


@pytest.mark.parametrize("load,expected", [(0.0, 4), (1.2, 3), (2.6, 1), (3.7, 1), (9.0, 1)])
def test_without_proc_the_load_average_decides(monkeypatch: pytest.MonkeyPatch, load: float,
                                               expected: int) -> None:
    _four_cores_and_proc_loadavg(monkeypatch, None)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert parallel.default_jobs() == expected


def test_the_real_machine_gives_at_least_one_worker() -> None:
    assert 1 <= parallel.default_jobs() <= parallel.cores()
