"""Built-in host profiles."""
from __future__ import annotations

from pathlib import Path

import pytest

from virtconform.engine.caps.profiles import BASE_ENV_COPY, SDL_ENV_COPY, get_profile
from virtconform.engine.errors import UsageError


def test_libvirt_test_profile() -> None:
    p = get_profile("libvirt-test")
    assert p.env == [("LC_ALL", "C"), ("PATH", "/bin"), ("HOME", "/home/test"),
                     ("USER", "test"), ("LOGNAME", "test")]
    assert p.copy_env(SDL_ENV_COPY) == []
    assert BASE_ENV_COPY[0] == "LD_PRELOAD" and BASE_ENV_COPY[-1] == "TMPDIR"
    assert p.monitor.path_for("any-guest") == "/tmp/test-monitor"
    assert p.domid is None


def test_capabilities_parsed_once() -> None:
    p = get_profile("libvirt-test")
    assert p.capabilities is p.capabilities
    assert p.capabilities.default_machine("hvm", "x86_64", "kvm") == "pc"


def test_unknown_profile() -> None:
    with pytest.raises(UsageError, match="no-such-host"):
        get_profile("no-such-host")


def test_capabilities_override(tmp_path: Path) -> None:
    f = tmp_path / "caps.xml"
    f.write_text("<capabilities><guest><os_type>hvm</os_type><arch name='ppc'>"
                 "<emulator>/usr/bin/qemu-system-ppc</emulator><machine>g3beige</machine>"
                 "<domain type='qemu'/></arch></guest></capabilities>")
    p = get_profile("libvirt-test", capabilities=str(f))
    assert p.capabilities.default_arch("hvm", "qemu") == "ppc"
    assert p.env == get_profile("libvirt-test").env
    assert get_profile("libvirt-test").capabilities.default_arch("hvm", "qemu") == "x86_64"


def test_monitor_path_may_name_the_domain() -> None:
    from virtconform.engine.caps.profiles import Monitor
    assert Monitor("/var/lib/libvirt/qemu/{name}.monitor").path_for("g1") == "/var/lib/libvirt/qemu/g1.monitor"
