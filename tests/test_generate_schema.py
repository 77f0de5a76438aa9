"""`generate --schema ANY.rng`: instances of any grammar, valid under it, the same per seed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from virtconform.conformance.suites.shared import libvirt_schema

RECURSIVE = """<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><ref name="node"/></start>
  <define name="node">
    <element name="node">
      <optional><attribute name="when"><data type="date"/></attribute></optional>
      <optional><attribute name="ids"><list><oneOrMore>
        <data type="int"><param name="minInclusive">3</param><param name="maxInclusive">9</param></data>
      </oneOrMore></list></attribute></optional>
      <mixed><zeroOrMore><choice>
        <ref name="node"/><ref name="node"/><ref name="node"/>
        <element><anyName><except><name>node</name></except></anyName><text/></element>
      </choice></zeroOrMore></mixed>
      <optional><element name="n"><data type="string"><param name="pattern">[A-Z]{2}\\d+</param>
        <except><value>AB1</value></except></data></element></optional>
      <optional><element name="d"><data type="decimal"><param name="minInclusive">0.5</param></data></element></optional>
    </element>
  </define>
</grammar>
"""


def vc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", *args],
                          capture_output=True, text=True, timeout=300)


def _check(grammar: Path, out: Path, count: int) -> list[bytes]:
    schema = etree.RelaxNG(etree.parse(str(grammar)))
    files = sorted(out.glob("*.xml"))
    assert len(files) == count
    for f in files:
        assert schema.validate(etree.parse(str(f))), (f, schema.error_log)
    return [f.read_bytes() for f in files]


def test_small_recursive_grammar(tmp_path: Path) -> None:
    g = tmp_path / "rec.rng"
    g.write_text(RECURSIVE)
    for seed in (1, 2):
        for run in ("a", "b"):
            r = vc("generate", "--schema", str(g), "--count", "25", "--seed", str(seed),
                   "--out", str(tmp_path / f"{seed}{run}"))
            assert r.returncode == 0, r.stderr
        assert _check(g, tmp_path / f"{seed}a", 25) == _check(g, tmp_path / f"{seed}b", 25)
    assert _check(g, tmp_path / "1a", 25) != _check(g, tmp_path / "2a", 25)
    depths = [max(len(list(e.iterancestors())) for e in etree.parse(str(f)).iter())
              for f in (tmp_path / "1a").glob("*.xml")]
    assert max(depths) >= 3  # the recursion is explored, and ends


def test_libvirt_domain_schema(tmp_path: Path) -> None:
    rng = libvirt_schema()
    if rng is None:
        pytest.skip("libvirt's 2010 schema (../shared) is absent")
    r = vc("generate", "--schema", str(rng), "--raw", "--count", "300", "--seed", "11",
           "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    docs = _check(rng, tmp_path / "a", 300)
    assert len(set(docs)) > 250
    tags = {e.tag for d in docs for e in etree.fromstring(d).iter()}
    assert {"disk", "interface", "graphics", "serial", "clock"} <= tags


@pytest.mark.parametrize("text,status", [
    ("<grammar xmlns='http://relaxng.org/ns/structure/1.0'><start><ref name='nope'/></start></grammar>", 2),
    ("<grammar", 2),
    ("<element name='a' xmlns='http://relaxng.org/ns/structure/1.0'><notAllowed/></element>", 2),
])
def test_bad_grammars(tmp_path: Path, text: str, status: int) -> None:
    g = tmp_path / "bad.rng"
    g.write_text(text)
    r = vc("generate", "--schema", str(g), "--count", "3", "--out", str(tmp_path / "o"))
    assert r.returncode == status
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(g)) and "Traceback" not in r.stderr
