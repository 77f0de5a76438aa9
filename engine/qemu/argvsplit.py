"""Splitting a ``.args`` text into environment, emulator and arguments (qemuStringToArgvEnv).

Why reproduce libvirt's splitter rather than a shell's: ``domxml-from-native``
took the text libvirt itself prints (environment then argv, joined by single
spaces, no quoting) and split it with its own rules, and those rules decide
what every later option sees:

- a word ends at the next space; only when no space is left does it end at a
  newline, so tabs and newlines inside a line stay inside the word;
- a word that *starts* with ``'`` or ``"`` runs to the next same quote (no
  escapes; unterminated: to the next newline or the end); a quote elsewhere is
  an ordinary character;
- any run of blanks (space, tab, newline, ...) separates words;
- the leading words containing ``=`` are the environment, the first other word
  is the emulator.

Every word keeps its line and column, so that messages about an argument point at it.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..errors import ConfigError, DocumentError

_C_SPACE = " \t\n\v\f\r"


@dataclass(frozen=True)
class Token:
    """One word of the command line and where it starts (1-based line/column)."""

    text: str
    line: int
    col: int


@dataclass
class SplitCommandLine:
    """The environment entries (``NAME=VALUE`` words), the emulator and the arguments after it."""

    env: list[Token]
    emulator: Token
    args: list[Token]

    def getenv(self, name: str) -> str | None:
        """qemuFindEnv: the value of the first entry named ``name``."""
        for tok in self.env:
            if tok.text.startswith(name + "="):
                return tok.text[len(name) + 1:]
        return None


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` by libvirt's rules (see the module docstring)."""
    tokens: list[Token] = []
    n = len(text)
    lines = _LineIndex(text)
    cur = 0
    while cur < n:
        start = cur
        quote = text[cur] if text[cur] in "'\"" else None
        if quote:
            cur += 1
            end = text.find(quote, cur)
        else:
            end = text.find(" ", cur)
        if end < 0:
            end = text.find("\n", cur)
        word = text[cur:end] if end >= 0 else text[cur:]
        tokens.append(Token(word, *lines.position(start)))
        if end < 0:
            break
        if text[end] in "'\"":
            end += 1
        while end < n and text[end] in _C_SPACE:
            end += 1
        cur = end
    return tokens


class _LineIndex:
    """Offsets -> (line, column) without rescanning the text for every word."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def split_command_line(text: str, path: str = "<string>") -> SplitCommandLine:
    """qemuStringToArgvEnv + the emulator check of qemuParseCommandLine. A NUL is refused:
    libvirt read the text as a C string and silently dropped everything after one."""
    nul = text.find("\0")
    if nul >= 0:
        raise DocumentError("NUL byte in command line", path=path, line=text.count("\n", 0, nul) + 1,
                            column=nul - (text.rfind("\n", 0, nul) + 1) + 1)
    tokens = tokenize(text)
    i = 0
    while i < len(tokens) and "=" in tokens[i].text:
        i += 1
    if i >= len(tokens):
        raise ConfigError("no emulator path found", path=path, line=1, column=1)
    return SplitCommandLine(env=tokens[:i], emulator=tokens[i], args=tokens[i + 1:])
