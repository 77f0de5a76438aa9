"""`virtconform caps`: what libvirt 0.8.3 learns from ``qemu -help``, guest
capabilities summaries, and the list of named capability sets."""
from __future__ import annotations

import argparse
import json
import sys


def _help(args: argparse.Namespace) -> list[str]:
    from virtconform.engine.caps.flags import FLAG_NAMES
    from virtconform.engine.caps.help import read_help

    info = read_help(args.qemu_help)
    if args.json:
        return [json.dumps(info.to_json())]
    major, rest = divmod(info.version, 1_000_000)
    minor, micro = divmod(rest, 1000)
    lines = [f"version      {info.version} ({major}.{minor}.{micro})",
             f"is_kvm       {'yes' if info.is_kvm else 'no'}",
             f"kvm_version  {info.kvm_version}",
             "flags:"]
    lines += [f"  {name:<18} {'yes' if name in info.flags else 'no'}" for name in FLAG_NAMES]
    return lines


def _capabilities(args: argparse.Namespace) -> list[str]:
    from virtconform.engine.caps.guests import read_capabilities

    caps = read_capabilities(args.capabilities)
    if args.json:
        return [json.dumps({
            "host_arch": caps.host_arch,
            "guests": [{
                "os_type": g.os_type, "arch": g.arch, "wordsize": g.wordsize,
                "emulator": g.emulator,
                "machines": [{"name": m.name, "canonical": m.canonical} for m in g.machines],
                "domains": {t: {"emulator": d.emulator, "machines": [
                    {"name": m.name, "canonical": m.canonical} for m in d.machines]}
                    for t, d in g.domains.items()},
            } for g in caps.guests]})]

    def machines(ms) -> str:
        return ", ".join(m.name + (f" (-> {m.canonical})" if m.canonical else "") for m in ms) or "-"

    lines = [f"host arch: {caps.host_arch or '-'}"]
    for g in caps.guests:
        lines.append(f"guest {g.os_type} {g.arch} ({g.wordsize or '?'}-bit): "
                     f"emulator {g.emulator or '-'}; machines {machines(g.machines)}")
        for vtype, d in g.domains.items():
            emu = d.emulator or f"{g.emulator or '-'} (arch default)"
            ms = machines(d.machines) if d.machines else "arch default"
            lines.append(f"  domain {vtype}: emulator {emu}; machines {ms}")
    return lines


def _list(args: argparse.Namespace) -> list[str]:
    from virtconform.engine.caps.flags import FLAG_NAMES, NAMED_SETS

    if args.json:
        return [json.dumps({"flags": list(FLAG_NAMES),
                            "named_sets": {k: v.ordered() for k, v in NAMED_SETS.items()}})]
    lines = ["named capability sets:"]
    lines += [f"  {name}: {','.join(flags.ordered())}" for name, flags in NAMED_SETS.items()]
    lines.append("flags (flag_bits order):")
    lines += [f"  {bit:2d} {name}" for bit, name in enumerate(FLAG_NAMES)]
    return lines


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.errors import UsageError

    chosen = [n for n in ("qemu_help", "capabilities", "list") if getattr(args, n, None)]
    if not chosen:
        raise UsageError("caps: give --qemu-help FILE, --capabilities FILE or --list")
    if len(chosen) > 1:
        raise UsageError("caps: give only one of --qemu-help, --capabilities, --list")
    lines = {"qemu_help": _help, "capabilities": _capabilities, "list": _list}[chosen[0]](args)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
