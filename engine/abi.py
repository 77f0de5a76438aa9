"""What the guest sees of a domain (its ABI), and what changed between two versions.

The guest sees what QEMU is told, not what the XML says: libvirt 0.8.3 gives ``-m`` the
``<memory>`` (the balloon's target, ``<currentMemory>``, is set at run time), a disk serial reaches the guest only when QEMU takes one, a PCI slot
is whatever the builder assigned. So the view is taken per capability set, from the
command line built for it: machine-wide facts are read from the argv (``-M``, ``-m``,
``-smp``, ``-uuid``, ACPI, clock), each device is named as a person names it
(``disk vdb``, ``interface 52:54:00:12:34:56``, ``channel org.qemu.guest_agent.0``) and
described by what reaches the guest (bus, model, address, the PCI slot read back from
``-device ...,addr=``). Two versions whose command lines are equal show the guest nothing
new, whatever their XML says; that bounds false alarms. libvirt grew the same idea later
as virDomainDefCheckABIStability.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

_ID = re.compile(r"(?:^|,)id=([^,]+)")
_ADDR = re.compile(r"(?:^|,)addr=(0x[0-9a-fA-F]+|[0-9]+)")
#: Options whose presence or value the guest notices (machine-wide); device options are
#: read per device. -name, -monitor, -vnc, -chardev, -netdev... stay on the host side.
_CLOCK_OPTS = ("-localtime", "-rtc", "-rtc-td-hack", "-tdf", "-no-kvm-pit-reinjection")


@dataclass(frozen=True)
class Item:
    """One thing the guest sees: a name, its properties, and where the XML declares it."""

    name: str
    family: str
    position: int
    props: tuple[tuple[str, str], ...]
    line: int = 0
    column: int = 0
    assigned: bool = False     # its PCI slot was assigned by the builder, not written

    def prop(self, key: str) -> str | None:
        return dict(self.props).get(key)


@dataclass(frozen=True)
class Change:
    """A difference the guest would notice, readable on its own."""

    item: str
    kind: str                  # "added", "removed", "changed", "replaced"
    detail: str
    line: int = 0
    column: int = 0
    suggestion: str | None = None

    def text(self) -> str:
        return f"{self.item}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "kind": self.kind, "detail": self.detail,
                               "line": self.line, "column": self.column}
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out


@dataclass
class GuestView:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        name, n = item.name, 2
        while name in self.items:  # two devices a person would name alike: number them
            name = f"{item.name} #{n}"
            n += 1
        self.items[name] = Item(name, item.family, item.position, item.props, item.line,
                                item.column, item.assigned)


def option_groups(argv: Iterable[str]) -> list[tuple[str, ...]]:
    """The argv as options: each word starting with '-' opens one, the words after it
    that do not are its values (``("-m", "512")``); the emulator is a group of its own."""
    groups: list[list[str]] = []
    for word in argv:
        if word.startswith("-") and len(word) > 1 or not groups:
            groups.append([word])
        else:
            groups[-1].append(word)
    return [tuple(g) for g in groups]


def _first(opts: list[tuple[str, ...]], name: str) -> str | None:
    for g in opts:
        if g[0] == name:
            return " ".join(g[1:]) or ""
    return None


def _locate(dev: Any) -> tuple[int, int]:
    src = getattr(dev, "_src", None)
    if not src:
        return 0, 0
    from .model.base import locate_source
    _path, line, col = locate_source(src)
    return line or 0, col or 0


def _tag_position(data: bytes | None, *tags: str) -> tuple[int, int]:
    """(line, column) of the first of ``tags`` found in the document's text."""
    if not data:
        return 0, 0
    for tag in tags:
        m = re.search(rb"<" + re.escape(tag.encode()) + rb"[\s/>]", data)
        if m:
            at = m.start()
            return data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1
    return 0, 0


def _fmt_address(addr: Any) -> str | None:
    if addr is None:
        return None
    names = [n for n in ("domain", "controller", "bus", "slot", "unit", "port", "function")
             if getattr(addr, n, None) is not None]
    parts = []
    for n in names:
        v = getattr(addr, n)
        parts.append(f"{n}=0x{v:x}" if n in ("domain", "slot", "function") else f"{n}={v}")
    return f"{getattr(addr, 'type', None) or 'address'} " + " ".join(parts)


def pin_for(slot: int) -> str:
    """The <address> element that keeps a device at PCI slot ``slot``."""
    return f"<address type='pci' domain='0x0000' bus='0x00' slot='0x{slot:02x}' function='0x0'/>"


def _devices(dom: Any) -> Iterator[tuple[str, str, Any, dict[str, str | None]]]:
    """(family, name, device, guest-visible properties) for every device of ``dom``: each
    family of engine/qemu/registry.py says how a person names its devices (``guest_name``)."""
    from .qemu.registry import FAMILIES

    for fam in FAMILIES:
        if not fam.guest_sees:
            continue
        for i, dev in enumerate(fam.devices(dom.devices)):
            name, props = fam.guest_name(dev, i) if fam.guest_name else (f"{fam.name} {i + 1}", {})
            yield fam.name, name, dev, props


