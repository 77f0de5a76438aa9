"""`virtconform validate` per CONTRACT.md, and hostile inputs, driven as a subprocess."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
VALID = sorted((CORPUS / "domains").glob("*.xml"))
INVALID = sorted((CORPUS / "invalid").glob("*-invalid.xml"))
LINE = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+$")


def vc(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_valid_files_print_nothing() -> None:
    r = vc("validate", *map(str, VALID))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_invalid_file_lines_and_status() -> None:
    bad = CORPUS / "invalid" / "disk-bus-invalid.xml"
    r = vc("validate", str(VALID[0]), str(bad))
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines and all(LINE.match(x) for x in lines)
    assert lines[0].startswith(f"{bad}:20:25: ")


def test_unreadable_wins_over_invalid(tmp_path: Path) -> None:
    r = vc("validate", str(INVALID[0]), str(tmp_path / "missing.xml"), str(VALID[0]))
    assert r.returncode == 2
    assert f"{tmp_path / 'missing.xml'}:0:0: no such file" in r.stderr
    assert "Traceback" not in r.stderr


def test_json_report() -> None:
    r = vc("validate", "--json", str(VALID[0]), str(INVALID[0]))
    assert r.returncode == 1
    rep = json.loads(r.stdout)
    assert (rep["valid"], rep["invalid"]) == (1, 1)
    assert rep["files"][0] == {"path": str(VALID[0]), "valid": True, "errors": []}
    err = rep["files"][1]["errors"][0]
    assert rep["files"][1]["valid"] is False and set(err) == {"line", "column", "message"}
    assert err["line"] >= 1 and err["column"] >= 1


def test_other_schema(tmp_path: Path) -> None:
    rng = tmp_path / "only-foo.rng"
    rng.write_text('<element name="foo" xmlns="http://relaxng.org/ns/structure/1.0"><empty/></element>')
    foo = tmp_path / "foo.xml"
    foo.write_text("<foo/>")
    assert vc("validate", "--schema", str(rng), str(foo)).returncode == 0
    r = vc("validate", "--schema", str(rng), str(VALID[0]))
    assert r.returncode == 1 and r.stderr.startswith(f"{VALID[0]}:1:")
    bad = tmp_path / "bad.rng"
    bad.write_text("<grammar/>")
    r = vc("validate", "--schema", str(bad), str(foo))
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1


def test_no_files_is_usage_error() -> None:
    assert vc("validate").returncode == 2


DOMAIN_TAIL = "<name>x</name><memory>1</memory><os><type>hvm</type></os></domain>"


def _hostile(tmp_path: Path) -> dict[str, tuple[Path, int]]:
    cases: dict[str, tuple[Path, int]] = {}

    def put(name: str, data: bytes, status: int) -> None:
        p = tmp_path / name
        p.write_bytes(data)
        cases[name] = (p, status)

    put("deep.xml", b"<domain>" + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</domain>", 1)
    put("deep-valid-chars.xml", b"<domain type='qemu'>" + b"<x>" * 100 + b"</x>" * 100 + b"</domain>", 1)
    big = b"<domain type='qemu'><description>" + b"A" * (30 * 1024 * 1024) + b"</description></domain>"
    put("huge.xml", big, 1)
    laughs = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    for i in range(1, 10):
        laughs += b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
    laughs += b"]>\n<domain type='qemu'><name>&lol9;</name></domain>\n"
    put("laughs.xml", laughs, 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-CONTENT")
    put("xxe-file.xml", b'<!DOCTYPE d [<!ENTITY s SYSTEM "file://' + str(secret).encode()
        + b'">]>\n<domain type=\'qemu\'><name>&s;</name></domain>', 1)
    put("xxe-http.xml", b'<!DOCTYPE d [<!ENTITY s SYSTEM "http://127.0.0.1:9/x">]>\n'
        b"<domain type='qemu'><name>&s;</name></domain>", 1)
    put("dtd-external.xml", b'<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/domain.dtd">\n'
        b"<domain type='qemu'>" + DOMAIN_TAIL.encode(), 1)  # never fetched: refused
    put("undeclared-entity.xml", b"<domain type='qemu'><name>&s;</name></domain>", 1)
    put("garbage.xml", bytes(range(256)) * 40, 1)
    put("latin1.xml", "<domain type='qemu'><name>café</name></domain>".encode("latin-1"), 1)
    put("empty.xml", b"", 1)
    put("blank.xml", b"  \n\n", 1)
    put("truncated.xml", b"<domain type='qemu'><name>x</name", 1)
    put("utf16.xml", "<?xml version='1.0' encoding='UTF-16'?><domain/>".encode("utf-16"), 1)
    cases["missing.xml"] = (tmp_path / "missing.xml", 2)
    (tmp_path / "empty-dir").mkdir()
    cases["dir"] = (tmp_path / "empty-dir", 2)
    return cases


def test_hostile_inputs(tmp_path: Path) -> None:
    cases = _hostile(tmp_path)
    for name, (path, status) in cases.items():
        start = time.monotonic()
        r = vc("validate", str(path), timeout=30)
        elapsed = time.monotonic() - start
        assert r.returncode == status, (name, r.stderr)
        assert elapsed < 20, name
        assert r.stdout == ""
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (name, r.stderr)
        assert "TOPSECRET" not in r.stderr and "lollol" not in r.stderr
        if status:
            lines = r.stderr.splitlines()
            assert lines and all(LINE.match(x) for x in lines), (name, r.stderr)
            assert lines[0].startswith(f"{path}:"), name


def test_hostile_messages_are_clear(tmp_path: Path) -> None:
    cases = _hostile(tmp_path)
    expect = {
        "deep.xml": "nesting deeper than",
        "huge.xml": "larger than the limit",
        "laughs.xml": "DOCTYPE declares entities",
        "xxe-file.xml": "DOCTYPE declares entities",
        "empty.xml": "empty",
        "latin1.xml": "encoding",
        "dir": "no *.xml files in this directory",
        "missing.xml": "no such file",
    }
    for name, fragment in expect.items():
        r = vc("validate", str(cases[name][0]))
        assert fragment in r.stderr, (name, r.stderr)
    r = vc("validate", str(cases["laughs.xml"][0]))
    assert ":3:2: " in r.stderr  # located at the first <!ENTITY


def test_directories_recurse_in_order(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a").mkdir()
    bad = CORPUS / "invalid" / "disk-bus-invalid.xml"
    (tmp_path / "b" / "deep" / "x-invalid.xml").write_bytes(bad.read_bytes())
    (tmp_path / "a" / "ok.xml").write_bytes(VALID[0].read_bytes())
    (tmp_path / "a" / "notes.txt").write_text("not a document")
    r = vc("validate", "--json", str(tmp_path))
    assert r.returncode == 1
    rep = json.loads(r.stdout)
    assert [f["path"] for f in rep["files"]] == [str(tmp_path / "a" / "ok.xml"),
                                                 str(tmp_path / "b" / "deep" / "x-invalid.xml")]
    assert r.stderr.startswith(f"{tmp_path / 'b' / 'deep' / 'x-invalid.xml'}:20:25: ")


def test_standard_input() -> None:
    bad = CORPUS / "invalid" / "disk-bus-invalid.xml"
    r = subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "validate", "-", str(VALID[0])],
                       input=bad.read_text(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.startswith("<stdin>:20:25: value 'sata' of bus")
    r = subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "validate", "-"],
                       input=VALID[0].read_text(), capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, "")
    assert vc("validate", "-", "-").returncode == 2


def test_workers_keep_the_order(tmp_path: Path) -> None:
    files = []
    for i in range(150):  # enough for the worker pool
        src = (VALID + INVALID)[i % (len(VALID) + len(INVALID))]
        p = tmp_path / f"{i:03d}-{src.name}"
        p.write_bytes(src.read_bytes())
        files.append(str(p))
    one = vc("validate", "--jobs", "1", *files)
    two = vc("validate", "--jobs", "2", *files)
    assert one.returncode == two.returncode == 1
    assert one.stderr == two.stderr and one.stderr.count("\n") >= 50
