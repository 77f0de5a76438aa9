"""`virtconform argv`: the QEMU command line for a domain, for a capability set."""
from __future__ import annotations

import argparse
import json
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import load_domain
    from virtconform.engine.qemu.builder import build_command_line

    profile = get_profile(args.profile)
    if args.caps is not None:
        from virtconform.engine.caps.flags import resolve
        flags = resolve(args.caps)
    else:
        from virtconform.engine.caps.help import read_help
        flags = read_help(args.qemu_help).flags
    conf = None
    if args.qemu_conf:
        from virtconform.engine.caps.qemuconf import read_qemu_conf
        conf = read_qemu_conf(args.qemu_conf)
    dom = load_domain(args.file, profile.capabilities)
    try:
        cmd = build_command_line(dom, flags, profile=profile, conf=conf,
                                 domid=args.domid if args.domid is not None else profile.domid,
                                 migrate_from=args.migrate_from, now=args.clock_epoch)
    except Exception as e:
        from virtconform.engine.errors import VirtconformError
        if isinstance(e, VirtconformError):
            e.located(args.file)
        raise
    if args.json:
        json.dump(cmd.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(cmd.render())
    return 0