def guest_view(dom: Any, argv: list[str], flags: Iterable[str], data: bytes | None = None) -> GuestView:
    """What the guest sees of ``dom`` run with ``argv`` (built for ``flags``).

    ``data`` is the document's text, used to point machine-wide items at their element.
    """
    opts = option_groups(argv)
    view = GuestView()
    emulator = argv[0] if argv else "?"
    machine = _first(opts, "-M")
    accel = ("kvm" if _first(opts, "-enable-kvm") is not None else
             "none (-no-kvm)" if _first(opts, "-no-kvm") is not None else "emulator's default")
    smp = _first(opts, "-smp")
    clock = " ".join(" ".join(g) for g in opts if g[0] in _CLOCK_OPTS)
    machine_wide: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("machine", machine if machine is not None else f"default machine of {emulator}",
         ("type",)),
        ("accelerator", accel, ("domain",)),
        ("memory", f"{_first(opts, '-m')} MiB" if _first(opts, "-m") else None,
         ("memory",)),
        ("vcpus", smp, ("vcpu", "topology")),
        ("uuid", _first(opts, "-uuid"), ("uuid",)),
        ("acpi", "off" if _first(opts, "-no-acpi") is not None else "on", ("features", "os")),
        ("hpet", "off" if _first(opts, "-no-hpet") is not None else "on", ("clock", "features")),
        ("clock", clock or "utc", ("clock",)),
        ("cpu", _first(opts, "-cpu"), ("cpu",)),
    ]
    for pos, (name, value, tags) in enumerate(machine_wide):
        if value is None:
            continue
        line, col = _tag_position(data, *tags)
        view.add(Item(name, name, pos, (("value", value),), line, col))

    slots = _pci_slots(opts)
    aliases = _aliases(dom, flags) if slots else {}
    counters: dict[str, int] = {}
    for family, name, dev, props in _devices(dom):
        position = counters.get(family, 0)
        counters[family] = position + 1
        own = getattr(dev, "address", None)
        values = {k: v for k, v in props.items() if v is not None}
        slot = slots.get(aliases.get(id(dev), "\0"))
        if slot is not None:
            values["PCI slot"] = f"0x{slot:02x}"
        elif own is not None:
            values["address"] = _fmt_address(own) or ""
        line, col = _locate(dev)
        view.add(Item(name, family, position, tuple(values.items()), line, col,
                      assigned=slot is not None and own is None))
    return view


def _pci_slots(opts: list[tuple[str, ...]]) -> dict[str, int]:
    """device id -> PCI slot, from the -device options of a command line."""
    out: dict[str, int] = {}
    for g in opts:
        if g[0] != "-device" or len(g) < 2:
            continue
        m_id, m_addr = _ID.search(g[1]), _ADDR.search(g[1])
        if m_id and m_addr:
            out[m_id.group(1)] = int(m_addr.group(1), 0)
    return out


def _aliases(dom: Any, flags: Iterable[str]) -> dict[int, str]:
    from .qemu.aliases import assign_aliases
    return assign_aliases(dom, frozenset(flags))


def compare(old: GuestView, new: GuestView) -> list[Change]:
    """Changes from ``old`` to ``new``, in the order of the new view (removals last).

    A device removed and another of the same family added at the same position is one
    replacement (a changed MAC, a renamed disk), reported as such.
    """
    changes: list[Change] = []
    removed = [old.items[k] for k in old.items if k not in new.items]
    added = [new.items[k] for k in new.items if k not in old.items]
    paired: dict[str, Item] = {}
    for a in added:
        for r in removed:
            if r.family == a.family and r.position == a.position and r.name not in paired:
                paired[r.name] = a
                break
    replaced_new = {a.name for a in paired.values()}
    for name, item in new.items.items():
        if name in old.items:
            before = old.items[name]
            detail = _prop_changes(before, item)
            if detail:
                changes.append(Change(name, "changed", detail, item.line, item.column,
                                      _pin_hint(before, item)))
        elif name in replaced_new:
            before = next(old.items[r] for r, a in paired.items() if a.name == name)
            detail = f"was {before.name}" + (f"; {d}" if (d := _prop_changes(before, item)) else "")
            changes.append(Change(name, "replaced", detail, item.line, item.column,
                                  _pin_hint(before, item)))
        else:
            changes.append(Change(name, "added", "added" + _describe(item), item.line, item.column))
    for r in removed:
        if r.name not in paired:
            changes.append(Change(r.name, "removed", "removed" + _describe(r)))
    return changes


def _pin_hint(before: Item, after: Item) -> str | None:
    """The <address> that keeps a device at its old PCI slot, when the builder moved it."""
    was = before.prop("PCI slot")
    if after.assigned and was and was != after.prop("PCI slot"):
        return f"to keep {after.name} at slot {was}, add {pin_for(int(was, 16))} to it"
    return None


def _describe(item: Item) -> str:
    props = [f"{k} {v}" if k != "value" else v for k, v in item.props]
    return f" ({', '.join(props)})" if props else ""


def _prop_changes(old: Item, new: Item) -> str:
    a, b = dict(old.props), dict(new.props)
    parts = []
    for key in [*a, *(k for k in b if k not in a)]:
        if a.get(key) != b.get(key):
            label = "" if key == "value" else f"{key} "
            parts.append(f"{label}{a.get(key) or '(none)'} -> {b.get(key) or '(none)'}")
    return "; ".join(parts)
