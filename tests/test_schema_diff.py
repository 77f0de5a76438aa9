"""`schema diff OLD NEW`: real language differences with true, small witnesses; none for cosmetics.

Every witness is checked here again with libxml2 (valid under one grammar,
invalid under the other), independently of the tool's own confirmation.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import schema_revisions
from lxml import etree

from virtconform.conformance.grammar import schemadiff
from virtconform.conformance.suites.shared import libvirt_schema

HEAD = ('<grammar xmlns="http://relaxng.org/ns/structure/1.0" '
        'datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">')
BASE = HEAD + """
  <start><ref name="vm"/></start>
  <define name="vm">
    <element name="vm">
      <attribute name="type"><choice><value>kvm</value><value>qemu</value><value>xen</value></choice></attribute>
      <ref name="name"/>
      <optional><element name="memory"><data type="unsignedInt"/></element></optional>
      <zeroOrMore><ref name="disk"/></zeroOrMore>
    </element>
  </define>
  <define name="name"><element name="name"><data type="string"><param name="pattern">[a-z]+</param></data></element></define>
  <define name="disk">
    <element name="disk">
      <optional><attribute name="bus"><choice><value>ide</value><value>virtio</value></choice></attribute></optional>
      <optional><element name="readonly"><empty/></element></optional>
    </element>
  </define>
</grammar>
"""

SMALL = [
    ("element added", ('<optional><element name="readonly"><empty/></element></optional>',
                       '<optional><element name="readonly"><empty/></element></optional>'
                       '<optional><element name="serial"><text/></element></optional>'), "new", "/vm/disk/serial"),
    ("attribute added", ('<element name="disk">', '<element name="disk"><optional><attribute name="cache"/></optional>'),
     "new", "/vm/disk/@cache"),
    ("value added", ("<value>virtio</value>", "<value>virtio</value><value>scsi</value>"), "new", "/vm/disk/@bus"),
    ("value removed", ("<value>xen</value>", ""), "old", "/vm/@type"),
    ("repetition", ('<optional><element name="readonly"><empty/></element></optional>',
                    '<zeroOrMore><element name="readonly"><empty/></element></zeroOrMore>'), "new", "/vm/disk/readonly"),
    ("optional made required", ('<optional><element name="memory"><data type="unsignedInt"/></element></optional>',
                                '<element name="memory"><data type="unsignedInt"/></element>'), "old", "/vm"),
    ("datatype narrowed", ('<data type="unsignedInt"/>', '<data type="unsignedShort"/>'), "old", "/vm/memory"),
    ("datatype widened", ('<data type="unsignedInt"/>', '<data type="int"/>'), "new", "/vm/memory"),
    ("pattern widened", ("[a-z]+", "[a-z0-9]+"), "new", "/vm/name"),
    ("choice removed", ('<choice><value>ide</value><value>virtio</value></choice>', '<value>virtio</value>'),
     "old", "/vm/disk/@bus"),
    ("order relaxed", ('<ref name="name"/>\n      <optional><element name="memory"><data type="unsignedInt"/></element></optional>',
                       '<interleave><ref name="name"/>\n      <optional><element name="memory"><data type="unsignedInt"/>'
                       '</element></optional></interleave>'), "new", "/vm"),
]

COSMETIC = [
    ("indentation", lambda t: t.replace("\n  ", "\n\t\t").replace("><", ">\n<")),
    ("comment", lambda t: t.replace("<define", "<!-- why --><define", 2)),
    ("define renamed", lambda t: t.replace('"disk"/>', '"drive"/>').replace('<define name="disk">', '<define name="drive">')),
    ("defines reordered", lambda t: t.replace(
        '<define name="name"><element name="name"><data type="string"><param name="pattern">[a-z]+</param></data></element></define>\n', "")
        .replace("</grammar>", '<define name="name"><element name="name"><data type="string"><param name="pattern">[a-z]+'
                 '</param></data></element></define>\n</grammar>')),
    ("choice reordered", lambda t: t.replace("<value>kvm</value><value>qemu</value>", "<value>qemu</value><value>kvm</value>")),
]


def _side(tmp: Path, name: str, text: str) -> schemadiff.Side:
    p = tmp / name
    p.write_text(text)
    return schemadiff.Side(p)


def _assert_true_witnesses(report: schemadiff.Report, old: schemadiff.Side, new: schemadiff.Side) -> None:
    lx_old, lx_new = (etree.RelaxNG(etree.fromstring(s.text, base_url=s.path)) for s in (old, new))
    for w in report.only_new:
        doc = etree.fromstring(w.document.encode())
        assert lx_new.validate(doc) and not lx_old.validate(doc), w
    for w in report.only_old:
        doc = etree.fromstring(w.document.encode())
        assert lx_old.validate(doc) and not lx_new.validate(doc), w


@pytest.fixture(autouse=True)
def no_jing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk runs confirm with the derivative validator (jing has its own test, below)."""
    monkeypatch.setattr(schemadiff, "jing", lambda: None)


