"""The ``virtconform`` command (see ../shared/CONTRACT.md).

Start-up matters: CI runs this once per file. Only argparse is imported here;
each command's module is imported when that command runs. Importing the package
keeps lxml from loading rnc2rng (see engine/__init__.py).
"""
from __future__ import annotations

import argparse
import importlib
import sys


def _profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="libvirt-test",
                   help="host profile: guest capabilities, environment, monitor (default: libvirt-test)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="virtconform",
                                 description="Validate libvirt domain XML and convert it to and from QEMU command lines.")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="validate domain XML against the RELAX NG schema")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--schema", help="another RELAX NG schema (.rng) to validate against")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.set_defaults(module="validate")

    p = sub.add_parser("xml2xml", help="parse as an inactive definition and format again")
    _profile(p)
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--no-validate", action="store_true", help="skip schema validation")
    p.set_defaults(module="xml2xml")

    p = sub.add_parser("argv", help="the QEMU command line for a domain")
    _profile(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--caps", help="comma-separated capability flags or a named capability set")
    g.add_argument("--qemu-help", metavar="FILE", help="output of `qemu -help` to take flags from")
    p.add_argument("--qemu-conf", metavar="FILE", help="libvirt qemu.conf settings")
    p.add_argument("--domid", type=int, default=None, help="domain id (default: none)")
    p.add_argument("--migrate-from", metavar="URI", help="incoming migration source")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print {'env': [...], 'argv': [...]}")
    form.add_argument("--shell", action="store_true",
                      help="quote words a shell would split (default: libvirt's form, single spaces)")
    p.add_argument("--strict", action="store_true",
                   help="refuse (exit 1) where libvirt would silently drop part of the document")
    p.add_argument("--clock-epoch", type=int, metavar="SECONDS",
                   help="the time an offset='variable' clock is relative to (default: now)")
    p.add_argument("file", metavar="FILE.xml")
    p.set_defaults(module="argv")

    p = sub.add_parser("argv2xml", help="the domain XML that a QEMU command line describes")
    _profile(p)
    p.add_argument("file", metavar="FILE.args")
    p.set_defaults(module="argv2xml")

    p = sub.add_parser("caps", help="capabilities of a QEMU binary from its -help output")
    p.add_argument("--qemu-help", metavar="FILE", help="output of `qemu -help`")
    p.add_argument("--capabilities", metavar="FILE", help="libvirt capabilities XML to summarise")
    p.add_argument("--list", action="store_true", help="list named capability sets and flags")
    p.add_argument("--json", action="store_true")
    p.set_defaults(module="caps")

    p = sub.add_parser("generate", help="write schema-valid domain documents")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="DIR")
    p.add_argument("--invalid", action="store_true", help="write invalid documents (with their error mode)")
    p.add_argument("--coverage", action="store_true", help="report schema paths reached")
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw", action="store_true",
                   help="schema walk only, without the engine-aware refinements (for schema coverage)")
    p.add_argument("--hostile", action="store_true",
                   help="commas and XML specials in names (tests escaping; not for libvirt's test driver)")
    p.set_defaults(module="generate")

    p = sub.add_parser("fuzz", help="run the conformance properties for a time budget")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", metavar="DIR", help="where minimized failing inputs go")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--database", metavar="DIR", help="shared Hypothesis example database")
    p.add_argument("--property", action="append", help="run only these properties")
    p.set_defaults(module="fuzz")

    p = sub.add_parser("schema", help="schema authoring: compile .rnc to .rng, check staleness")
    p.add_argument("action", choices=["compile", "check"])
    p.add_argument("--dir", help="schema directory (default: the shipped schemas)")
    p.set_defaults(module="schema")

    p = sub.add_parser("gate", help="may NEW.xml replace OLD.xml? validity, buildability, guest ABI")
    _profile(p)
    p.add_argument("old", metavar="OLD.xml")
    p.add_argument("new", metavar="NEW.xml")
    p.add_argument("--caps", action="append", metavar="SPEC",
                   help="capability set(s) to check (repeatable; default: every named set)")
    p.add_argument("--qemu-conf", metavar="FILE")
    p.add_argument("--allow-abi-change", action="store_true",
                   help="report guest-visible changes but do not fail on them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(module="gate")

    p = sub.add_parser("suite", help="run a manifest suite (reference or the project's corpus) in-process")
    p.add_argument("suite", help="directory holding manifest.json")
    p.add_argument("--section", action="append")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(module="suite")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2, --help exits 0
        return int(e.code or 0)
    if not getattr(args, "module", None):
        ap.print_usage(sys.stderr)
        return 2
    from virtconform.engine.errors import VirtconformError
    try:
        mod = importlib.import_module(f"virtconform.conformance.cli.{args.module}")
        return int(mod.run(args) or 0)
    except VirtconformError as e:
        print(e.format(), file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print("virtconform: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # a bug: still one line, never a traceback; exit 3 tells CI it is ours
        print(f"virtconform: internal error: {type(e).__name__}: {' '.join(str(e).split())}",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
