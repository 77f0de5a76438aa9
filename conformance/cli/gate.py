"""`virtconform gate OLD.xml NEW.xml`: may NEW replace OLD? (see gatekeeping/gate.py)."""
from __future__ import annotations

import argparse
import json
import sys


def _targets(args: argparse.Namespace) -> dict[str, frozenset[str]]:
    from virtconform.engine.caps.flags import NAMED_SETS, resolve
    targets: dict[str, frozenset[str]] = {}
    for spec in args.caps or []:
        targets[spec] = resolve(spec)
    for path in args.qemu_help or []:
        from virtconform.engine.caps.help import read_help
        targets[path] = read_help(path).flags
    return targets or dict(NAMED_SETS)


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.errors import VirtconformError

    try:
        return _run(args)
    except VirtconformError as e:
        if not args.json:
            raise
        e.located(args.new)
        json.dump({"passed": False, "error": {"path": e.path, "line": e.line or 0,
                                              "column": e.column or 0, "message": e.message}},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
        return e.exit_status


def _run(args: argparse.Namespace) -> int:
    from virtconform.conformance.gatekeeping.gate import gate, report_lines
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.xmlio import read_document

    profile = get_profile(args.profile)
    conf = None
    if args.qemu_conf:
        from virtconform.engine.caps.qemuconf import read_qemu_conf
        conf = read_qemu_conf(args.qemu_conf)
    targets = _targets(args)
    new_doc = read_document(args.new)
    new = parse_domain(new_doc, profile.capabilities, validate=True)   # the change must be valid
    old_doc = read_document(args.old)
    old = parse_domain(old_doc, profile.capabilities, validate=False)
    report = gate(old, new, targets, profile=profile, conf=conf,
                  old_data=old_doc.data, new_data=new_doc.data)
    failed = report.failed(args.allow_abi_change)
    if args.json:
        json.dump(report.to_json(args.allow_abi_change), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for line in report_lines(report, args.new, list(targets)):
            print(line)
        print(f"{args.new}: {'FAILED' if failed else 'passed'}")
    return 1 if failed else 0
