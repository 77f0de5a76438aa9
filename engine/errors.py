"""Errors carry a location and the exit status of ../shared/CONTRACT.md.

Every failure the CLI reports is one of these, printed as one line
``FILE:LINE:COL: message``; anything else reaching the top is a bug.
"""
from __future__ import annotations


class VirtconformError(Exception):
    """Base: a one-line, located diagnostic with an exit status."""

    exit_status = 1

    def __init__(self, message: str, *, path: str | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line
        self.path = path
        self.line = line
        self.column = column

    def located(self, path: str | None = None, line: int | None = None,
                column: int | None = None) -> VirtconformError:
        """Fill in location parts that are still unknown; returns self."""
        if self.path is None:
            self.path = path
        if self.line is None:
            self.line = line
        if self.column is None:
            self.column = column
        return self

    def format(self) -> str:
        where = self.path or "-"
        return f"{where}:{self.line or 0}:{self.column or 0}: {self.message}"

    def __str__(self) -> str:
        return self.message


class UsageError(VirtconformError):
    """Bad command-line usage (exit 2)."""

    exit_status = 2


class InputError(VirtconformError):
    """The input cannot be read at all: missing, a directory, unreadable (exit 2)."""

    exit_status = 2


class DocumentError(VirtconformError):
    """The input was read and is not an acceptable document (exit 1)."""


class ConfigError(VirtconformError):
    """The document is well formed but violates a rule of the domain model (exit 1)."""


class Refused(VirtconformError):
    """A conversion that cannot be done faithfully, with the reason (exit 1)."""
