"""The result cache of ``virtconform check``: unchanged documents are not built again.

A document's result (valid or not, its lock entry per target) depends only on its bytes
and on the context: virtconform's own code and schema, the host profile, qemu.conf and
the targets' flags. The cache file records that context; any difference in it discards
the whole file, so a new virtconform, an edited engine file or another target never
serves an old answer. Entries are keyed by the SHA-256 of the document's bytes. The
cache lives in ``.virtconform_cache/`` beside the configuration, which ignores itself
in git (the way ruff and pytest caches do).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

VERSION = 1
DIRNAME = ".virtconform_cache"


def _code_fingerprint() -> str:
    """Size and mtime of every file of the engine, the schemas and the checker."""
    import virtconform.conformance.gatekeeping as gk
    import virtconform.engine as engine
    import virtconform.schemas as schemas

    h = hashlib.sha256()
    for pkg in (engine, schemas, gk):
        for base in pkg.__path__:
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                for name in sorted(filenames):
                    if name.endswith((".py", ".rng", ".xml")):
                        st = os.stat(os.path.join(dirpath, name))
                        h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def context_key(profile: str, qemu_conf: bytes | None, targets: list[tuple[str, frozenset[str]]]) -> str:
    h = hashlib.sha256()   # (the code fingerprint stands for the version: importlib.metadata costs 80 ms)
    h.update(json.dumps([VERSION, _code_fingerprint(), profile,
                         hashlib.sha256(qemu_conf).hexdigest() if qemu_conf is not None else None,
                         [[n, sorted(f)] for n, f in targets]]).encode())
    return h.hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ResultCache:
    def __init__(self, root: Path, context: str) -> None:
        self.dir = root / DIRNAME
        self.file = self.dir / "check.json"
        self.context = context
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            data = json.loads(self.file.read_bytes())
            if data.get("context") == context and isinstance(data.get("documents"), dict):
                self.entries = data["documents"]
        except (OSError, ValueError):
            pass

    def get(self, key: str) -> Any:
        found = self.entries.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self, prune: bool) -> None:
        """Write the cache (atomically); ``prune`` drops entries this run did not use."""
        if prune and set(self.entries) != self.used:
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.dirty = True
        if not self.dirty:
            return
        try:
            self.dir.mkdir(exist_ok=True)
            ignore = self.dir / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# written by virtconform check\n*\n")
            tmp = self.file.with_name(f"check.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"context": self.context, "documents": self.entries},
                                      separators=(",", ":")))
            tmp.replace(self.file)
        except OSError:
            pass  # a read-only checkout still gets its answers, only slower next time
