"""The builder takes the host's environment and monitor from the profile, not from constants."""
from __future__ import annotations

import pytest

from virtconform.engine.caps.flags import resolve
from virtconform.engine.caps.profiles import BASE_ENV_COPY, SDL_ENV_COPY, Monitor, Profile, get_profile
from virtconform.engine.loader import domain_from_string
from virtconform.engine.qemu.builder import build_command_line

TEST_HOST = get_profile("libvirt-test")
OTHER_HOST = Profile(
    name="other-host",
    capabilities_path=TEST_HOST.capabilities_path,
    # set on this host: some copied variables, in another order than libvirt copies them,
    # the SDL audio ones, and variables libvirt never copies
    host_env=(("HOME", "/root"), ("TMPDIR", "/var/tmp"), ("EDITOR", "vi"), ("PATH", "/usr/sbin:/usr/bin"),
              ("LD_LIBRARY_PATH", "/opt/lib"), ("QEMU_AUDIO_DRV", "alsa"), ("USER", "root")),
    monitor=Monitor("/var/lib/libvirt/qemu/{name}.monitor"),
)

DOMAIN = """<domain type='qemu'>
  <name>g1</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory>219200</memory>
  <os><type arch='i686' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu</emulator>
    <disk type='block' device='disk'><source dev='/dev/HostVG/g1'/><target dev='hda'/></disk>
    {graphics}
  </devices>
</domain>
"""


def _build(profile: Profile, flags: str, graphics: str = "") -> tuple[list[tuple[str, str]], list[str]]:
    dom = domain_from_string(DOMAIN.format(graphics=graphics), profile.capabilities)
    cmd = build_command_line(dom, resolve(flags), profile=profile)
    return cmd.env, cmd.argv


def _copied(profile: Profile, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """ADD_ENV_COPY by hand: the variables of ``names`` set on the host, in libvirt's order."""
    env = dict(profile.host_env)
    return [(n, env[n]) for n in names if n in env]


@pytest.mark.parametrize("flags", ["qemu-0.9.1", "qemu-0.12.1"])
def test_environment_comes_from_the_profile(flags: str) -> None:
    for profile in (TEST_HOST, OTHER_HOST):
        env, _ = _build(profile, flags)
        assert env == [("LC_ALL", "C"), *_copied(profile, BASE_ENV_COPY)]
    assert _build(TEST_HOST, flags)[0] != _build(OTHER_HOST, flags)[0]


def test_sdl_audio_variables_come_from_the_profile() -> None:
    env, _ = _build(OTHER_HOST, "qemu-0.12.1", "<graphics type='sdl'/>")
    assert env[-len(_copied(OTHER_HOST, SDL_ENV_COPY)):] == _copied(OTHER_HOST, SDL_ENV_COPY)
    assert ("QEMU_AUDIO_DRV", "alsa") in env
    env, _ = _build(TEST_HOST, "qemu-0.12.1", "<graphics type='sdl'/>")
    assert not any(k in SDL_ENV_COPY for k, _ in env)


@pytest.mark.parametrize("flags, option", [("qemu-0.9.1", "-monitor"), ("qemu-0.12.1", "-chardev")])
def test_monitor_comes_from_the_profile(flags: str, option: str) -> None:
    _, test_argv = _build(TEST_HOST, flags)
    _, other_argv = _build(OTHER_HOST, flags)
    test_path, other_path = TEST_HOST.monitor.path_for("g1"), OTHER_HOST.monitor.path_for("g1")
    assert other_path == "/var/lib/libvirt/qemu/g1.monitor"
    monitor_value = test_argv[test_argv.index(option) + 1]
    assert test_path in monitor_value
    # the same command line, the monitor's socket moved to the other host's place
    assert other_argv == [a.replace(test_path, other_path) for a in test_argv]
    assert other_argv != test_argv
