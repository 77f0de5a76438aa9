"""Filesystem passthrough (<filesystem>): no QEMU option of this era carries it."""
from __future__ import annotations

from .context import Build


def add_filesystems(b: Build) -> None:
    if b.dom.devices.filesystems:
        raise b.refuse("filesystem passthrough is not supported by this QEMU driver", b.dom.devices.filesystems[0])
