"""Guest capabilities: libvirt 0.8.3 default arch/machine/emulator and aliases."""
from __future__ import annotations

import pytest

from virtconform.conformance.suites.shared import reference_suite
from virtconform.engine.caps.guests import Capabilities, Machine, parse_capabilities, read_capabilities
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.errors import DocumentError

SUITE = reference_suite()


@pytest.fixture(scope="module")
def caps() -> Capabilities:
    return get_profile("libvirt-test").capabilities


def test_builtin_profile_describes_the_reference_host(caps: Capabilities) -> None:
    if SUITE is None:
        pytest.skip("../shared/libvirt-0.8.3 is not present")
    assert read_capabilities(str(SUITE / "capabilities.xml")) == caps


def test_structure(caps: Capabilities) -> None:
    assert caps.host_arch == "x86_64"
    assert [(g.os_type, g.arch, g.wordsize) for g in caps.guests] == [
        ("hvm", "i686", 32), ("hvm", "x86_64", 64), ("xen", "x86_64", 64)]
    x86_64 = caps.guests[1]
    assert x86_64.machines[1] == Machine("pc", "pc-0.11")
    assert list(x86_64.domains) == ["qemu", "kvm"]
    assert x86_64.domains["kvm"].emulator == "/usr/bin/kvm"
    assert [m.name for m in x86_64.domains["kvm"].machines] == ["pc", "isapc"]


def test_default_arch(caps: Capabilities) -> None:
    # the first guest of the os type and virt type, unless one runs on the host's arch
    assert caps.default_arch("hvm", "qemu") == "x86_64"
    assert caps.default_arch("hvm", "kvm") == "x86_64"
    assert caps.default_arch("xen", "kvm") == "x86_64"
    assert caps.default_arch("xen", "qemu") is None
    assert caps.default_arch("exe", "qemu") is None


def test_supports(caps: Capabilities) -> None:
    assert caps.supports("hvm", "i686") and caps.supports("xen", "x86_64")
    assert not caps.supports("xen", "i686") and not caps.supports("hvm", "ppc")
    assert caps.supports_os_type("xen") and not caps.supports_os_type("linux")


def test_default_machine_prefers_the_domain_list(caps: Capabilities) -> None:
    # the seed: a kvm x86_64 guest gets /usr/bin/kvm's "pc", not "pc-0.11"
    assert caps.default_machine("hvm", "x86_64", "kvm") == "pc"
    assert caps.default_machine("hvm", "x86_64", "qemu") == "pc-0.11"
    assert caps.default_machine("hvm", "i686", "qemu") == "pc"
    assert caps.default_machine("xen", "x86_64", "kvm") == "xenner"  # domain has no machines
    assert caps.default_machine("hvm", "sparc", "qemu") is None


def test_default_emulator(caps: Capabilities) -> None:
    assert caps.default_emulator("hvm", "x86_64", "kvm") == "/usr/bin/kvm"
    assert caps.default_emulator("hvm", "x86_64", "qemu") == "/usr/bin/qemu-system-x86_64"
    assert caps.default_emulator("hvm", "i686", "qemu") == "/usr/bin/qemu"
    assert caps.default_emulator("xen", "x86_64", "kvm") == "/usr/bin/kvm"
    assert caps.default_emulator("xen", "x86_64", "xen") == "/usr/bin/xenner"
    assert caps.default_emulator("hvm", "ppc", "qemu") is None


def test_canonical_machine(caps: Capabilities) -> None:
    assert caps.canonical_machine("/usr/bin/qemu-system-x86_64", "pc") == "pc-0.11"
    assert caps.canonical_machine("/usr/bin/qemu-system-x86_64", "pc-0.10") == "pc-0.10"
    assert caps.canonical_machine("/usr/bin/kvm", "pc") == "pc"      # kvm's own list: no alias
    assert caps.canonical_machine("/usr/bin/qemu", "pc") == "pc"
    assert caps.canonical_machine("/opt/unknown", "pc") == "pc"
    assert caps.canonical_machine("/usr/bin/qemu-system-x86_64", None) is None


def test_domain_without_machines_uses_arch_list_for_canonical() -> None:
    caps = parse_capabilities(b"""<capabilities><guest><os_type>hvm</os_type>
      <arch name='x86_64'><emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine>pc-0.12</machine><machine canonical='pc-0.12'>pc</machine>
      <domain type='kvm'><emulator>/usr/bin/qemu-kvm</emulator></domain>
      </arch></guest></capabilities>""")
    assert caps.canonical_machine("/usr/bin/qemu-kvm", "pc") == "pc-0.12"
    assert caps.default_machine("hvm", "x86_64", "kvm") == "pc-0.12"


@pytest.mark.parametrize("xml,line,what", [
    (b"<domain/>", 1, "capabilities"),
    (b"<capabilities>\n<guest>\n<arch name='x'/></guest></capabilities>", 2, "os_type"),
    (b"<capabilities>\n<guest><os_type>hvm</os_type>\n<arch/></guest></capabilities>", 3, "name"),
    (b"<capabilities><guest><os_type>hvm</os_type><arch name='a'>\n\n<machine/></arch></guest>"
     b"</capabilities>", 3, "machine"),
    (b"<capabilities><guest><os_type>hvm</os_type><arch name='a'>\n<domain/></arch></guest>"
     b"</capabilities>", 2, "type"),
    (b"<capabilities><guest", 1, ""),
])
def test_errors_name_the_line(xml: bytes, line: int, what: str) -> None:
    with pytest.raises(DocumentError) as e:
        parse_capabilities(xml, "caps.xml")
    assert e.value.line == line
    assert what in e.value.message
    assert e.value.format().startswith(f"caps.xml:{line}:")
