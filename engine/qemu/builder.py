"""XML -> QEMU command line: libvirt 0.8.3's qemudBuildCommandLine, section by section.

The sections and their order are the registry's (registry.COMMAND_LINE); each
family module writes its own. The builder branches on capability flags only,
never on QEMU versions. Aliases and PCI slots are assigned on the way (libvirt
stored them in the running definition); here they live in the build's own
tables and the domain is only read.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..model.domain import Domain
from .aliases import assign_aliases
from .context import Build, CommandLine
from .machine import migration_source, normalise_arch
from .pci import assign_pci_slots
from .registry import COMMAND_LINE


def build_command_line(dom: Domain, flags: frozenset[str], *, profile: Any, conf: Any = None,
                       domid: int | None = None, migrate_from: str | None = None,
                       now: int | None = None, strict: bool = False) -> CommandLine:
    """The environment and argv libvirt 0.8.3 would run for ``dom`` (a defaulted domain)
    on the host ``profile`` (its guest capabilities, environment, monitor and driver
    configuration, or ``conf``). What libvirt silently drops is in the result's
    ``warnings``; with ``strict`` it is refused instead."""
    if conf is None:
        conf = _host_conf(profile)
    caps = profile.capabilities
    b = Build(dom=dom, flags=flags if isinstance(flags, frozenset) else frozenset(flags), profile=profile,
              conf=conf, caps=caps, host_arch=normalise_arch(getattr(caps, "host_arch", None) or "x86_64"),
              domid=-1 if domid is None else domid, migrate_from=migrate_from, now=now, strict=strict)
    b.aliases = assign_aliases(dom, b.flags)
    if b.device:
        b.slots = assign_pci_slots(dom)
    b.incoming = migration_source(b)
    for section in COMMAND_LINE:
        section(b)
    b.check()
    return b.out


@lru_cache(maxsize=8)
def _host_conf(profile: Any) -> Any:
    """The profile's own driver configuration, made once per profile."""
    return profile.qemu_conf()
