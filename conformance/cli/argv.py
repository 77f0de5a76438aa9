"""`virtconform argv`: the QEMU command line for a domain, for a capability set.

Prints libvirt's form (environment entries then argv, single spaces, no quoting);
``--shell`` quotes words a shell would split, ``--json`` gives the words as a list.
Parts of the document libvirt drops silently are one located warning line each on
stderr; ``--strict`` refuses them instead.
"""
from __future__ import annotations

import argparse
import json
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.loader import load_domain
    from virtconform.engine.qemu.builder import build_command_line

    profile = get_profile(args.profile)
    if args.caps is not None:
        from virtconform.engine.caps.flags import resolve
        flags = resolve(args.caps)
    else:
        from virtconform.engine.caps.help import read_help
        flags = read_help(args.qemu_help).flags
    conf = profile.qemu_conf(args.qemu_conf)
    dom = load_domain(args.file, profile.capabilities)
    try:
        cmd = build_command_line(dom, flags, profile=profile, conf=conf,
                                 domid=args.domid if args.domid is not None else profile.domid_for(flags),
                                 migrate_from=args.migrate_from, now=args.clock_epoch,
                                 strict=args.strict)
    except VirtconformError as e:
        e.located(args.file)
        raise
    for warning in cmd.warnings:
        warning.located(args.file)
        loc = warning.format()
        where, _, message = loc.partition(": ")
        print(f"{where}: warning: {message}", file=sys.stderr)
    if args.json:
        json.dump(cmd.to_json(), sys.stdout)
        sys.stdout.write("\n")
    elif args.shell:
        sys.stdout.write(cmd.render_shell())
    else:
        sys.stdout.write(cmd.render())
    return 0
