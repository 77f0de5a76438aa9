"""The lock file: the command line (or refusal) every document gets for every target.

Plain text made for review in git: one block per document and target, in a stable order
(documents sorted, targets in configuration order), one QEMU option per line, so a diff
reads ``-  -m 512`` / ``+  -m 1024`` under a hunk header naming the document::

    document domains/web.xml target qemu-0.12.1
      LC_ALL=C
      /usr/bin/qemu -S
      -M pc
      -m 512
    document domains/web.xml target qemu-0.9.1
      refused: a guest CPU model needs the host CPU map ...

Words that a shell would split are single-quoted, so joining an entry's lines with spaces
gives back its command line unambiguously. Lines starting with ``#`` are comments.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from virtconform.engine.abi import option_groups
from virtconform.engine.errors import UsageError

HEADER = "document "
SEP = " target "
INDENT = "  "
REFUSED = "refused: "

Entries = dict[tuple[str, str], list[str]]


def _word(w: str) -> str:
    return shlex.quote(w) if w else "''"


def entry_lines(env: list[tuple[str, str]], argv: list[str]) -> list[str]:
    """The body of one entry: environment entries, then one option per line."""
    lines = [_word(f"{k}={v}") for k, v in env]
    lines += [" ".join(_word(w) for w in group) for group in option_groups(argv)]
    return lines


def refusal_lines(message: str) -> list[str]:
    return [REFUSED + " ".join(message.split())]


def read_lock(path: Path) -> Entries:
    """Entries of the lock file at ``path`` (empty when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the lock file: {e}", path=str(path), line=0, column=0) from None
    entries: Entries = {}
    body: list[str] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(HEADER) and SEP in line:
            doc, _, target = line[len(HEADER):].rpartition(SEP)
            body = entries.setdefault((doc, target), [])
        elif line.startswith(INDENT) and body is not None:
            body.append(line[len(INDENT):])
        else:
            raise UsageError("not a lock file line (regenerate it with `virtconform check --update`)",
                             path=str(path), line=n, column=1)
    return entries


def write_lock(path: Path, entries: Entries, target_order: list[str], comments: list[str]) -> None:
    """Write ``entries`` sorted by document, then by the configured target order."""
    rank = {t: i for i, t in enumerate(target_order)}
    out = ["# virtconform lock file: the QEMU command line of every document for every target.",
           "# Written by `virtconform check --update`; review its changes like code."]
    out += [f"# {c}" for c in comments]
    for doc, target in sorted(entries, key=lambda k: (k[0], rank.get(k[1], len(rank)), k[1])):
        out.append(f"{HEADER}{doc}{SEP}{target}")
        out += [INDENT + line for line in entries[(doc, target)]]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    tmp.replace(path)
