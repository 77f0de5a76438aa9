"""Old versions of documents from git, for ``check --base GITREF``.

Two git processes whatever the number of documents: one ``diff --name-only`` (the work
tree against the revision, staged and unstaged changes alike) and one ``cat-file
--batch`` reading every old version.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from virtconform.engine.errors import UsageError


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        p = subprocess.run(["git", "-C", str(root), *args], input=data, capture_output=True)
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed", line=0, column=0) from None
    if p.returncode != 0:
        msg = " ".join(p.stderr.decode(errors="replace").split()) or f"git {args[0]} failed"
        raise UsageError(f"git: {msg}", path=str(root), line=0, column=0)
    return p.stdout


def old_versions(root: Path, ref: str, documents: list[Path]) -> dict[Path, bytes | None]:
    """For each of ``documents`` changed since ``ref``: its text at ``ref`` (None: new there)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except UsageError:
        raise UsageError(f"--base: '{ref}' is not a revision of this repository",
                         path=str(root), line=0, column=0) from None
    changed = {Path(top / p.decode()).resolve() for p in
               _git(top, "diff", "--name-only", "-z", "--no-renames", commit, "--").split(b"\0") if p}
    tracked_then = {Path(top / p.decode()).resolve() for p in
                    _git(top, "ls-tree", "-r", "-z", "--name-only", commit).split(b"\0") if p}
    out: dict[Path, bytes | None] = {}
    wanted: list[Path] = []
    for doc in documents:
        d = doc.resolve()
        if d not in tracked_then:
            out[doc] = None          # new since ref (or untracked): nothing to compare with
        elif d in changed:
            wanted.append(doc)
    if wanted:
        names = [d.resolve().relative_to(top).as_posix() for d in wanted]
        blob = _git(top, "cat-file", "--batch",
                    data="".join(f"{commit}:{n}\n" for n in names).encode())
        at = 0
        for doc in wanted:
            nl = blob.index(b"\n", at)
            head = blob[at:nl].split()
            if len(head) == 3 and head[1] == b"blob":
                size = int(head[2])
                out[doc] = blob[nl + 1:nl + 1 + size]
                at = nl + 1 + size + 1
            else:
                out[doc] = None
                at = nl + 1
    return out
