"""State of one command-line build: inputs (domain, flags, host) and the output so far."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Refused
from ..model.domain import Domain
from .escape import check_value


@dataclass
class CommandLine:
    """Environment entries then argv, as libvirt's tests print them."""

    env: list[tuple[str, str]] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)

    def render(self) -> str:
        parts = [f"{k}={v}" for k, v in self.env] + self.argv
        return " ".join(parts) + "\n"

    def to_json(self) -> dict[str, list[str]]:
        return {"env": [f"{k}={v}" for k, v in self.env], "argv": list(self.argv)}


@dataclass
class Build:
    dom: Domain
    flags: frozenset[str]
    host_env: dict[str, str]
    conf: Any
    caps: Any
    host_arch: str
    monitor_path: str
    domid: int
    migrate_from: str | None
    out: CommandLine = field(default_factory=CommandLine)
    next_fd: int = 3
    now: int | None = None

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def device(self) -> bool:
        return "device" in self.flags

    def arg(self, *values: str) -> None:
        for v in values:
            self.out.argv.append(check_value(v, "command-line argument"))

    def env(self, name: str, value: str) -> None:
        self.out.env.append((name, check_value(value, f"environment variable {name}")))

    def env_copy(self, name: str) -> None:
        """ADD_ENV_COPY: pass a variable of the host environment through when set."""
        if name in self.host_env:
            self.env(name, self.host_env[name])

    def refuse(self, why: str, dev: Any = None) -> Refused:
        """A refusal located at ``dev`` (or at the domain element)."""
        where = dev if dev is not None and hasattr(dev, "error") else self.dom
        return where.error(why, Refused)  # type: ignore[return-value]
