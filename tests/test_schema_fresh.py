"""The shipped .rng files must equal a fresh compile of the .rnc sources."""
from __future__ import annotations

from pathlib import Path

import pytest

from virtconform.engine import allow_rnc2rng

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def test_shipped_rng_is_fresh() -> None:
    allow_rnc2rng()
    pytest.importorskip("rnc2rng")
    from virtconform.conformance.cli.schema import compiled
    fresh = compiled(SCHEMAS)
    assert {p.name for p in fresh} == {"domain.rng", "basictypes.rng", "storageencryption.rng"}
    for path, text in fresh.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `virtconform schema compile`"


def test_shipped_domain_rng_loads_standalone() -> None:
    from lxml import etree
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "domain.rng")))
    minimal = etree.fromstring(
        "<domain type='qemu'><name>x</name><memory>4096</memory><os><type>hvm</type><boot dev='hd'/></os>"
        "</domain>")
    assert schema.validate(minimal), schema.error_log


def test_schema_check_reports_stale(tmp_path: Path) -> None:
    allow_rnc2rng()
    pytest.importorskip("rnc2rng")
    import argparse

    from virtconform.conformance.cli import schema as cmd
    for src in SCHEMAS.glob("*.rnc"):
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    args = argparse.Namespace(action="check", dir=str(tmp_path))
    assert cmd.run(args) == 1  # nothing compiled yet
    assert cmd.run(argparse.Namespace(action="compile", dir=str(tmp_path))) == 0
    assert cmd.run(args) == 0
    rng = tmp_path / "domain.rng"
    rng.write_text(rng.read_text(encoding="utf-8").replace("rename-restart", "x"), encoding="utf-8")
    assert cmd.run(args) == 1
