"""The ``virtconform`` command (see ../shared/CONTRACT.md).

Start-up matters: CI runs this once per file. Only argparse is imported here;
each command's module is imported when that command runs, and only that command's
options are declared (all of them only for the overview and unknown commands).
Importing the package keeps lxml from loading rnc2rng (see engine/__init__.py).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys


def _columns() -> int:
    """The terminal width as shutil.get_terminal_size() finds it, without importing shutil
    (and with it bz2, lzma and zlib): argparse asks for it on every option declared."""
    try:
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """Help text that states each option's default where it has a meaningful one."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" not in text and action.default not in (None, False, argparse.SUPPRESS) \
                and action.option_strings and action.nargs != 0:
            text += " (default: %(default)s)"
        return text


class _Version(argparse.Action):
    """``--version``: read from the installed metadata only when asked (start-up)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version
        try:
            v = version("virtconform")
        except PackageNotFoundError:
            v = "unknown (not installed)"
        print(f"virtconform {v}")
        parser.exit(0)


def _profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="libvirt-test",
                   help="host profile: guest capabilities, environment, monitor (default: libvirt-test)")


def _inputs(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=f"{what} files, directories (searched recursively) or - for standard input")


def _html(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--html", metavar="DIR",
                   help=f"also write the report as a static page DIR/index.html ({what}), "
                        "with DIR/report.json beside it")


class _Unused:
    """Stands in for the parser of a command that is not run: every call is accepted and
    ignored (declaring all commands' options costs more start-up than validating a file)."""

    def __getattr__(self, name: str) -> object:
        return self._ignore

    def _ignore(self, *args: object, **kwargs: object) -> _Unused:
        return self


class _OnlyCommand:
    """``add_subparsers()``'s result, declaring the parser of one command only."""

    def __init__(self, sub: argparse._SubParsersAction, only: str) -> None:  # type: ignore[type-arg]
        self.sub = sub
        self.only = only
        self.found = False

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser | _Unused:
        if name != self.only:
            return _Unused()
        self.found = True
        return self.sub.add_parser(name, **kwargs)  # type: ignore[no-any-return]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` a command's name, the other commands are left undeclared
    (when ``only`` names no command, the full parser)."""
    ap = argparse.ArgumentParser(prog="virtconform", formatter_class=_Formatter,
                                 description="Validate libvirt domain XML and convert it to and from QEMU command lines.")
    ap.add_argument("--version", action=_Version, help="print the version and exit")
    real = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubParser)
    sub = real if only is None else _OnlyCommand(real, only)

    p = sub.add_parser("validate", help="validate domain XML against the RELAX NG schema")
    _inputs(p, "domain XML")
    p.add_argument("--schema", help="another RELAX NG schema (.rng) to validate against "
                                    "(default: the shipped domain schema)")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for many files (default: the cores the load average leaves free)")
    p.set_defaults(module="validate")

    p = sub.add_parser("xml2xml", help="parse as an inactive definition and format again")
    _profile(p)
    _inputs(p, "domain XML")
    p.add_argument("--validate", action="store_true",
                   help="also validate against the schema first (libvirt's parser does not)")
    p.add_argument("--no-validate", action="store_true", help=argparse.SUPPRESS)
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
    _inputs(p, "domain XML")
    p.set_defaults(module="argv")

    p = sub.add_parser("argv2xml", help="the domain XML that a QEMU command line describes")
    _profile(p)
    _inputs(p, "command-line (.args)")
    p.add_argument("--strict", action="store_true",
                   help="refuse what libvirt 0.8.3 dropped with a warning (e.g. an unknown QEMU argument)")
    p.add_argument("--validate", action="store_true",
                   help="refuse a result the domain schema rejects (libvirt printed it anyway)")
    p.set_defaults(module="argv2xml")

    p = sub.add_parser("caps", help="capabilities of a QEMU binary from its -help output")
    p.add_argument("--qemu-help", metavar="FILE", help="output of `qemu -help`")
    p.add_argument("--capabilities", metavar="FILE", help="libvirt capabilities XML to summarise")
    p.add_argument("--list", action="store_true", help="list named capability sets and flags")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(module="caps")

    p = sub.add_parser("generate", help="write schema-valid domain documents")
    p.add_argument("--count", type=int, default=10, help="how many documents")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same documents")
    p.add_argument("--out", metavar="DIR", help="directory to write DIR/NNNN.xml to (default: print)")
    p.add_argument("--invalid", action="store_true", help="write invalid documents (with their error mode)")
    p.add_argument("--coverage", action="store_true", help="report schema paths reached")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.add_argument("--raw", action="store_true",
                   help="schema walk only, without the engine-aware refinements (for schema coverage)")
    p.add_argument("--hostile", action="store_true",
                   help="commas and XML specials in names (tests escaping; not for libvirt's test driver)")
    p.add_argument("--schema", metavar="FILE.rng",
                   help="walk this RELAX NG grammar instead (any language; implies --raw)")
    p.set_defaults(module="generate")

    p = sub.add_parser("fuzz", help="run the conformance properties (or byte fuzzing) for a time budget")
    p.add_argument("--seconds", type=float, default=None,
                   help="time budget (default: 60, or none with --examples)")
    p.add_argument("--examples", type=int, default=None, metavar="N",
                   help="stop once N examples are checked (skipped ones do not count), all jobs together")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.add_argument("--out", metavar="DIR",
                   help="where minimized failing inputs go (default: a new temporary directory)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--database", metavar="DIR|redis://HOST:PORT/DB",
                   help="example database shared with other campaigns: a directory, or a Redis server")
    p.add_argument("--property", action="append",
                   help="run only this property (repeatable; default: all)")
    p.add_argument("--bytes", metavar="TARGET", choices=["xml", "qemu-help", "argv", "qemu-conf"],
                   help="coverage-guided byte fuzzing of one reader: xml, qemu-help, argv, qemu-conf")
    p.add_argument("--replay", metavar="DIR", help="run the reproducers a campaign wrote to DIR again")
    _html(p, "the campaign: throughput and coverage over time, failures, per-property counts")
    p.set_defaults(module="fuzz")

    p = sub.add_parser("schema", help="tools for schema authors: compile, check, diff, coverage")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True,
                               help="compile, check, diff or coverage")
    a = actions.add_parser("compile", help="compile the .rnc sources to the shipped .rng files")
    a.add_argument("--dir", help="schema directory (default: the shipped schemas)")
    a = actions.add_parser("check", help="the .rng files are fresh, the grammar compiles, and documents "
                                         "named *-invalid.xml are rejected while all others are accepted")
    a.add_argument("--dir", help="schema directory (default: the shipped schemas)")
    a.add_argument("docs", nargs="*", metavar="DOC", help="documents or directories (recursive *.xml)")
    a = actions.add_parser("diff", help="documents one grammar accepts and the other rejects, both ways")
    a.add_argument("old", metavar="OLD.rng", help="the grammar before")
    a.add_argument("new", metavar="NEW.rng", help="the grammar after")
    a.add_argument("--count", type=int, default=100,
                   help="random documents walked from each grammar, besides the targeted ones (default: 100)")
    a.add_argument("--seed", type=int, default=0, help="seed of the walks (default: 0)")
    a.add_argument("--json", action="store_true", help='print {"only_old": [...], "only_new": [...]}')
    a = actions.add_parser("coverage", help="patterns of the schema that no document of a corpus exercises")
    a.add_argument("corpus", nargs="*", metavar="CORPUS", help="documents or directories (default: corpus/)")
    a.add_argument("--schema", metavar="FILE.rng", help="the grammar (default: the shipped domain schema)")
    a.add_argument("--json", action="store_true", help="the report as JSON")
    _html(a, "the grammar as a tree coloured by coverage, every pattern never exercised")
    p.set_defaults(module="schema")

    p = sub.add_parser("gate", help="may NEW.xml replace OLD.xml? validity, buildability, guest ABI")
    _profile(p)
    p.add_argument("old", metavar="OLD.xml", help="the definition in use")
    p.add_argument("new", metavar="NEW.xml", help="the proposed replacement (must be valid)")
    p.add_argument("--caps", action="append", metavar="SPEC",
                   help="capability set to check (repeatable; default: every named set)")
    p.add_argument("--qemu-help", action="append", metavar="FILE",
                   help="a `qemu -help` dump to check as a target (repeatable)")
    p.add_argument("--qemu-conf", metavar="FILE", help="libvirt qemu.conf settings")
    p.add_argument("--allow-abi-change", action="store_true",
                   help="report guest-visible changes but do not fail on them")
    p.add_argument("--json", action="store_true",
                   help="print a JSON report on stdout (also when the new document is refused)")
    p.set_defaults(module="gate")

    p = sub.add_parser("check", help="CI gate over a repository of domains (virtconform.toml, lock file)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="documents or directories to check (default: the config's include globs)")
    p.add_argument("--config", metavar="FILE",
                   help="virtconform.toml or pyproject.toml (default: searched upwards from here)")
    p.add_argument("--update", action="store_true",
                   help="rewrite the lock file with the command lines of today")
    p.add_argument("--base", metavar="GITREF",
                   help="also gate the guest ABI of documents changed since this git revision")
    p.add_argument("--format", choices=["text", "json", "junit", "github"], default="text",
                   help="report format")
    p.add_argument("--output", metavar="FILE", help="write the report here (default: stdout)")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: the cores the load average leaves free)")
    p.add_argument("--shard", metavar="K/N", help="check only the K-th of N slices (CI matrices)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    p.add_argument("--no-cache", action="store_true",
                   help="build every document again instead of reusing results for unchanged bytes "
                        "(kept in .virtconform_cache/)")
    _html(p, "documents x targets, every finding with its diff")
    p.set_defaults(module="check")

    if only in (None, "crosscheck"):
        from . import crosscheck
        crosscheck.add_parser(sub)  # type: ignore[arg-type]

    p = sub.add_parser("suite", help="run a manifest suite (reference or the project's corpus) in-process")
    p.add_argument("suite", help="directory holding manifest.json")
    p.add_argument("--section", action="append",
                   help="run only this section: xml2argv, xml2xml, argv2xml, help (repeatable; default: all)")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    p.set_defaults(module="suite")
    if isinstance(sub, _OnlyCommand) and not sub.found:
        return build_parser()  # not a command: the full parser says so, listing them
    return ap


class _SubParser(argparse.ArgumentParser):
    """Subcommand parsers: the same formatter; usage errors show the subcommand's usage."""

    def __init__(self, *a: object, **kw: object) -> None:
        kw.setdefault("formatter_class", _Formatter)
        super().__init__(*a, **kw)  # type: ignore[arg-type]


def _subparser(ap: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in ap._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)  # type: ignore[no-any-return]
    return None


def _command(argv: list[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word
        if word == "--":
            return None
    return None


def main(argv: list[str] | None = None) -> int:
    ap = build_parser(_command(sys.argv[1:] if argv is None else argv))
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
        from virtconform.engine.errors import UsageError
        if isinstance(e, UsageError) and e.path is None:
            sub = _subparser(ap, args.command)
            if sub is not None:
                sub.print_usage(sys.stderr)
            print(f"virtconform {args.command}: error: {e.message}", file=sys.stderr)
            return e.exit_status
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
