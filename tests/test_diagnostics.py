"""Located diagnostics: the first line of an invalid document is the innermost cause.

One-token typos of real documents (tests/typos.py) under the shipped schema and
under libvirt's own 2010 schema; messages on small hand-written grammars; the
derivative walk agrees with libxml2 about validity.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import typos
from lxml import etree

from virtconform.engine import rngderiv, rngtree, schema, xmlio
from virtconform.engine.errors import DocumentError

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted((REPO / "corpus" / "domains").glob("*.xml"))


def _schemas() -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = [("shipped", None)]
    from virtconform.conformance.suites.shared import libvirt_schema
    rng = libvirt_schema()
    if rng is not None:
        out.append(("libvirt-2010", rng))
    return out


def _documents() -> list[Path]:
    from virtconform.conformance.suites.shared import reference_suite
    suite = reference_suite()
    ref = sorted((suite / "data").glob("*.xml")) if suite else []
    return ref + CORPUS


@pytest.mark.parametrize("label,schema_path", _schemas(), ids=[s[0] for s in _schemas()])
def test_one_token_typos_point_at_the_token(label: str, schema_path: Path | None) -> None:
    cs = schema.load_schema(schema_path)
    counted: dict[str, int] = {}
    misses = []
    for path in _documents():
        data = path.read_bytes()
        if not cs.is_valid(xmlio.parse_bytes(data, str(path)).root):
            continue  # a document of the other schema's language: no typo base
        rng = random.Random(path.name)
        for kind in typos.KINDS:
            candidates = list(kind(data, rng))
            rng.shuffle(candidates)
            for typo in candidates:
                doc = xmlio.parse_bytes(typo.data, str(path))
                if cs.is_valid(doc.root):
                    continue  # this slip happens to be valid: not a typo to find
                first = schema.validate(doc, schema_path)[0]
                counted[typo.kind] = counted.get(typo.kind, 0) + 1
                if not typo.hit(first.line, first.message):
                    misses.append((path.name, typo.kind, typo.line, typo.token, first))
                break
    assert len(counted) == len(typos.KINDS), counted
    assert sum(counted.values()) >= 40
    assert not misses, misses[:5]


GRAMMAR = """<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start>
    <element name="vm">
      <attribute name="kind"><choice><value>big</value><value>small</value></choice></attribute>
      <element name="name"><text/></element>
      <interleave>
        <element name="memory"><data type="unsignedInt"/></element>
        <optional><element name="currentMemory"><data type="unsignedInt"/></element></optional>
        <zeroOrMore>
          <element name="disk">
            <choice>
              <group>
                <attribute name="type"><value>file</value></attribute>
                <element name="source"><attribute name="file"/></element>
              </group>
              <group>
                <attribute name="type"><value>block</value></attribute>
                <element name="source"><attribute name="dev"/></element>
              </group>
            </choice>
            <element name="target">
              <attribute name="bus"><choice><value>ide</value><value>virtio</value></choice></attribute>
              <optional><attribute name="port"><data type="unsignedShort"/></attribute></optional>
            </element>
          </element>
        </zeroOrMore>
      </interleave>
    </element>
  </start>
</grammar>
"""

GOOD = """<vm kind='big'>
  <name>a</name>
  <memory>1024</memory>
  <disk type='file'>
    <source file='/a.img'/>
    <target bus='virtio' port='1'/>
  </disk>
</vm>
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    p = tmp_path / "small.rng"
    p.write_text(GRAMMAR)
    return p


def _first(small: Path, text: str) -> schema.Problem:
    problems = schema.validate(xmlio.parse_bytes(text.encode(), "t.xml"), small)
    assert problems, text
    assert problems == sorted(problems, key=lambda p: (p.line, p.column))
    for p in problems:
        assert "failed to validate" not in p.message and "in interleave" not in p.message
    return problems[0]


def test_good_document_has_no_problems(small: Path) -> None:
    assert schema.validate(xmlio.parse_bytes(GOOD.encode(), "t.xml"), small) == []


@pytest.mark.parametrize("old,new,line,column,fragments", [
    ("<memory>1024</memory>", "<memory>1024</memory>\n  <curentMemory>1</curentMemory>", 4, 3,
     ["unknown element 'curentMemory' in <vm>", "currentMemory", "disk"]),
    ("bus='virtio'", "bus='virtIO'", 6, 13, ["value 'virtIO' of bus in <target> is not one of ide, virtio"]),
    ("<memory>1024</memory>", "<memory>1024k</memory>", 3, 11, ["'1024k'", "<memory>", "unsignedInt"]),
    ("port='1'", "port='70000'", 6, 26, ["'70000'", "port", "unsignedShort"]),
    ("<target bus='virtio' port='1'/>", "<target port='1'/>", 6, 5, ["<target> lacks required attribute 'bus'"]),
    ("<target bus='virtio'", "<target bsu='virtio'", 6, 13, ["unknown attribute 'bsu' of <target>", "bus"]),
    ("<name>a</name>", "", 1, 1, ["<vm> lacks required element <name>"]),
    ("<disk type='file'>", "<disk type='block'>", 4, 9, ["value 'block' of type in <disk> does not fit", "file"]),
    ("<disk type='file'>", "<disk>", 4, 3, ["<disk> lacks", "'type'"]),
])
def test_messages_name_the_token(small: Path, old: str, new: str, line: int, column: int,
                                 fragments: list[str]) -> None:
    assert old in GOOD
    first = _first(small, GOOD.replace(old, new))
    assert (first.line, first.column) == (line, column), first
    for f in fragments:
        assert f in first.message, first.message


