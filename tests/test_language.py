"""Our schema speaks libvirt 0.8.3's domain language, both ways.

Documents walked from libvirt's own 2010 schema are accepted by ours (but for the
deviation rows: a <timer> beside <clock>), and documents of `virtconform generate`
are accepted by libvirt's schema (the few that keep a deviating construct aside).
The full measures (300 documents per seed, several seeds) are in the report of the
work; these keep them from sliding.
"""
from __future__ import annotations

import random

import pytest
from lxml import etree

from virtconform.conformance.generators import domaingen
from virtconform.conformance.grammar import rng
from virtconform.conformance.grammar.rng import Choice, Ref
from virtconform.conformance.grammar.walker import RandomChooser, Walker
from virtconform.conformance.suites.shared import libvirt_schema
from virtconform.engine.schema import shipped_schema_path

COUNT = 120


def _libvirt_rng() -> str:
    path = libvirt_schema()
    if path is None:
        pytest.skip("libvirt's 2010 schema (../shared) is not present")
    return str(path)


def test_documents_of_libvirts_schema_are_ours() -> None:
    path = _libvirt_rng()
    grammar = rng.load(path)
    theirs = etree.RelaxNG(etree.parse(path))
    ours = etree.RelaxNG(etree.parse(str(shipped_schema_path())))
    counted = 0
    for k in range(COUNT):
        root = Walker(RandomChooser(random.Random(f"language:{k}"))).document(grammar.start)
        doc = etree.fromstring(etree.tostring(root))
        assert theirs.validate(doc)
        if doc.find("timer") is not None:  # deviation clock-timer-beside: ours rejects
            assert not ours.validate(doc)
            continue
        counted += 1
        assert ours.validate(doc), f"{ours.error_log.last_error}\n{etree.tostring(doc).decode()}"
    assert counted >= COUNT // 10


def test_generated_documents_are_libvirts() -> None:
    theirs = etree.RelaxNG(etree.parse(_libvirt_rng()))
    rejected = []
    for k in range(COUNT):
        _, root = domaingen.numbered_domain(42, k)
        if not theirs.validate(etree.fromstring(etree.tostring(root))):
            rejected.append(str(theirs.error_log.last_error))
    assert len(rejected) <= COUNT // 50, rejected


def test_choices_are_weighted_by_alternative_name() -> None:
    grammar = rng.shipped()
    hyp = grammar.defines["hypervisor"]
    assert isinstance(hyp, Choice)
    assert {domaingen.alternative_name(i) for i in hyp.items} >= {"qemu", "kvm", "xen"}
    devices = next(p for p in _choices(grammar.defines["devices"]))
    assert {domaingen.alternative_name(i) for i in devices.items} >= {"disk", "nic", "channel"}
    assert set(domaingen.WEIGHTS["devices"]) == {domaingen.alternative_name(i) for i in devices.items}
    types = set()
    for k in range(60):
        root = domaingen.generate_domain(RandomChooser(k), refine=False)
        types.add(root.get("type"))
    assert types <= {"qemu", "kvm", "kqemu"}  # the weights give the others nothing


def _choices(p, seen=None):
    """Every Choice reachable from p without entering another define."""
    seen = seen if seen is not None else set()
    if id(p) in seen or isinstance(p, Ref):
        return
    seen.add(id(p))
    if isinstance(p, Choice):
        yield p
    for c in rng.children(p):
        yield from _choices(c, seen)


def test_every_weight_names_an_alternative_of_its_define() -> None:
    grammar = rng.shipped()
    for define, table in domaingen.WEIGHTS.items():
        names = {domaingen.alternative_name(i) for c in _choices(grammar.defines[define]) for i in c.items}
        assert set(table) <= names, f"{define}: {sorted(set(table) - names)} name no alternative"
