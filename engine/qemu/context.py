"""State of one command-line build: inputs (domain, flags, host) and the output so far."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Refused
from ..model.domain import Domain
from .escape import _UNSAFE, check_value

_SAFE_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")


def _quote(word: str) -> str:
    if _SAFE_WORD.match(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


@dataclass
class CommandLine:
    """Environment entries then argv, as libvirt's tests print them; ``warnings``:
    what libvirt dropped silently (located lines, see Build.warn)."""

    env: list[tuple[str, str]] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    warnings: list[Any] = field(default_factory=list)  # located Refused errors

    def render(self) -> str:
        """libvirt's form (its tests' ``.args``): environment entries then argv, joined
        by single spaces, no quoting, one trailing newline."""
        return " ".join([f"{k}={v}" for k, v in self.env] + self.argv) + "\n"

    def render_shell(self) -> str:
        """The same line for a shell: a word a shell would split or expand is
        single-quoted, so it can be pasted and reads back unambiguously."""
        parts = [f"{k}={_quote(v)}" for k, v in self.env] + [_quote(a) for a in self.argv]
        return " ".join(parts) + "\n"

    def to_json(self) -> dict[str, list[str]]:
        return {"env": [f"{k}={v}" for k, v in self.env], "argv": list(self.argv)}


@dataclass
class Build:
    dom: Domain
    flags: frozenset[str]
    profile: Any  # caps.profiles.Profile: environment, monitor
    conf: Any
    caps: Any
    host_arch: str
    domid: int
    migrate_from: str | None
    incoming: str | None = None
    out: CommandLine = field(default_factory=CommandLine)
    next_fd: int = 3
    now: int | None = None
    aliases: dict[int, str] = field(default_factory=dict)
    slots: dict[int, Any] = field(default_factory=dict)
    #: warnings are refusals (``--strict``)
    strict: bool = False

    def alias(self, dev: Any) -> str:
        """The alias the build gave ``dev`` ('' when the flags give it none)."""
        return self.aliases.get(id(dev), "")

    def address(self, dev: Any) -> Any:
        """The device's own address, or the PCI slot the build assigned it."""
        return dev.address if dev.address is not None else self.slots.get(id(dev))

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def device(self) -> bool:
        return "device" in self.flags

    def arg(self, *values: str) -> None:
        """Append arguments; unsafe characters are checked once for the whole line."""
        self.out.argv.extend(values)

    def env(self, name: str, value: str) -> None:
        self.out.env.append((name, value))

    def check(self) -> None:
        """Refuse the command line if any value cannot be passed safely (see escape.py),
        located at the element the value came from."""
        if _UNSAFE.search("\x1f".join(self.out.argv)) or any(
                _UNSAFE.search(v) for _, v in self.out.env):
            try:
                for name, v in self.out.env:
                    check_value(v, f"environment variable {name}")
                for v in self.out.argv:
                    check_value(v, "command-line argument")
            except Refused as e:
                raise self.refuse(e.message, self._holder_of_unsafe_text()) from None

    def _holder_of_unsafe_text(self) -> Any:
        """The element of the domain whose own value holds the character (else the domain)."""
        for el in self.dom.walk():
            for f in el.fields:
                if f.kind in ("attr", "text", "textchild"):
                    v = getattr(el, f.name)
                    if isinstance(v, str) and _UNSAFE.search(v):
                        return el
        return self.dom

    def warn(self, why: str, dev: Any = None) -> None:
        """libvirt builds but drops something the document says (the capability set
        cannot express it): a located warning, or with ``strict`` a refusal."""
        err = self.refuse(why, dev)
        if self.strict:
            raise err
        self.out.warnings.append(err)  # type: ignore[arg-type]

    def refuse(self, why: str, dev: Any = None) -> Refused:
        """A refusal located at ``dev`` (or at the domain element)."""
        where = dev if dev is not None and hasattr(dev, "error") else self.dom
        return where.error(why, Refused)  # type: ignore[return-value]
