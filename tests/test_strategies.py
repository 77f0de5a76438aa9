"""The grammar loader, the walker, the refinements and the invalid-document modes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from lxml import etree

from virtconform.conformance.generators import domaingen, mutate
from virtconform.conformance.generators.strategies import domains, invalid_documents, valid_documents
from virtconform.conformance.grammar import coverage, regexgen, rng
from virtconform.conformance.grammar.walker import RandomChooser, Walker
from virtconform.engine import schema, xmlio

MAIN = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <include href="parts.rng">
    <define name="colour"><choice><value>red</value><value>blue</value></choice></define>
  </include>
  <start><ref name="top"/></start>
  <define name="top" combine="interleave">
    <element name="top">
      <attribute name="colour"><ref name="colour"/></attribute>
      <optional><attribute name="n"><data type="short"><param name="minInclusive">-3</param>
        <param name="maxInclusive">9</param></data></attribute></optional>
      <zeroOrMore><ref name="item"/></zeroOrMore>
      <oneOrMore><element name="code"><data type="string"><param name="pattern">[A-F]{2}-[0-9]{1,3}</param>
      </data></element></oneOrMore>
      <element name="inner"><grammar>
        <start><element name="leaf"><parentRef name="colour"/></element></start>
      </grammar></element>
      <element name="word"><data type="token"><except><value>forbidden</value></except></data></element>
      <element name="mixed"><mixed><optional><element name="b"><empty/></element></optional></mixed></element>
    </element>
  </define>
</grammar>
"""
PARTS = """<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <define name="colour"><value>green</value></define>
  <define name="item">
    <element name="item"><choice><text/><empty/></choice></element>
  </define>
  <define name="item" combine="choice"><element name="other"><empty/></element></define>
</grammar>
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("rng")
    (d / "parts.rng").write_text(PARTS)
    (d / "main.rng").write_text(MAIN)
    return d / "main.rng"


def test_small_grammar_instances_validate(small: Path) -> None:
    g = rng.load(small)
    relax = etree.RelaxNG(etree.parse(str(small)))
    names: set[str] = set()
    for seed in range(200):
        root = Walker(RandomChooser(seed)).document(g.start)
        assert relax.validate(root), (etree.tostring(root), relax.error_log)
        assert root.get("colour") in ("red", "blue")  # the include's define was overridden
        names |= {e.tag for e in root.iter()}
    assert {"item", "other", "leaf", "b", "code"} <= names


@given(valid_documents())
def test_raw_schema_walk_validates(st_doc: str) -> None:
    assert not schema.validate(xmlio.parse_bytes(st_doc.encode(), "raw.xml"))


@pytest.mark.parametrize("pattern", sorted({v for d in rng.shipped().defines.values() if isinstance(d, rng.Data)
                                            for k, v in d.params if k == "pattern"}))
def test_regex_generator_matches(pattern: str) -> None:
    node = regexgen.parse(pattern)
    for seed in range(30):
        s = regexgen.generate(node, RandomChooser(seed))
        assert re.fullmatch(pattern, s), (pattern, s)


@given(domains())
def test_domains_validate(xml: str) -> None:
    problems = schema.validate(xmlio.parse_bytes(xml.encode(), "gen.xml"))
    assert not problems, [p.message for p in problems]


@given(domains(hostile=True))
def test_hostile_domains_validate(xml: str) -> None:
    assert not schema.validate(xmlio.parse_bytes(xml.encode(), "gen.xml"))


@given(invalid_documents())
def test_invalid_documents_are_rejected(case: tuple[str, str, str]) -> None:
    xml, mode, _ = case
    assert mode in mutate.MODES
    assert schema.validate(xmlio.parse_bytes(xml.encode(), "bad.xml"))


@pytest.mark.parametrize("mode", list(mutate.MODES))
def test_every_error_mode_applies(mode: str) -> None:
    hits = 0
    for seed in range(5):
        ch = RandomChooser(seed)
        result = mutate.mutate(domaingen.generate_domain(ch), mode, ch)
        if result is not None:
            hits += 1
            assert mutate.is_invalid(result[0])
    assert hits >= 3


def test_refined_documents_load_in_the_engine() -> None:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import domain_from_string
    caps = get_profile("libvirt-test").capabilities
    loaded = 0
    for seed in range(60):
        try:
            domain_from_string(domaingen.generate_domain_text(seed), caps)
            loaded += 1
        except VirtconformError:
            pass
    assert loaded >= 57


def test_refinements_keep_addresses_consistent() -> None:
    for seed in range(60):
        root = domaingen.generate_domain(RandomChooser(seed))
        slots = [a.get("slot") for a in root.iterfind(".//address[@type='pci']")
                 if a.getparent().tag != "source"]
        own = [a.get("slot") for a in root.iterfind("devices/video/address[@type='pci']")]
        assert len(slots) == len(set(slots))  # the video card may sit at its own slot 2
        assert all(int(s, 16) >= 4 or (s == "0x02" and s in own) for s in slots)
        for n in root.iterfind("devices/interface"):
            assert n.find("mac") is not None
        targets = [t.get("dev") for t in root.iterfind("devices/disk/target")]
        assert len(targets) == len(set(targets))


def test_generate_command_is_deterministic_and_valid(tmp_path: Path) -> None:
    from virtconform.conformance.cli.main import main
    for d in ("a", "b"):
        assert main(["generate", "--count", "25", "--seed", "7", "--out", str(tmp_path / d)]) == 0
    files = sorted((tmp_path / "a").glob("*.xml"))
    assert len(files) == 25
    for f in files:
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
        assert not schema.validate(xmlio.read_document(str(f)))
    assert main(["generate", "--count", "9", "--seed", "1", "--invalid", "--out", str(tmp_path / "bad")]) == 0
    for f in (tmp_path / "bad").glob("*.xml"):
        assert "error mode:" in f.read_text()
        assert schema.validate(xmlio.read_document(str(f)))


def test_generate_coverage_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from virtconform.conformance.cli.main import main
    assert main(["generate", "--count", "60", "--seed", "3", "--coverage", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 60 and 50 < report["percent"] <= 100
    assert "/domain/devices/disk/@type" in coverage.schema_paths(rng.shipped())


def test_generated_documents_reach_every_schema_path() -> None:
    """2,000 documents of ``generate`` exercise every element and attribute path of the
    schema (timers, socket NICs, container guests, every kind of address on every device):
    the crosscheck holds libvirt's rules for all of them only if documents reach them."""
    from virtconform.conformance.generators.domaingen import numbered_domain
    allowed = coverage.schema_paths(rng.shipped())
    reached: set[str] = set()
    for k in range(2000):
        reached |= coverage.document_paths(numbered_domain(4, k)[1])
    assert sorted(allowed - reached) == []
