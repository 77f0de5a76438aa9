"""`virtconform xml2xml`: parse as an inactive definition, format libvirt 0.8.3 style."""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import load_domain

    profile = get_profile(args.profile)
    dom = load_domain(args.file, profile.capabilities, validate=not args.no_validate)
    sys.stdout.write(dom.to_xml())
    return 0
