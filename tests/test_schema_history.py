"""`schema diff` on libvirt's own schema history: every 2009-2010 change found, no cosmetic one.

The revisions are rebuilt at run time from ../shared's 2010 grammar with lxml
(tests/libvirt_history.py) and written into two directories, each with its own
``storageencryption.rng``, as a schema author would pass them. Each witness is
checked again here with libxml2, independently of the tool. One diff covers both
directions (``diff OLD NEW`` searches L(OLD)-L(NEW) and L(NEW)-L(OLD)).
"""
from __future__ import annotations

from pathlib import Path

import libvirt_history as history
import pytest
from test_schema_diff import _assert_true_witnesses as assert_true_witnesses

from virtconform.conformance.grammar import schemadiff
from virtconform.conformance.suites.shared import libvirt_schema


@pytest.fixture(scope="module")
def schemas() -> Path:
    rng = libvirt_schema()
    if rng is None:
        pytest.skip("libvirt's 2010 schema (../shared) is absent")
    return rng.parent


@pytest.fixture
def no_jing(monkeypatch: pytest.MonkeyPatch) -> None:
    """jing starts a JVM per call: the bulk runs confirm with the derivative validator."""
    monkeypatch.setattr(schemadiff, "jing", lambda: None)


@pytest.mark.usefixtures("no_jing")
@pytest.mark.parametrize("rev", history.HISTORY, ids=[r.name for r in history.HISTORY])
def test_each_change_of_the_history_is_found(schemas: Path, tmp_path: Path, rev: history.Revision) -> None:
    before, after = history.build(schemas, rev, tmp_path)
    old, new = schemadiff.Side(before), schemadiff.Side(after)
    report = schemadiff.diff(old, new, count=0)
    assert_true_witnesses(report, old, new)
    found = report.only_new if rev.newer_accepts_more else report.only_old
    assert any(rev.path in w.path for w in found), (rev.path, report.as_dict())


@pytest.mark.usefixtures("no_jing")
@pytest.mark.parametrize("rev", history.COSMETIC, ids=[r.name for r in history.COSMETIC])
def test_cosmetic_rewrites_find_nothing(schemas: Path, tmp_path: Path, rev: history.Revision) -> None:
    before, after = history.build(schemas, rev, tmp_path)
    assert before.read_bytes() != after.read_bytes()
    report = schemadiff.diff(schemadiff.Side(before), schemadiff.Side(after), count=10)
    assert report.only_new == [] and report.only_old == [], report.as_dict()


@pytest.mark.usefixtures("no_jing")
@pytest.mark.parametrize("rev", [r for r in history.HISTORY if "included file only" in r.name],
                         ids=lambda r: r.name)
def test_included_file_alone_compares_by_its_elements(schemas: Path, tmp_path: Path,
                                                      rev: history.Revision) -> None:
    """storageencryption.rng has no start: its element defines are the roots compared."""
    before, after = history.build(schemas, rev, tmp_path)
    old, new = before.parent / "storageencryption.rng", after.parent / "storageencryption.rng"
    report = schemadiff.diff(schemadiff.Side(old), schemadiff.Side(new), count=0)
    assert [w.path for w in report.only_old] == [] and report.only_new, report.as_dict()
    assert all(w.path.startswith("/encryption") for w in report.only_new)
    same = schemadiff.diff(schemadiff.Side(new), schemadiff.Side(new), count=10)
    assert same.only_new == [] and same.only_old == []


def test_jing_confirms_a_change_of_an_included_file(schemas: Path, tmp_path: Path) -> None:
    if schemadiff.jing() is None:
        pytest.skip("jing is not installed (Debian package jing)")
    rev = next(r for r in history.HISTORY if r.name.startswith("encryption format"))
    before, after = history.build(schemas, rev, tmp_path)
    report = schemadiff.diff(schemadiff.Side(before), schemadiff.Side(after), count=0)
    assert report.confirmed_by == "libxml2 and jing"
    assert report.only_old == [] and any(w.path.endswith("/encryption/@format") for w in report.only_new)
    assert all("qcow" in w.document for w in report.only_new)
