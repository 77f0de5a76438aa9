"""Flag sets and resolve()."""
from __future__ import annotations

import pytest

from virtconform.engine.caps.flags import FLAG_BITS, FLAG_NAMES, NAMED_SETS, Flags, resolve
from virtconform.engine.errors import UsageError


def test_flags_iterate_in_bit_order_and_are_immutable() -> None:
    f = Flags(["nodefconfig", "kqemu", "drive"])
    assert list(f) == ["kqemu", "drive", "nodefconfig"]
    assert f.bits == (1 << 0) | (1 << 3) | (1 << 37)
    assert Flags.from_bits(f.bits) == f
    assert hash(f) == hash(Flags(["drive", "kqemu", "nodefconfig"]))
    assert not hasattr(f, "add")
    assert isinstance(f | {"sdl"}, Flags) and "sdl" in (f | {"sdl"})


def test_flags_reject_unknown_names() -> None:
    with pytest.raises(UsageError, match="bogus"):
        Flags(["drive", "bogus"])


def test_bits_match_names() -> None:
    assert FLAG_BITS["net-name"] == 16 and FLAG_BITS["pci-configfd"] == 36
    assert FLAG_NAMES[24] == "monitor-json"


def test_resolve_mixes_sets_and_flags() -> None:
    assert resolve("qemu-0.12.1,mem-path") == NAMED_SETS["qemu-0.12.1"] | {"mem-path"}
    assert resolve("") == Flags()
    assert resolve(" name , no-reboot ,vnc-colon") == Flags(["name", "no-reboot", "vnc-colon"])
    assert resolve("kvm-74,qemu-0.9.1") == NAMED_SETS["kvm-74"] | NAMED_SETS["qemu-0.9.1"]


@pytest.mark.parametrize("spec,bad", [
    ("qemu-0.12.1,memory-path", "memory-path"),
    ("QEMU-0.12.1", "QEMU-0.12.1"),
    ("drive,,nope", "nope"),
])
def test_resolve_names_the_unknown_item(spec: str, bad: str) -> None:
    with pytest.raises(UsageError) as e:
        resolve(spec)
    assert bad in e.value.message
    assert e.value.exit_status == 2


def test_named_sets_required_releases() -> None:
    for name in ("qemu-0.9.1", "kvm-74", "qemu-0.10.5", "qemu-kvm-0.10.5",
                 "qemu-kvm-0.11.0-rc2", "qemu-0.12.1"):
        assert name in NAMED_SETS
    for flags in NAMED_SETS.values():
        assert "monitor-json" not in flags and "pci-configfd" not in flags
