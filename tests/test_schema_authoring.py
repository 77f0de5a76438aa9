"""`schema check` (libvirt's *-invalid.xml convention, broken grammars located) and `schema coverage`."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from virtconform.conformance.cli.main import main
from virtconform.engine import allow_rnc2rng

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+$")

GOOD = """start = vm
vm = element vm {
  attribute type { "kvm" | "qemu" },
  element name { text },
  disk*
}
disk = element disk { attribute bus { "ide" | "virtio" }? }
"""


def vc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def grammar_dir(tmp_path: Path) -> Path:
    allow_rnc2rng()
    pytest.importorskip("rnc2rng")
    d = tmp_path / "schemas"
    d.mkdir()
    (d / "domain.rnc").write_text(GOOD)
    return d


def _docs(tmp_path: Path, **docs: str) -> Path:
    d = tmp_path / "docs"
    d.mkdir(exist_ok=True)
    for name, text in docs.items():
        (d / name.replace("_", "-")).write_text(text)
    return d


def test_check_holds_the_naming_convention(grammar_dir: Path, tmp_path: Path) -> None:
    assert vc("schema", "compile", "--dir", str(grammar_dir)).returncode == 0
    docs = _docs(tmp_path, **{"a.xml": "<vm type='kvm'><name>a</name></vm>",
                              "bus_invalid.xml": "<vm type='kvm'><name>a</name><disk bus='sata'/></vm>"})
    r = vc("schema", "check", "--dir", str(grammar_dir), str(docs))
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    (docs / "b.xml").write_text("<vm type='kvm'>\n<name>a</name>\n<disk bus='scsi'/></vm>")
    (docs / "fine-invalid.xml").write_text("<vm type='qemu'><name>a</name></vm>")
    r = vc("schema", "check", "--dir", str(grammar_dir), str(docs))
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert any(x.startswith(f"{docs / 'b.xml'}:3:7: value 'scsi' of bus") for x in lines), lines
    assert any(x.startswith(f"{docs / 'fine-invalid.xml'}:1:1: accepted") for x in lines), lines


def test_project_corpus_follows_the_convention() -> None:
    allow_rnc2rng()
    pytest.importorskip("rnc2rng")
    r = vc("schema", "check", str(REPO / "corpus" / "domains"), str(REPO / "corpus" / "invalid"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("source,line,col,fragment", [
    (GOOD.replace('"kvm" | "qemu" }', '"kvm" | "qemu" '), 3, 35, "syntax"),
    (GOOD.replace("disk*", "disk*, nic"), 5, 10, "nic"),
    (GOOD + 'disk = element drive { empty }\n', 8, 1, "disk"),
])
def test_broken_grammar_is_a_located_error(grammar_dir: Path, source: str, line: int, col: int,
                                           fragment: str) -> None:
    (grammar_dir / "domain.rnc").write_text(source)
    for action in ("compile", "check"):
        r = vc("schema", action, "--dir", str(grammar_dir))
        assert r.returncode == 1, (action, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and LINE.match(lines[0]), r.stderr
        assert lines[0].startswith(f"{grammar_dir / 'domain.rnc'}:{line}:{col}: "), lines[0]
        assert fragment in lines[0] and "internal error" not in lines[0]
    assert not (grammar_dir / "domain.rng").exists()



def _at(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """Line and column (1-based) of the ``nth`` occurrence of ``needle`` in ``text``."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)


TYPES = 'size = xsd:unsignedInt { pattern = "[0-9]+" }\n'
WITH_TYPES = 'include "basictypes.rnc"\n' + GOOD.replace("disk*", "disk*,\n  element memory { size }")


