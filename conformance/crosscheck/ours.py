"""The three conversions through our engine, in-process, answering like the oracle.

One document is parsed and defaulted once, then formatted (xml2xml) and built
for every capability set asked for. Command lines are printed in libvirt's
form (environment then argv, joined by single spaces, one newline): the form
the oracle prints and the ``.args`` files hold.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from virtconform.engine.errors import VirtconformError

from .answers import BROKEN, OK, REFUSED, Answer

#: libvirt's test host (qemuxml2argvtest): hugepages are mounted at /dev/hugepages
HOST_QEMU_CONF = {"hugetlbfs_mount": "/dev/hugepages"}


@dataclass
class Ours:
    """Our engine with one host profile."""

    profile_name: str = "libvirt-test"

    @property
    def profile(self) -> Any:
        return _profile(self.profile_name)

    def load(self, text: str, path: str) -> Any:
        from virtconform.engine.loader import domain_from_string
        return domain_from_string(text, self.profile.capabilities, path=path)

    def xml2xml(self, text: str, path: str = "<doc>") -> Answer:
        return _answer(lambda: self.load(text, path).to_xml())

    def argv(self, text: str, flag_sets: Iterable[tuple[str, frozenset[str]]], *, now: int,
             path: str = "<doc>", with_xml: bool = False) -> tuple[Answer | None, dict[str, Answer], bool]:
        """(xml2xml answer if asked, argv answer per set name, whether the clock is variable)."""
        try:
            dom = self.load(text, path)
        except VirtconformError as e:
            refused = Answer(REFUSED, e.message)
            return (refused if with_xml else None), {name: refused for name, _ in flag_sets}, False
        except Exception as e:  # noqa: BLE001 - a bug of ours is an answer too
            broken = _broken(e)
            return (broken if with_xml else None), {name: broken for name, _ in flag_sets}, False
        xml = _answer(dom.to_xml) if with_xml else None
        out = {name: self.build(dom, flags, now) for name, flags in flag_sets}
        return xml, out, getattr(dom.clock, "offset", None) == "variable"

    def build(self, dom: Any, flags: frozenset[str], now: int) -> Answer:
        from virtconform.engine.qemu.builder import build_command_line

        def line() -> str:
            # the host's domain id: libvirt's test host runs a QEMU with -domid as domain 6
            cmd = build_command_line(dom, flags, profile=self.profile, conf=_conf(), now=now,
                                     domid=self.profile.domid_for(flags))
            return " ".join([f"{k}={v}" for k, v in cmd.env] + list(cmd.argv)) + "\n"
        return _answer(line)

    def argv2xml(self, text: str, path: str = "<args>") -> Answer:
        from virtconform.engine.qemu.argvparse import argv_to_xml
        return _answer(lambda: argv_to_xml(text, self.profile.capabilities, path))


def _answer(work: Any) -> Answer:
    try:
        return Answer(OK, work())
    except VirtconformError as e:
        return Answer(REFUSED, e.message)
    except Exception as e:  # noqa: BLE001 - a bug of ours is an answer too
        return _broken(e)


def _broken(e: BaseException) -> Answer:
    return Answer(BROKEN, f"internal error: {type(e).__name__}: {' '.join(str(e).split())}")


@lru_cache(maxsize=4)
def _profile(name: str) -> Any:
    from virtconform.engine.caps.profiles import get_profile
    return get_profile(name)


@lru_cache(maxsize=1)
def _conf() -> Any:
    from virtconform.engine.caps.qemuconf import QemuConf
    return QemuConf.from_mapping(HOST_QEMU_CONF)
