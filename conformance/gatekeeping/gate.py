"""Gatekeeping of a configuration change: may NEW replace OLD?

A change passes when the new document is valid, still builds a command line for every
target (capability set) the old one built for, and keeps what the guest sees (see
engine/abi.py) on every target where both build. A change that could be checked on no
target at all does not pass: "checked 0 targets" is not evidence.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from virtconform.engine.abi import Change, compare, guest_view, option_groups
from virtconform.engine.errors import VirtconformError

#: Builds are pinned to this clock so an offset='variable' clock compares equal.
EPOCH = 0


@dataclass
class TargetOutcome:
    name: str
    old: list[str] | None            # argv, or None when refused
    new: list[str] | None
    old_reason: str | None = None
    new_reason: str | None = None

    @property
    def checked(self) -> bool:
        return self.old is not None and self.new is not None


@dataclass
class GateReport:
    changes: list[tuple[Change, list[str]]] = field(default_factory=list)   # change, targets
    regressions: list[str] = field(default_factory=list)
    argv_diffs: dict[str, list[str]] = field(default_factory=dict)
    targets: list[TargetOutcome] = field(default_factory=list)

    @property
    def checked(self) -> list[str]:
        return [t.name for t in self.targets if t.checked]

    @property
    def unchecked(self) -> bool:
        """No target builds both versions: nothing the guest sees could be compared."""
        return not self.checked

    def failed(self, allow_abi_change: bool = False) -> bool:
        return bool(self.regressions) or self.unchecked or (
            bool(self.changes) and not allow_abi_change)

    def to_json(self, allow_abi_change: bool = False) -> dict[str, Any]:
        return {
            "passed": not self.failed(allow_abi_change),
            "abi": [c.to_json() | {"targets": names} for c, names in self.changes],
            "regressions": self.regressions,
            "argv": self.argv_diffs,
            "checked_targets": self.checked,
            "unchecked_targets": {t.name: t.old_reason or t.new_reason or "refused"
                                  for t in self.targets if not t.checked},
        }


def build(dom: Any, flags: frozenset[str], profile: Any, conf: Any) -> list[str]:
    """The argv of ``dom`` for ``flags`` with the clock pinned (raises on refusal)."""
    from virtconform.engine.qemu.builder import build_command_line
    return build_command_line(dom, flags, profile=profile, conf=conf, now=EPOCH).argv


def option_diff(old: list[str], new: list[str]) -> list[str]:
    """``- OPTION`` / ``+ OPTION`` lines: the command-line change, one option per line."""
    a = [" ".join(g) for g in option_groups(old)]
    b = [" ".join(g) for g in option_groups(new)]
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        out += [f"- {x}" for x in a[i1:i2]]
        out += [f"+ {x}" for x in b[j1:j2]]
    return out


def gate(old: Any, new: Any, targets: dict[str, frozenset[str]], *, profile: Any, conf: Any = None,
         old_data: bytes | None = None, new_data: bytes | None = None) -> GateReport:
    """Compare two defaulted domains on every target (name -> flags)."""
    report = GateReport()
    merged: dict[tuple[str, str, str], tuple[Change, list[str]]] = {}
    for name, flags in targets.items():
        outcome = TargetOutcome(name, None, None)
        try:
            outcome.old = build(old, flags, profile, conf)
        except VirtconformError as e:
            outcome.old_reason = e.message
        try:
            outcome.new = build(new, flags, profile, conf)
        except VirtconformError as e:
            outcome.new_reason = e.message
        report.targets.append(outcome)
        if outcome.old is not None and outcome.new is None:
            report.regressions.append(f"{name}: the new version no longer builds: {outcome.new_reason}")
        if not outcome.checked or outcome.old == outcome.new:
            continue
        report.argv_diffs[name] = option_diff(outcome.old, outcome.new)  # type: ignore[arg-type]
        before = guest_view(old, outcome.old, flags, old_data)  # type: ignore[arg-type]
        after = guest_view(new, outcome.new, flags, new_data)  # type: ignore[arg-type]
        for change in compare(before, after):
            key = (change.item, change.kind, change.detail)
            if key in merged:
                merged[key][1].append(name)
            else:
                merged[key] = (change, [name])
    report.changes = list(merged.values())
    return report


def report_lines(report: GateReport, where: str, all_targets: list[str]) -> list[str]:
    """Human-readable lines; changes name their targets unless they hold on every one."""
    lines: list[str] = []
    checked = report.checked
    for change, names in report.changes:
        at = f"{where}:{change.line}:{change.column}" if change.line else where
        scope = "" if names == checked else f" [{', '.join(names)}]"
        lines.append(f"{at}: guest ABI: {change.text()}{scope}")
        if change.suggestion:
            lines.append(f"    hint: {change.suggestion}")
    for r in report.regressions:
        lines.append(f"{where}: regression: {r}")
    for name, diff in report.argv_diffs.items():
        lines.append(f"{where}: command line for {name}:")
        lines += [f"    {d}" for d in diff]
    if report.unchecked:
        why = "; ".join(f"{t.name}: {t.new_reason or t.old_reason}" for t in report.targets) or "no targets"
        lines.append(f"{where}: guest ABI NOT CHECKED: no target builds both versions ({why})")
    else:
        skipped = [t.name for t in report.targets if not t.checked]
        lines.append(f"{where}: compared on {len(checked)} of {len(all_targets)} targets"
                     + (f"; not on {', '.join(skipped)}, where a version is refused" if skipped else ""))
    return lines
