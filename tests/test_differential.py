"""The differential property (agrees-with-libvirt): skipped without an oracle, silent when the
oracle agrees, a failure naming the kind of difference when it does not. Held against
tests/fake_oracle.py (the oracle's protocol answered by our own engine, faults on demand)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from virtconform.conformance.campaign import differential
from virtconform.conformance.campaign.catalogue import PROPERTIES
from virtconform.conformance.campaign.properties import Skip
from virtconform.conformance.generators.domaingen import numbered_domain, to_text

FAKE = f"{sys.executable} {Path(__file__).with_name('fake_oracle.py')}"
DOCS = [to_text(numbered_domain(11, k)[1]) for k in range(2)]
PLAIN = (Path(__file__).resolve().parents[1] / "docs" / "deviations" / "nic-network-tap-fd.xml").read_text() \
    .replace("<interface type='network'>", "<interface type='user'>").replace("<source network='default'/>", "")


@pytest.fixture(autouse=True)
def fresh_checker():
    differential._checker.cache_clear()
    yield
    differential._checker.cache_clear()


def test_it_is_in_the_property_suite_and_unavailable_without_an_oracle(monkeypatch, tmp_path: Path) -> None:
    prop = PROPERTIES["agrees-with-libvirt"]
    assert prop.check is differential.prop_agrees_with_libvirt
    monkeypatch.setenv("VIRTCONFORM_ORACLE", FAKE)
    assert prop.unavailable() is None
    monkeypatch.delenv("VIRTCONFORM_ORACLE")
    monkeypatch.setenv("VIRTCONFORM_SHARED", str(tmp_path))
    assert "oracle" in prop.unavailable()


def test_without_an_oracle_every_document_is_skipped(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VIRTCONFORM_ORACLE", raising=False)
    monkeypatch.setenv("VIRTCONFORM_SHARED", str(tmp_path))
    with pytest.raises(Skip):
        differential.prop_agrees_with_libvirt(DOCS[0])


def test_an_agreeing_oracle_passes(monkeypatch) -> None:
    monkeypatch.setenv("VIRTCONFORM_ORACLE", FAKE)
    for xml in [PLAIN, DOCS[0]]:
        try:
            differential.prop_agrees_with_libvirt(xml)
        except Skip:
            pass


def test_a_difference_fails_with_its_kind(monkeypatch) -> None:
    monkeypatch.setenv("VIRTCONFORM_ORACLE", FAKE)
    monkeypatch.setenv("FAKE_ORACLE_SUB", r" -usb=> -no-kqemu -usb")
    with pytest.raises(AssertionError, match=r"qemu-0\.9\.1: argv: -no-kqemu only in libvirt"):
        differential.prop_agrees_with_libvirt(PLAIN)


def test_edge_values_property_checks_the_documents_value_mutant(monkeypatch) -> None:
    """It pushes the document's value mutant, not the document, through both sides, and a
    failure shows that mutant (the same one for the same document: it replays)."""
    prop = PROPERTIES["edge-values-agree-with-libvirt"]
    assert prop.check is differential.prop_edge_values_agree
    mutant = differential.edge_mutant(PLAIN)
    assert mutant != PLAIN and mutant == differential.edge_mutant(PLAIN)
    monkeypatch.setenv("VIRTCONFORM_ORACLE", FAKE)
    try:
        differential.prop_edge_values_agree(PLAIN)
    except Skip:
        pass
    # a document whose mutant we still read: the fake refusing everything then disagrees
    from virtconform.conformance.crosscheck.ours import Ours
    doc = next(d for d in (to_text(numbered_domain(11, k)[1]) for k in range(60))
               if Ours().xml2xml(differential._pin(differential.edge_mutant(d))).built)
    differential._checker.cache_clear()
    monkeypatch.setenv("FAKE_ORACLE_REFUSE", "<")
    seen: list[str] = []
    real = differential.batch_agrees_with_libvirt
    monkeypatch.setattr(differential, "batch_agrees_with_libvirt",
                        lambda xmls: seen.extend(xmls) or real(xmls))
    with pytest.raises(AssertionError, match="we build, libvirt refuses.*on its value mutant"):
        differential.prop_edge_values_agree(doc)
    assert seen == [differential.edge_mutant(doc)]
