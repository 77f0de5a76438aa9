"""What the argv2xml loop builds: the domain under construction and the loop's own state.

libvirt's qemuParseCommandLine fills one ``virDomainDef`` as it walks the
arguments; here that is ``dom`` (the project's Domain model), set up with the
defaults libvirt starts from. Family parsers add to it; the few values libvirt
keeps in local variables until after the loop (the ``-net nic`` list, the
display and video choices, the virtio disk count) live beside it.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..model.domain import Clock, Devices, Domain, Features, Os, OsType, Vcpu
from .argvsplit import SplitCommandLine, Token

_UUID_NS = uuid.UUID("0b4c8e1e-3a0e-5d1c-9a43-6a1b2f7c5e10")


@dataclass(frozen=True)
class ConversionWarning:
    """A located warning: an argument libvirt dropped during the conversion."""

    message: str
    path: str
    line: int
    col: int

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: warning: {self.message}"


@dataclass
class ParseOptions:
    """How to read: libvirt 0.8.3's rules, and what to do with its warnings."""

    #: a warning is a refusal
    strict: bool = False


@dataclass
class ArgvState:
    """The domain being read and the loop's locals, in command-line order."""

    path: str
    cmd: SplitCommandLine
    dom: Domain
    options: ParseOptions = field(default_factory=ParseOptions)
    #: the ``-net nic...`` values found by the first pass, in order
    nics: list[str] = field(default_factory=list)
    nographics: bool = False
    fullscreen: bool = False
    video: str = "cirrus"
    nvirtio: int = 0
    warnings: list[ConversionWarning] = field(default_factory=list)
    #: the word being handled (its value, for an option with one)
    tok: Token | None = None

    @classmethod
    def start(cls, path: str, cmd: SplitCommandLine, options: ParseOptions) -> ArgvState:
        """libvirt's starting point: 64 MiB, one CPU, ACPI, UTC, destroy/restart/destroy,
        a qemu guest of the emulator's architecture (kvm and xenner recognised by name)."""
        emulator = cmd.emulator.text
        virt_type, os_type, pae = "qemu", "hvm", False
        if "kvm" in emulator:
            virt_type, pae = "kvm", True
        if "xenner" in emulator:
            virt_type, os_type = "kvm", "xen"
        path_part = emulator if emulator.startswith("qemu") else (
            emulator[emulator.find("qemu"):] if "qemu" in emulator else None)
        arch = "i686"
        if path_part is not None and path_part.startswith("qemu-system-"):
            arch = path_part[len("qemu-system-"):]
        dom = Domain(type=virt_type, memory=64 * 1024, current_memory=64 * 1024, vcpu=Vcpu(count=1),
                     os=Os(type=OsType(arch=arch, name=os_type)), features=Features(acpi=True, pae=pae),
                     clock=Clock(offset="utc"), on_poweroff="destroy", on_reboot="restart",
                     on_crash="destroy", devices=Devices(emulator=emulator))
        return cls(path=path, cmd=cmd, dom=dom, options=options)

    def derived_uuid(self) -> str:
        """What stands in for libvirt's random draws (UUID, MACs): a version-5 UUID of the
        command line's words, bytes that are not UTF-8 included."""
        words = "\0".join(t.text for t in [*self.cmd.env, self.cmd.emulator, *self.cmd.args])
        digest = hashlib.sha1(_UUID_NS.bytes + words.encode("utf-8", "surrogateescape")).digest()
        return str(uuid.UUID(bytes=digest[:16], version=5))

    def warn(self, message: str, tok: Token | None = None) -> None:
        """libvirt's VIR_WARN during the conversion: kept, located; a refusal with ``strict``."""
        tok = tok or self.tok
        line, col = (tok.line, tok.col) if tok is not None else (1, 1)
        if self.options.strict:
            raise ConfigError(f"{message} (refused with --strict)", path=self.path, line=line, column=col)
        self.warnings.append(ConversionWarning(message, self.path, line, col))
