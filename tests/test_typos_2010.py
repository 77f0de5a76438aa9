"""One-token typos in documents as virt-install and virt-manager wrote them in 2010.

tests/data/domains-2010 holds 40 domains of the project's own writing in that
style (KVM, QEMU, Xen PV and HVM, LXC; virtio, SCSI, floppy, passthrough, macvtap,
filters, seclabels, timers...). Each gets one-token slips of every kind in
tests/typos.py; for every slip that makes it invalid, the first diagnostic must
be on the changed line and name the bad token. Checked in-process under the
shipped schema and libvirt's own 2010 schema (when ../shared is present), and
through `virtconform validate` on a directory of slipped documents.
"""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import typos

from virtconform.engine import schema, xmlio

DOCS = sorted((Path(__file__).parent / "data" / "domains-2010").glob("*.xml"))
PER_KIND = 3


def _schemas() -> list[tuple[str, Path | None]]:
    from virtconform.conformance.suites.shared import libvirt_schema
    rng = libvirt_schema()
    return [("shipped", None)] + ([("libvirt-2010", rng)] if rng is not None else [])


def _slips(data: bytes, seed: str, per_kind: int) -> list[typos.Typo]:
    rng = random.Random(seed)
    out = []
    for kind in typos.KINDS:
        found = list(kind(data, rng))
        rng.shuffle(found)
        out.extend(found[:per_kind])
    return out


def test_the_documents_are_valid() -> None:
    assert len(DOCS) >= 40
    cs = schema.load_schema(None)
    for path in DOCS:
        assert cs.is_valid(xmlio.parse_bytes(path.read_bytes(), str(path)).root), path.name


@pytest.mark.parametrize("label,schema_path", _schemas(), ids=[s[0] for s in _schemas()])
def test_first_diagnostic_is_on_the_line_and_names_the_token(label: str, schema_path: Path | None) -> None:
    cs = schema.load_schema(schema_path)
    counted: dict[str, int] = {}
    misses = []
    for path in DOCS:
        data = path.read_bytes()
        if not cs.is_valid(xmlio.parse_bytes(data, str(path)).root):
            continue  # libvirt's schema puts <timer> beside <clock>: not a base for typos there
        for typo in _slips(data, path.name, PER_KIND):
            doc = xmlio.parse_bytes(typo.data, str(path))
            if cs.is_valid(doc.root):
                continue  # a slip into another valid document (a name, a free-text value)
            first = schema.validate(doc, schema_path)[0]
            counted[typo.kind] = counted.get(typo.kind, 0) + 1
            if not typo.hit(first.line, first.message):
                misses.append((path.name, typo.kind, typo.line, typo.token, first.line, first.message))
    assert len(counted) == len(typos.KINDS) and sum(counted.values()) >= 600, counted
    assert not misses, misses[:5]


def test_through_the_command_line(tmp_path: Path) -> None:
    expected: dict[str, typos.Typo] = {}
    for path in DOCS:
        for n, typo in enumerate(_slips(path.read_bytes(), "cli:" + path.name, 1)):
            f = tmp_path / f"{path.stem}-{n}.xml"
            f.write_bytes(typo.data)
            expected[str(f)] = typo
    r = subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "validate", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and r.stdout == "", r.stderr[-500:]
    first: dict[str, tuple[int, str]] = {}
    for line in r.stderr.splitlines():
        name, ln, _col, message = line.split(":", 3)
        first.setdefault(name, (int(ln), message))
    hit = [f for f, t in expected.items() if f in first and t.hit(*first[f])]
    missed = [(f, expected[f].kind, expected[f].token, first[f]) for f in first if f not in hit]
    assert len(first) >= 250 and not missed, missed[:5]