def test_element_in_the_wrong_place(small: Path) -> None:
    text = GOOD.replace("    <source file='/a.img'/>\n", "").replace("<name>a</name>", "<name>a</name>\n  <source file='/a.img'/>")
    first = _first(small, text)
    assert first.line == 3 and "'source'" in first.message and "<vm>" in first.message


def test_check_raises_the_first_problem(small: Path) -> None:
    doc = xmlio.parse_bytes(GOOD.replace("bus='virtio'", "bus='scsi'").encode(), "t.xml")
    with pytest.raises(DocumentError) as e:
        schema.check(doc, small)
    assert (e.value.line, e.value.message.startswith("value 'scsi'")) == (6, True)


@pytest.mark.parametrize("label,schema_path", _schemas(), ids=[s[0] for s in _schemas()])
def test_derivatives_agree_with_libxml2(label: str, schema_path: Path | None) -> None:
    """Valid documents have no diagnostics; libxml2-invalid ones have some (both directions)."""
    from virtconform.conformance.grammar.walker import RandomChooser, Walker
    cs = schema.load_schema(schema_path)
    alg = cs.algebra
    assert alg is not None
    grammar = rngtree.load(cs.path)
    roots = [etree.parse(str(p)).getroot() for p in _documents()]
    for k in range(60):
        roots.append(Walker(RandomChooser(random.Random(k))).document(grammar.start))
    for root in roots:
        assert (not rngderiv.diagnose(alg, root)) == cs.is_valid(root)


def test_a_diagnosis_does_not_depend_on_earlier_documents() -> None:
    """The algebra's caches are shared by every document of a run (and by the workers forked
    from it): an element refused where it stands, then accepted after assuming missing
    elements, must not be remembered as a clean subtree. Here <boot> is first seen after
    <type> and an unknown <boo> (the trials walk it without <type>), then in an <os> that
    really lacks <type>."""
    cs = schema.load_schema()
    before = (b"<domain type='qemu'><name>a</name><os><type>hvm</type><boo dev='cdrom'/>"
              b"<boot dev='fd'/></os><memory>4096</memory></domain>")
    lacking = b"<domain type='qemu'><name>b</name><os><boot dev='fd'/></os><memory>4096</memory></domain>"
    shared = rngderiv.Algebra(rngtree.from_tree(cs.tree.getroot(), Path(cs.path)))
    assert rngderiv.diagnose(shared, xmlio.parse_bytes(before, "a.xml").root)

    def messages(alg: rngderiv.Algebra) -> list[str]:
        return [d.message for d in rngderiv.diagnose(alg, xmlio.parse_bytes(lacking, "b.xml").root)]

    fresh = messages(rngderiv.Algebra(rngtree.from_tree(cs.tree.getroot(), Path(cs.path))))
    assert fresh == ["<os> lacks required element <type> (expected before <boot>)"]
    assert messages(shared) == fresh


def test_a_long_value_is_named_in_full() -> None:
    """A path of 45 characters that misses its leading slash is shown whole: the mistake
    may sit anywhere in it (the message used to cut values at 40 characters)."""
    bad = "var/lib/libvirt/boot/virtinst-vmlinuz.AbC123"
    text = ("<domain type='kvm'><name>g</name><memory>524288</memory>\n"
            f"<os><type>hvm</type><kernel>{bad}</kernel></os></domain>")
    problems = schema.validate(xmlio.parse_bytes(text.encode(), "t.xml"))
    assert problems and problems[0].line == 2
    assert f"'{bad}'" in problems[0].message, problems[0].message


_NIC = """<domain type='qemu'>
  <name>m</name>
  <memory>219200</memory>
  <os><type arch='i686'>hvm</type></os>
  <devices>
    <interface type='{kind}'>
      <source {source}/>
    </interface>
  </devices>
</domain>
"""


@pytest.mark.parametrize("kind,source,line,column,fragment", [
    # only an attribute missing: the child's fault (not "type='mcast' should be 'server'")
    ("mcast", "port='5558'", 7, 7, "<source> lacks required attribute 'address'"),
    ("mcast", "address='230.0.0.1'", 7, 7, "<source> lacks required attribute 'port'"),
    # an attribute of another kind of source: the parent's type is what does not fit
    ("network", "bridge='br0'", 6, 16, "value 'network' of type in <interface> does not fit its content"),
])
def test_a_child_lacking_an_attribute_is_blamed_itself(kind: str, source: str, line: int, column: int,
                                                       fragment: str) -> None:
    text = _NIC.format(kind=kind, source=source)
    first = schema.validate(xmlio.parse_bytes(text.encode(), "n.xml"))[0]
    assert (first.line, first.column) == (line, column) and fragment in first.message, first
