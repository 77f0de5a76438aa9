"""`virtconform gate OLD.xml NEW.xml`: gatekeeping of a configuration change in CI."""
from __future__ import annotations

import argparse
import json
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.gatekeeping.gate import gate
    from virtconform.engine.caps.flags import NAMED_SETS, resolve
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import load_domain

    profile = get_profile(args.profile)
    conf = None
    if args.qemu_conf:
        from virtconform.engine.caps.qemuconf import read_qemu_conf
        conf = read_qemu_conf(args.qemu_conf)
    capsets = {spec: resolve(spec) for spec in args.caps} if args.caps else dict(NAMED_SETS)
    new = load_domain(args.new, profile.capabilities, validate=True)   # the change must be valid
    old = load_domain(args.old, profile.capabilities)
    report = gate(old, new, capsets, profile=profile, conf=conf)
    failed = bool(report.regressions) or (bool(report.abi) and not args.allow_abi_change)
    if args.json:
        json.dump(report.to_json() | {"passed": not failed}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for line in report.abi:
            print(f"{args.new}: {line}")
        for line in report.regressions:
            print(f"{args.new}: {line}")
        for label, (removed, added) in report.argv_changes.items():
            print(f"{args.new}: argv {label}: -[{' '.join(removed)}] +[{' '.join(added)}]")
        print(f"{args.new}: {'passed' if not failed else 'FAILED'}")
    return 1 if failed else 0