@pytest.mark.parametrize("name,edit,direction,path", SMALL, ids=[s[0] for s in SMALL])
def test_small_grammar_changes(tmp_path: Path, name: str, edit: tuple[str, str], direction: str,
                               path: str) -> None:
    assert edit[0] in BASE, edit[0]
    old, new = _side(tmp_path, "old.rng", BASE), _side(tmp_path, "new.rng", BASE.replace(*edit, 1))
    report = schemadiff.diff(old, new, count=0)
    _assert_true_witnesses(report, old, new)
    found, other = (report.only_new, report.only_old) if direction == "new" else (report.only_old, report.only_new)
    assert any(w.path.startswith(path) for w in found), (found, other)
    assert all(len(w.document) < 400 for w in found)  # minimized


@pytest.mark.parametrize("name,edit", COSMETIC, ids=[c[0] for c in COSMETIC])
def test_cosmetic_changes_report_nothing(tmp_path: Path, name: str, edit) -> None:
    changed = edit(BASE)
    assert changed != BASE
    report = schemadiff.diff(_side(tmp_path, "old.rng", BASE), _side(tmp_path, "new.rng", changed), count=200)
    assert report.only_new == [] and report.only_old == []


def _libvirt() -> Path:
    rng = libvirt_schema()
    if rng is None:
        pytest.skip("libvirt's 2010 schema (../shared) is absent")
    return rng


@pytest.mark.parametrize("rev", schema_revisions.REVISIONS, ids=[r.name for r in schema_revisions.REVISIONS])
def test_libvirt_schema_revisions(rev: schema_revisions.Revision) -> None:
    rng = _libvirt()
    text = rng.read_bytes()
    old = schemadiff.Side(rng, text)
    new = schemadiff.Side(rng, rev.edit(text.decode()).encode())
    report = schemadiff.diff(old, new, count=20)
    _assert_true_witnesses(report, old, new)
    for fragment, found in ((rev.only_new, report.only_new), (rev.only_old, report.only_old)):
        if fragment is None:
            assert found == [], found
        else:
            assert any(fragment in w.path for w in found), found


def test_jing_confirms_witnesses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    if schemadiff.jing() is None:
        pytest.skip("jing is not installed (Debian package jing)")
    edit = SMALL[2][1]
    report = schemadiff.diff(_side(tmp_path, "old.rng", BASE), _side(tmp_path, "new.rng", BASE.replace(*edit)),
                             count=0)
    assert report.confirmed_by == "libxml2 and jing"
    assert [w.path for w in report.only_new] == ["/vm/disk/@bus"] and report.only_old == []


def vc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_exit_status_and_json(tmp_path: Path) -> None:
    old, new = tmp_path / "old.rng", tmp_path / "new.rng"
    old.write_text(BASE)
    new.write_text(BASE.replace(*SMALL[3][1]))
    r = vc("schema", "diff", str(old), str(old), "--count", "10")
    assert (r.returncode, r.stderr) == (0, "") and "no difference" in r.stdout
    r = vc("schema", "diff", str(old), str(new), "--json", "--count", "10")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"only_old", "only_new"} and out["only_new"] == []
    w = out["only_old"][0]
    assert set(w) == {"document", "path", "reason"} and w["path"] == "/vm/@type" and "'xen'" in w["reason"]
    assert w["document"].startswith("<vm")
    bad = tmp_path / "bad.rng"
    bad.write_text(HEAD + "<start><ref name='nope'/></start></grammar>")
    r = vc("schema", "diff", str(bad), str(old))
    assert r.returncode == 2 and r.stderr.startswith(f"{bad}:1:") and "nope" in r.stderr
    r = vc("schema", "diff", str(tmp_path / "missing.rng"), str(old))
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1


def test_compact_syntax_sources(tmp_path: Path) -> None:
    from virtconform.engine import allow_rnc2rng
    allow_rnc2rng()
    pytest.importorskip("rnc2rng")
    old, new = tmp_path / "old.rnc", tmp_path / "new.rnc"
    old.write_text('start = element vm { attribute bus { "ide" | "virtio" } }\n')
    new.write_text('start = element vm {\n  attribute bus { "ide" | "virtio" | "scsi" } }\n')
    r = vc("schema", "diff", str(old), str(new), "--json", "--count", "5")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert [w["path"] for w in out["only_new"]] == ["/vm/@bus"] and out["only_old"] == []
    assert "scsi" in out["only_new"][0]["document"]
