"""Every property a campaign runs: the engine's own promises (properties.py) and those that
ask libvirt's own code (differential.py, which registers itself on import). Importing the
catalogue, not properties.py, is what gets the whole set -- and keeps properties.py free of
the module that builds on it."""
from __future__ import annotations

from . import differential as _differential  # noqa: F401 - registers the oracle's properties
from .properties import PROPERTIES

__all__ = ["PROPERTIES"]
