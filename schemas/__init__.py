"""The shipped RELAX NG schemas, compiled from the .rnc sources by `virtconform schema compile`."""
from __future__ import annotations

import os

DOMAIN = "domain.rng"


def shipped(name: str = DOMAIN) -> str | None:
    """Path of a shipped schema file, or None when it is missing.

    Looked up on the package's path entries (regular, namespace or editable install
    alike) with os.path: importlib.resources and pathlib cost a validate run start-up,
    and libxml2 needs a real file for the includes anyway."""
    for entry in __path__:
        candidate = os.path.join(entry, name)
        if os.path.isfile(candidate):
            return candidate
    return None
