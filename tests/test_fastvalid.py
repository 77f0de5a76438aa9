"""engine/fastvalid.py: libxml2's verdict through its C API is the lxml path's verdict.

`validate` answers valid documents through fastvalid (no lxml import) and sends the
rest down the lxml path (xmlio, schema), which says why. That split is only right if
the two never disagree about a document called VALID or REJECTED: checked here on the
reference documents, the corpus, one-token typos of them and hostile or odd inputs.
"""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import typos

from virtconform.engine import fastvalid, schema
from virtconform.engine.errors import DocumentError
from virtconform.engine.xmlbytes import shallow_for_sure
from virtconform.engine.xmlio import parse_bytes

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

GOOD = sorted((CORPUS / "domains").glob("*.xml"))[0].read_bytes()


def _odd_inputs() -> dict[str, bytes]:
    """Inputs where parser options, encodings and lxml's own checks could make a difference."""
    name = GOOD.split(b"<name>", 1)
    assert len(name) == 2
    bom = b"\xef\xbb\xbf" + GOOD
    return {
        "cdata-name": name[0] + b"<name><![CDATA[" + name[1].split(b"</name>", 1)[0]
        + b"]]></name>" + name[1].split(b"</name>", 1)[1],
        "comment-and-pi": GOOD.replace(b"<name>", b"<!-- a comment --><?pi x?><name>", 1),
        "utf8-bom": bom,
        "declared-utf8": b"<?xml version='1.0' encoding='UTF-8'?>\n" + GOOD,
        "declared-latin1": b"<?xml version='1.0' encoding='ISO-8859-1'?>\n"
        + GOOD.replace(b"<name>", b"<!-- caf\xe9 --><name>", 1),
        "utf16": GOOD.decode().encode("utf-16"),
        "doctype-plain": b"<!DOCTYPE domain>\n" + GOOD,
        "doctype-entity": b'<!DOCTYPE d [<!ENTITY e "x">]>\n' + GOOD,
        "undeclared-entity": GOOD.replace(b"<name>", b"<description>&e;</description><name>", 1),
        "undefined-prefix": GOOD.replace(b"<name>", b"<p:description/><name>", 1),
        "foreign-namespace": GOOD.replace(b"<domain ", b"<domain xmlns='urn:other' ", 1),
        "empty": b"",
        "blank": b" \n",
        "truncated": GOOD[: len(GOOD) // 2],
        "deep": b"<domain type='qemu'>" + b"<x>" * 70 + b"</x>" * 70 + b"</domain>",
        "garbage": bytes(range(256)) * 4,
    }


def _documents() -> list[tuple[str, bytes]]:
    from virtconform.conformance.suites.shared import shared_dir
    shared = shared_dir()
    paths = sorted((shared / "libvirt-0.8.3" / "data").glob("*.xml")) if shared else []
    paths += sorted((CORPUS / "domains").glob("*.xml")) + sorted((CORPUS / "invalid").glob("*.xml"))
    docs = [(p.name, p.read_bytes()) for p in paths]
    for name, data in docs[:40]:
        docs += [(f"{name}:{t.kind}:{t.line}", t.data) for t in typos.typos(data, seed=1, per_kind=1)]
    return docs + sorted(_odd_inputs().items())


def _lxml_path(data: bytes) -> str:
    """What xmlio and schema (lxml) say: valid, invalid (parsed, schema rejects), refused."""
    try:
        doc = parse_bytes(data, "t.xml")
    except DocumentError:
        return "refused"
    return "invalid" if schema.validate(doc) else "valid"


@pytest.fixture(scope="module")
def fast() -> fastvalid.FastSchema:
    got = fastvalid.shipped()
    if got is None:
        pytest.skip("libxml2's C API is not reachable through lxml's extension module")
    return got


def test_verdicts_agree_with_the_lxml_path(fast: fastvalid.FastSchema) -> None:
    seen = {fastvalid.VALID: 0, fastvalid.REJECTED: 0, fastvalid.UNDECIDED: 0}
    for name, data in _documents():
        verdict = fast.verdict(data)
        seen[verdict] += 1
        lxml_says = _lxml_path(data)
        if verdict == fastvalid.VALID:
            assert lxml_says == "valid", name
        elif verdict == fastvalid.REJECTED:
            assert lxml_says == "invalid", name
            cs = schema.load_schema()
            assert not cs.is_valid(parse_bytes(data, "t.xml").root), name  # libxml2 in lxml too
        else:  # undecided only where xmlio looks further than libxml2 does, or nothing parsed
            assert lxml_says != "valid" or b"<!DOCTYPE" in data or not shallow_for_sure(data), name
    assert min(seen.values()) >= 5, seen


def test_odd_inputs_are_decided_where_lxml_would_decide_alike(fast: fastvalid.FastSchema) -> None:
    odd = _odd_inputs()
    verdicts = {name: fast.verdict(data) for name, data in odd.items()}
    for name in ("cdata-name", "comment-and-pi", "utf8-bom", "declared-utf8", "declared-latin1"):
        assert verdicts[name] == fastvalid.VALID, name
    for name in ("utf16", "doctype-plain", "doctype-entity", "undeclared-entity", "undefined-prefix",
                 "empty", "blank", "truncated", "deep", "garbage"):
        assert verdicts[name] == fastvalid.UNDECIDED, name
    assert verdicts["foreign-namespace"] == fastvalid.REJECTED


def test_one_validation_context_serves_any_order(fast: fastvalid.FastSchema) -> None:
    """The context kept across valid documents gives the verdicts of a fresh one."""
    docs = [data for _, data in _documents()]
    from virtconform.schemas import shipped
    path = shipped()
    assert path is not None
    fresh = []
    for data in docs[:60]:
        one = fastvalid.load(path)
        assert one is not None
        fresh.append(one.verdict(data))
    for seed in range(3):
        order = list(range(60))
        random.Random(seed).shuffle(order)
        got = {i: fast.verdict(docs[i]) for i in order}
        assert [got[i] for i in range(60)] == fresh, seed


def test_valid_documents_do_not_import_lxml() -> None:
    valid = sorted((CORPUS / "domains").glob("*.xml"))
    code = ("import sys\nfrom virtconform.conformance.cli.main import main\n"
            f"status = main(['validate', '--jobs', '1', *{[str(p) for p in valid]!r}])\n"
            "print(status, 'lxml.etree' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if fastvalid.shipped() is None:
        pytest.skip("libxml2's C API is not reachable through lxml's extension module")
    assert r.stdout.split() == ["0", "False"], r.stderr


def test_cli_reports_the_same_without_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from virtconform.conformance.cli.main import main
    for i, (_name, data) in enumerate(_documents()):
        (tmp_path / f"{i:04d}.xml").write_bytes(data)
    status = main(["validate", "--jobs", "1", str(tmp_path)])
    fast_err = capsys.readouterr().err
    monkeypatch.setattr(fastvalid, "shipped", lambda: None)
    assert main(["validate", "--jobs", "1", str(tmp_path)]) == status == 1
    assert capsys.readouterr().err == fast_err
    assert fast_err.count("\n") > 50
