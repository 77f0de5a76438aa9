"""Tokenising a ``.args`` text: environment entries, emulator, arguments.

Why a tokeniser of our own: the reference files are one line, words joined by
single spaces, which is what libvirt's qemuParseCommandLineString splits on
(with simple '...' / "..." quoting). Every token keeps its line and column so
that errors about an argument point at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DocumentError


@dataclass(frozen=True)
class Token:
    """One word of the command line and where it starts (1-based line/column)."""

    text: str
    line: int
    col: int


@dataclass
class SplitCommandLine:
    """The environment (NAME, VALUE) pairs, the emulator and the arguments after it."""

    env: list[tuple[str, str]]
    emulator: Token
    args: list[Token]

    def getenv(self, name: str) -> str | None:
        """qemuFindEnv: the first entry of that name."""
        for k, v in self.env:
            if k == name:
                return v
        return None


def tokenize(text: str, path: str = "<string>") -> list[Token]:
    """Split on blanks (space, tab, newline); '...' and "..." group, no escapes inside '...'.

    A backslash outside single quotes escapes the next character, as in a shell,
    so that a quoted token written by hand still reads back.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    line, line_start = 1, 0
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            if ch == "\n":
                line += 1
                line_start = i + 1
            i += 1
            continue
        start_line, start_col = line, i - line_start + 1
        buf: list[str] = []
        while i < n and text[i] not in " \t\r\n":
            ch = text[i]
            if ch in ("'", '"'):
                end = _closing_quote(text, i)
                if end < 0:
                    raise DocumentError(f"unterminated {ch} quote", path=path, line=line,
                                        column=i - line_start + 1)
                body = text[i + 1:end]
                if ch == '"':
                    body = re.sub(r'\\(["\\$`])', r"\1", body)
                if "\n" in body:
                    line += body.count("\n")
                    line_start = i + 1 + body.rfind("\n") + 1
                buf.append(body)
                i = end + 1
            elif ch == "\\" and i + 1 < n and text[i + 1] != "\n":
                buf.append(text[i + 1])
                i += 2
            else:
                buf.append(ch)
                i += 1
        tokens.append(Token("".join(buf), start_line, start_col))
    return tokens


def _closing_quote(text: str, i: int) -> int:
    q = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == q:
            return j
        if q == '"' and text[j] == "\\" and j + 1 < len(text):
            j += 2
            continue
        j += 1
    return -1


def split_command_line(text: str, path: str = "<string>") -> SplitCommandLine:
    """qemuStringToArgvEnv: leading words with '=' are the environment; the first
    word without one is the emulator."""
    tokens = tokenize(text, path)
    env: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens) and "=" in tokens[i].text:
        name, _, value = tokens[i].text.partition("=")
        env.append((name, value))
        i += 1
    if i >= len(tokens):
        raise DocumentError("no emulator binary in the command line", path=path, line=1, column=1)
    return SplitCommandLine(env=env, emulator=tokens[i], args=tokens[i + 1:])