@pytest.mark.parametrize("files,blamed,needle,fragment", [
    # an include of a file that is not there: the include is the line to fix
    ({"domain.rnc": WITH_TYPES}, "domain.rnc", '"basictypes.rnc"', "no such file"),
    ({"domain.rnc": WITH_TYPES.replace('"basictypes.rnc"', '"http://example.org/t.rnc"')},
     "domain.rnc", '"http://', "local files only"),
    # the grammar ends in the middle of a pattern (rnc2rng fails on its end-of-file token)
    ({"domain.rnc": GOOD.rstrip().rstrip("}")}, "domain.rnc", "<end>", "end of file"),
    # mistakes inside the included file are blamed on it
    ({"domain.rnc": WITH_TYPES, "basictypes.rnc": TYPES.replace("+\" }", "+\" ")}, "basictypes.rnc",
     None, "syntax error"),
    ({"domain.rnc": WITH_TYPES, "basictypes.rnc": TYPES + "unit = element unit { kilo }\n"}, "basictypes.rnc",
     "kilo", "undefined pattern 'kilo'"),
    ({"domain.rnc": WITH_TYPES, "basictypes.rnc": TYPES + "disk = element disk { empty }\n"}, "basictypes.rnc",
     "disk = ", "more than once"),
    ({"domain.rnc": WITH_TYPES, "basictypes.rnc": TYPES.replace("pattern", "patern")}, "basictypes.rnc",
     "patern", "no parameter 'patern'"),
    ({"domain.rnc": WITH_TYPES, "basictypes.rnc": TYPES.replace("[0-9]+", "[0-9+")}, "basictypes.rnc",
     '"[0-9+"', "not a regular expression"),
    ({"domain.rnc": GOOD.replace("element name", "element x:name")}, "domain.rnc", "x:name", "prefix 'x'"),
    ({"domain.rnc": GOOD.replace("element name { text }", "element name { text },\n  attribute type { text }")},
     "domain.rnc", "attribute type", "conflict"),
])
def test_broken_grammars_across_files(grammar_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      files: dict[str, str], blamed: str, needle: str | None,
                                      fragment: str) -> None:
    """Undefined references, syntax errors and missing includes, in the main grammar or in
    the one it includes: one located line in the file to fix, exit 1 (diff: 2), no .rng."""
    for name, text in files.items():
        (grammar_dir / name).write_text(text)
    text = files[blamed]
    if needle is None:  # a syntax error: rnc2rng's own location, on the last line
        expect = f"{grammar_dir / blamed}:{text.count(chr(10))}:"
    elif needle == "<end>":  # just after the last character
        last = text.rstrip().splitlines()
        expect = f"{grammar_dir / blamed}:{len(last)}:{len(last[-1]) + 1}: "
    else:
        line, col = _at(text, needle, 2 if fragment == "conflict" else 1)
        expect = f"{grammar_dir / blamed}:{line}:{col}: "
    other = tmp_path / "other.rnc"
    other.write_text(GOOD)
    for args, status in ((("compile", "--dir", str(grammar_dir)), 1), (("check", "--dir", str(grammar_dir)), 1),
                         (("diff", str(grammar_dir / "domain.rnc"), str(other)), 2)):
        code = main(["schema", *args])  # in-process: the command line is the same function
        out, err = capsys.readouterr()
        lines = err.splitlines()
        assert code == status and out == "", (args, err)
        assert len(lines) == 1 and LINE.match(lines[0]), err
        assert lines[0].startswith(expect), (lines[0], expect)
        assert fragment in lines[0] and "internal error" not in lines[0] and "Errno" not in lines[0]
    assert not list(grammar_dir.glob("*.rng"))


def test_missing_include_of_an_xml_grammar_is_blamed_on_the_include(tmp_path: Path) -> None:
    main = tmp_path / "main.rng"
    main.write_text('<grammar xmlns="http://relaxng.org/ns/structure/1.0">\n'
                    '  <start><ref name="vm"/></start>\n  <include href="types.rng"/>\n</grammar>\n')
    r = vc("schema", "diff", str(main), str(main))
    assert r.returncode == 2 and r.stderr.startswith(f"{main}:3:"), r.stderr
    assert "'types.rng'" in r.stderr and len(r.stderr.splitlines()) == 1

def test_coverage_names_blind_spots(tmp_path: Path) -> None:
    rng = tmp_path / "g.rng"
    rng.write_text("""<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><element name="vm">
    <attribute name="type"><choice><value>kvm</value><value>qemu</value></choice></attribute>
    <zeroOrMore><element name="disk">
      <choice>
        <group><attribute name="kind"><value>file</value></attribute><attribute name="path"/></group>
        <group><attribute name="kind"><value>block</value></attribute><attribute name="dev"/></group>
      </choice>
    </element></zeroOrMore>
    <optional><element name="memballoon"><empty/></element></optional>
  </element></start>
</grammar>""")
    docs = _docs(tmp_path, **{"a.xml": "<vm type='kvm'><disk kind='file' path='/a'/></vm>",
                              "b.xml": "<vm type='kvm'><disk kind='file' path='/b'/><disk kind='file' path='/c'/></vm>",
                              "c_invalid.xml": "<vm type='xen'/>"})
    r = vc("schema", "coverage", "--schema", str(rng), str(docs), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["documents"] == 3 and len(rep["invalid"]) == 1
    missing = {(m["kind"], m["path"], m["detail"]) for m in rep["missing"]}
    assert ("element", "/vm/memballoon", "") in missing
    assert ("value", "/vm/@type", "qemu") in missing
    assert ("attribute", "/vm/disk/@dev", "") in missing
    assert any(k == "choice" and p == "/vm/disk" and "dev" in d for k, p, d in missing)
    assert ("repeat", "/vm/disk", "more than once") not in missing  # b.xml has two disks
    covered = {(i["kind"], i["path"], i["detail"]) for i in rep["items"] if i["documents"]}
    assert ("value", "/vm/disk/@kind", "file") in covered and ("attribute", "/vm/disk/@path", "") in covered
    text = vc("schema", "coverage", "--schema", str(rng), str(docs))
    assert "value     /vm/@type = 'qemu'" in text.stdout and "element   /vm/memballoon" in text.stdout


def test_coverage_of_the_shipped_schema_by_the_corpus(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    r = vc("schema", "coverage", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["patterns"] > 100 and 0 < rep["exercised"] < rep["patterns"]
