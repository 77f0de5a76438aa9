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

import re
import shlex
from pathlib import Path

from virtconform.engine.abi import option_groups
from virtconform.engine.errors import UsageError

HEADER = "document "
SEP = " target "
INDENT = "  "
REFUSED = "refused: "

Entries = dict[tuple[str, str], list[str]]


_NEEDS_QUOTES = re.compile(r"[^\w@%+=:,./-]", re.ASCII)   # shlex.quote's rule


def _words(words: list[str]) -> list[str]:
    """shlex.quote for each word; one regex over them all when none needs it (most lines)."""
    if "" in words or _NEEDS_QUOTES.search(",".join(words)):
        return [shlex.quote(w) for w in words]
    return words


def entry_lines(env: list[tuple[str, str]], argv: list[str]) -> list[str]:
    """The body of one entry: environment entries, then one option per line."""
    lines = _words([f"{k}={v}" for k, v in env])
    quoted = _words(argv)
    return lines + [" ".join(group) for group in option_groups(quoted)]


def refusal_lines(message: str) -> list[str]:
    return [REFUSED + " ".join(message.split())]


_HEADER_LINE = re.compile(r"^document (.*) target (\S+)$", re.M)
_STRAY_LINE = re.compile(r"^(?!  |#|document |$).*$|^document (?!.* target \S+$).*$", re.M)


def read_lock(path: Path) -> Entries:
    """Entries of the lock file at ``path`` (empty when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the lock file: {e}", path=str(path), line=0, column=0) from None
    stray = _STRAY_LINE.search(text)
    heads = list(_HEADER_LINE.finditer(text))
    if stray is None and heads and text[:heads[0].start()].strip("\n").strip():
        stray = re.search(r"^  .*$", text[:heads[0].start()], re.M)  # a body before any header
    if stray is not None:
        raise UsageError("not a lock file line (regenerate it with `virtconform check --update`)",
                         path=str(path), line=text.count("\n", 0, stray.start()) + 1, column=1)
    entries: Entries = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = entries.setdefault((m.group(1), m.group(2)), [])
        body += [ln[2:] for ln in text[m.end():end].split("\n") if ln.startswith(INDENT)]
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
