"""`virtconform xml2xml`: parse as an inactive definition, format libvirt 0.8.3 style."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def converter(args: argparse.Namespace) -> Callable[[str, bytes], str]:
    """(name, bytes) -> the formatted domain; raises located VirtconformErrors."""
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.xmlio import parse_bytes

    caps = get_profile(args.profile).capabilities

    def convert(name: str, data: bytes) -> str:
        return parse_domain(parse_bytes(data, name), caps, validate=args.validate).to_xml()
    return convert


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.cli.inputs import for_each
    return for_each(args.files, "*.xml", converter(args))
