"""The model and the schema declare the same document: every element and attribute
the schema allows has a declared model field, so nothing valid is rejected or dropped."""
from __future__ import annotations

from virtconform.conformance.grammar import coverage, rng
from virtconform.engine.model.domain import Domain

# One model class serves serial, parallel, console and channel; the schema allows
# each its own subset. These are the model's, by design, never the schema's.
SHARED_CHARDEV = {f"/domain/devices/{kind}/{p}" for kind in ("serial", "parallel", "console", "channel")
                  for p in ("@tty", "target/@address", "target/@name", "target/@type")}


# What libvirt 0.8.3's parser reads although its 2010 schema (and so ours, which
# reproduces that language) does not declare it: the model must read it, the
# schema rightly rejects it.
PARSER_ONLY = {"/domain/devices/filesystem/readonly"}


def test_every_schema_path_is_declared_by_the_model() -> None:
    schema = coverage.schema_paths(rng.shipped())
    model = Domain.xml_paths("/domain") | {"/domain"}
    assert sorted(schema - model) == []


def test_the_model_declares_nothing_the_schema_forbids() -> None:
    schema = coverage.schema_paths(rng.shipped())
    model = Domain.xml_paths("/domain") | {"/domain"}
    assert sorted(model - schema - SHARED_CHARDEV - PARSER_ONLY) == []
