"""`virtconform xml2xml`: parse as an inactive definition, format libvirt 0.8.3 style.

Like libvirt's parser, it reads what it knows and ignores the rest; ``--validate``
checks the document against the schema first."""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import load_domain

    profile = get_profile(args.profile)
    dom = load_domain(args.file, profile.capabilities, validate=args.validate)
    sys.stdout.write(dom.to_xml())
    return 0
