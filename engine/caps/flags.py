"""QEMU capability flags of libvirt 0.8.3 and named sets of them.

Why: every argv decision of libvirt's QEMU driver tests one ``QEMUD_CMD_FLAG_*``
bit, so the flag set is the one input that says which QEMU is being driven.
Names are libvirt's, lower-cased with ``-`` (see ../shared manifest ``flag_bits``);
the tuple order is the bit order, so sorting by it reproduces libvirt's listing.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import UsageError

#: Every capability flag of libvirt 0.8.3, in bit order (index == bit number).
FLAG_NAMES: tuple[str, ...] = (
    "kqemu",              # 0  -no-kqemu
    "vnc-colon",          # 1  -vnc host:display
    "no-reboot",          # 2
    "drive",              # 3
    "drive-boot",         # 4  boot=on
    "name",               # 5
    "uuid",               # 6
    "domid",              # 7  xenner -domid
    "vnet-hdr",           # 8
    "migrate-kvm-stdio",  # 9
    "migrate-qemu-tcp",   # 10
    "migrate-qemu-exec",  # 11
    "drive-cache-v2",     # 12 cache=writethrough|writeback|none
    "kvm",                # 13 -no-kvm
    "drive-format",       # 14
    "vga",                # 15 -vga (not -std-vga)
    "net-name",           # 16 libvirt's QEMUD_CMD_FLAG_0_10 / HOST_NET_ADD
    "pcidevice",          # 17
    "mem-path",           # 18
    "drive-serial",       # 19
    "xen-domid",          # 20
    "migrate-qemu-unix",  # 21
    "chardev",            # 22
    "enable-kvm",         # 23
    "monitor-json",       # 24
    "balloon",            # 25
    "device",             # 26
    "sdl",                # 27
    "smp-topology",       # 28
    "netdev",             # 29
    "rtc",                # 30
    "vnet-host",          # 31
    "rtc-td-hack",        # 32
    "no-hpet",            # 33
    "no-kvm-pit",         # 34
    "tdf",                # 35
    "pci-configfd",       # 36
    "nodefconfig",        # 37
)

FLAG_BITS: dict[str, int] = {name: bit for bit, name in enumerate(FLAG_NAMES)}


class Flags(frozenset[str]):
    """An immutable set of flag names, iterated in bit order.

    A frozenset so it is hashable and ``"drive" in flags`` reads naturally;
    construction rejects names libvirt 0.8.3 does not know.
    """

    __slots__ = ()

    def __new__(cls, names: Iterable[str] = ()) -> Flags:
        names = frozenset(names)
        unknown = sorted(n for n in names if n not in FLAG_BITS)
        if unknown:
            raise UsageError(f"unknown capability flag: {', '.join(unknown)}")
        return super().__new__(cls, names)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(super().__iter__(), key=FLAG_BITS.__getitem__))

    def ordered(self) -> list[str]:
        """Names in flag_bits order (the order libvirt prints them)."""
        return list(self)

    @property
    def bits(self) -> int:
        """The libvirt bitmask (``unsigned long long qemuCmdFlags``)."""
        mask = 0
        for name in super().__iter__():
            mask |= 1 << FLAG_BITS[name]
        return mask

    @classmethod
    def from_bits(cls, mask: int) -> Flags:
        return cls(n for b, n in enumerate(FLAG_NAMES) if mask >> b & 1)

    def __or__(self, other: Iterable[str]) -> Flags:  # type: ignore[override]
        return Flags(frozenset(self).union(other))

    def __sub__(self, other: Iterable[str]) -> Flags:  # type: ignore[override]
        return Flags(frozenset(self).difference(other))

    def __and__(self, other: Iterable[str]) -> Flags:  # type: ignore[override]
        return Flags(frozenset(self).intersection(other))

    def __repr__(self) -> str:
        return f"Flags({self.ordered()!r})"


def _set(*names: str) -> Flags:
    return Flags(names)


#: What libvirt 0.8.3 computes from the ``-help`` of these releases (the same
#: rules as help.py; written out as data so a profile needs no dump at hand).
#: A test checks each against ../shared/libvirt-0.8.3/help/NAME when present.
#: Only releases whose -help is known for certain are listed: a wrong set
#: here would silently change every command line built from it.
NAMED_SETS: dict[str, Flags] = {
    "qemu-0.9.1": _set("kqemu", "vnc-colon", "no-reboot", "drive", "name"),
    "kvm-74": _set(
        "vnc-colon", "no-reboot", "drive", "drive-boot", "name", "vnet-hdr",
        "migrate-kvm-stdio", "kvm", "drive-format", "mem-path", "tdf",
    ),
    "qemu-0.10.5": _set(
        "kqemu", "vnc-colon", "no-reboot", "drive", "name", "uuid",
        "migrate-qemu-tcp", "migrate-qemu-exec", "drive-cache-v2", "drive-format",
        "vga", "net-name", "drive-serial", "enable-kvm", "sdl", "rtc-td-hack", "no-hpet",
    ),
    "qemu-kvm-0.10.5": _set(
        "vnc-colon", "no-reboot", "drive", "drive-boot", "name", "uuid", "vnet-hdr",
        "migrate-qemu-tcp", "migrate-qemu-exec", "drive-cache-v2", "kvm", "drive-format",
        "vga", "net-name", "pcidevice", "mem-path", "drive-serial", "sdl", "rtc-td-hack",
        "no-hpet", "no-kvm-pit", "tdf",
    ),
    "qemu-kvm-0.11.0-rc2": _set(
        "vnc-colon", "no-reboot", "drive", "drive-boot", "name", "uuid", "vnet-hdr",
        "migrate-qemu-tcp", "migrate-qemu-exec", "drive-cache-v2", "kvm", "drive-format",
        "vga", "net-name", "pcidevice", "mem-path", "drive-serial", "enable-kvm", "balloon",
        "sdl", "rtc-td-hack", "no-hpet", "no-kvm-pit", "tdf",
    ),
    "qemu-0.12.1": _set(
        "vnc-colon", "no-reboot", "drive", "name", "uuid", "migrate-qemu-tcp",
        "migrate-qemu-exec", "drive-cache-v2", "drive-format", "vga", "net-name",
        "drive-serial", "xen-domid", "migrate-qemu-unix", "chardev", "enable-kvm",
        "balloon", "device", "sdl", "smp-topology", "rtc", "no-hpet",
    ),
}

#: Aliases accepted by resolve(): "none"/"" mean no flag at all.
_EMPTY_WORDS = frozenset({"none"})


def resolve(spec: str) -> Flags:
    """Flags from ``spec``: a comma list of flag names and named-set names.

    ``"qemu-0.12.1,mem-path"`` is the 0.12.1 set plus mem-path; ``""`` (or
    ``"none"``) is no flag. Blanks around items are ignored. An unknown item
    is a UsageError that names it, never a silent drop.
    """
    result: set[str] = set()
    unknown: list[str] = []
    for raw in (spec or "").split(","):
        item = raw.strip()
        if not item or item in _EMPTY_WORDS:
            continue
        if item in FLAG_BITS:
            result.add(item)
        elif item in NAMED_SETS:
            result.update(NAMED_SETS[item])
        else:
            unknown.append(item)
    if unknown:
        raise UsageError(
            f"unknown capability flag or named set: {', '.join(repr(u) for u in unknown)} "
            f"(see `virtconform caps --list`)"
        )
    return Flags(result)
