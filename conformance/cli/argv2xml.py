"""`virtconform argv2xml`: the domain XML a QEMU command line describes (domxml-from-native).

libvirt 0.8.3's conversion, on libvirt's own reading of the file (bytes that are not
UTF-8 pass through, as they did). What it dropped with a warning ("unknown QEMU argument")
is dropped here too, with one located warning line on stderr; ``--strict`` makes
each such warning a refusal (exit 1). ``--validate`` refuses a result the domain
schema rejects (libvirt printed it anyway).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def converter(args: argparse.Namespace) -> Callable[[str, bytes], str]:
    """(name, bytes) -> the domain XML, its warnings printed to stderr; raises located
    VirtconformErrors."""
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.qemu.argvparse import ParseOptions, convert

    caps = get_profile(args.profile).capabilities
    options = ParseOptions(strict=getattr(args, "strict", False))
    validate = getattr(args, "validate", False)

    def one(name: str, data: bytes) -> str:
        result = convert(_text(name, data), caps, name, options)
        xml = result.xml
        if validate:
            _validate(xml, name)
        sys.stdout.flush()
        for w in result.warnings:
            print(w.format(), file=sys.stderr)
        return xml
    return one


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.cli.inputs import for_each
    for stream in (sys.stdout, sys.stderr):  # bytes of the input that are not UTF-8, as they were
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    return for_each(args.files, "*.args", converter(args))


def _validate(xml: str, path: str) -> None:
    from virtconform.engine import schema
    from virtconform.engine.errors import Refused
    from virtconform.engine.xmlio import parse_bytes

    problems = schema.validate(parse_bytes(xml.encode(), path))
    if problems:
        p = problems[0]
        raise Refused(f"the command line gives a domain the schema rejects: {p.message} "
                      f"(line {p.line} of the XML)", path=path, line=1, column=1)


def _text(path: str, data: bytes) -> str:
    """The command line as text. Bytes that are not UTF-8 are kept as they are (libvirt
    copied them into its XML; ``run`` writes them back unchanged); a NUL byte is refused
    by the parser (argvsplit)."""
    return data.decode("utf-8", "surrogateescape")
