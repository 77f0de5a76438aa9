"""`virtconform argv`: the QEMU command line for a domain, for a capability set.

Prints libvirt's form (environment entries then argv, single spaces, no quoting);
``--shell`` quotes words a shell would split, ``--json`` gives the words as a list.
Parts of a document libvirt drops silently are one located warning line each on
stderr; ``--strict`` refuses them instead.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.qemu.builder import build_command_line
    from virtconform.engine.xmlio import parse_bytes

    profile = get_profile(args.profile)
    if args.caps is not None:
        from virtconform.engine.caps.flags import resolve
        flags = resolve(args.caps)
    else:
        from virtconform.engine.caps.help import read_help
        flags = read_help(args.qemu_help).flags
    conf = profile.qemu_conf(args.qemu_conf)
    domid = args.domid if args.domid is not None else profile.domid_for(flags)
    from virtconform.conformance.cli.inputs import for_each

    def one(name: str, data: bytes) -> str:
        dom = parse_domain(parse_bytes(data, name), profile.capabilities)
        cmd = build_command_line(dom, flags, profile=profile, conf=conf, domid=domid,
                                 migrate_from=args.migrate_from, now=args.clock_epoch,
                                 strict=args.strict)
        for warning in cmd.warnings:
            where, _, message = warning.located(name).format().partition(": ")
            print(f"{where}: warning: {message}", file=sys.stderr)
        if args.json:
            return json.dumps(cmd.to_json() | ({"path": name} if several else {})) + "\n"
        return cmd.render_shell() if args.shell else cmd.render()

    several = len(args.files) > 1 or any(Path(f).is_dir() for f in args.files)
    return for_each(args.files, "*.xml", one, json_lines=args.json)
