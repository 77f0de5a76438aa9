"""Host profiles: the guest capabilities, environment and monitor of one host.

Why: libvirt's command line depends on the host it runs on -- which emulators
and machine types exist, which environment variables it copies into the QEMU
process, where the monitor socket lives. A profile pins all of that so the
same domain always gives the same command line. ``libvirt-test`` is the host
of libvirt 0.8.3's own test suite (tests/testutilsqemu.c, qemuxml2argvtest.c).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .guests import Capabilities
    from .qemuconf import QemuConf, Value

DATA_DIR = Path(__file__).resolve().parent / "data"

#: What libvirt 0.8.3 copies from its own environment into every QEMU's, in
#: this order, after the literal ``LC_ALL=C`` (ADD_ENV_COPY in qemudBuildCommandLine).
BASE_ENV_COPY: tuple[str, ...] = (
    "LD_PRELOAD", "LD_LIBRARY_PATH", "PATH", "HOME", "USER", "LOGNAME", "TMPDIR")
#: Copied in addition for SDL graphics (after XAUTHORITY/DISPLAY from the XML).
SDL_ENV_COPY: tuple[str, ...] = ("QEMU_AUDIO_DRV", "SDL_AUDIODRIVER")


@dataclass(frozen=True)
class Monitor:
    """Where the monitor libvirt talks to lives: a UNIX socket QEMU listens on
    (``server,nowait``; how it is written on the command line is engine/qemu/chardev.py's).

    ``path`` may name the domain as ``{name}``: libvirtd puts each guest's socket at
    ``<libDir>/<name>.monitor``; libvirt's test host uses one fixed path.
    """

    path: str

    def path_for(self, domain_name: str) -> str:
        return self.path.replace("{name}", domain_name)


@dataclass(frozen=True)
class Profile:
    """One host. ``host_env`` is that host's environment (only the variables
    that are set); ``env`` gives the pairs libvirt copies from it."""

    name: str
    capabilities_path: Path
    host_env: tuple[tuple[str, str], ...]
    monitor: Monitor
    #: the domain id of a defined, not running guest (-1 for libvirt, None here)
    domid: int | None = None
    #: libvirt's test harness gives the guest this id when QEMU has -domid
    #: (qemuxml2argvtest: ``vmdef->id = 6``), so -domid/-xen-domid print it
    domid_with_domid_flag: int | None = None
    description: str = ""
    #: the QEMU driver's settings on this host before any qemu.conf given on the
    #: command line (libvirt's test driver: only the hugetlbfs mount)
    driver: tuple[tuple[str, Value], ...] = ()
    _caps: list[Capabilities] = field(default_factory=list, repr=False, compare=False)

    @property
    def capabilities(self) -> Capabilities:
        """The guest capabilities, parsed on first use and kept."""
        if not self._caps:
            from .guests import read_capabilities
            self._caps.append(read_capabilities(str(self.capabilities_path)))
        return self._caps[0]

    def domid_for(self, flags: Iterable[str]) -> int | None:
        """The domain id a build on this host uses for QEMU with these flags."""
        if self.domid_with_domid_flag is not None and "domid" in flags:
            return self.domid_with_domid_flag
        return self.domid

    def getenv(self, name: str) -> str | None:
        for key, value in self.host_env:
            if key == name:
                return value
        return None

    def copy_env(self, names: Iterable[str]) -> list[tuple[str, str]]:
        """ADD_ENV_COPY for each name, in order: only the variables that are set."""
        out = []
        for name in names:
            value = self.getenv(name)
            if value is not None:
                out.append((name, value))
        return out

    @property
    def env(self) -> list[tuple[str, str]]:
        """The environment every command line starts with: LC_ALL=C, then the copies."""
        return [("LC_ALL", "C"), *self.copy_env(BASE_ENV_COPY)]

    def with_capabilities(self, path: str) -> Profile:
        """The same host with the guest capabilities of ``path`` (``--capabilities``)."""
        return replace(self, capabilities_path=Path(path), _caps=[])

    def qemu_conf(self, path: str | None = None) -> QemuConf:
        """The driver configuration in force: this host's, with the settings of the
        qemu.conf file ``path`` over it."""
        from .qemuconf import QemuConf, read_qemu_conf
        base = dict(self.driver)
        return read_qemu_conf(path, base) if path else QemuConf.from_mapping(base)


_PROFILES: dict[str, Profile] = {
    "libvirt-test": Profile(
        name="libvirt-test",
        capabilities_path=DATA_DIR / "libvirt-test-capabilities.xml",
        host_env=(("PATH", "/bin"), ("HOME", "/home/test"), ("USER", "test"),
                  ("LOGNAME", "test")),
        monitor=Monitor("/tmp/test-monitor"),
        domid=None,
        domid_with_domid_flag=6,
        description="the host of libvirt 0.8.3's QEMU test suite",
        driver=(("hugetlbfs_mount", "/dev/hugepages"),),
    ),
}


def profile_names() -> list[str]:
    return sorted(_PROFILES)


def get_profile(name: str, capabilities: str | None = None) -> Profile:
    """The named profile, optionally with another capabilities XML file.

    Unknown names are a UsageError (exit 2) listing the known ones.
    """
    try:
        profile = _PROFILES[name]
    except KeyError:
        raise UsageError(f"unknown profile '{name}' (known: {', '.join(profile_names())})") from None
    return profile.with_capabilities(capabilities) if capabilities else profile
