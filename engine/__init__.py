"""virtconform engine: the libvirt 0.8.3 QEMU driver behaviour, as a library.

Nothing in here knows about the command line or Hypothesis; conformance/ uses it.
"""
from __future__ import annotations

import sys


def _keep_rnc2rng_out() -> None:
    """lxml imports rnc2rng at start-up whenever it is installed (~100-150 ms, it
    pulls in urllib and http.client). Only schema authoring needs it; a None entry
    in sys.modules makes lxml's optional import fail fast instead."""
    if "lxml.etree" not in sys.modules:
        sys.modules.setdefault("rnc2rng", None)  # type: ignore[arg-type]


def allow_rnc2rng() -> None:
    """Undo the block, for the schema compiler and its tests."""
    if "rnc2rng" in sys.modules and sys.modules["rnc2rng"] is None:
        del sys.modules["rnc2rng"]


_keep_rnc2rng_out()
