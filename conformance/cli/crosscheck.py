"""`virtconform crosscheck`: differential run against an implementation of the oracle's batch protocol."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("crosscheck", help="differential run against another implementation (e.g. libvirt's own code)",
                       description="Push documents through our engine and through ORACLE (any command speaking "
                                   "../shared/oracle's batch protocol): xml2xml, argv per capability set, argv2xml "
                                   "on the oracle's command lines. Exit 0 when all agree (deviations excepted), "
                                   "1 when they disagree or the oracle crashes, 2 usage.")
    p.add_argument("--oracle", required=True, metavar="CMD", help="the other implementation's command")
    p.add_argument("--caps", action="append", metavar="SPEC",
                   help="capability set (named set or flag names; repeatable; default: every named set)")
    p.add_argument("--count", type=int, help="generated documents (as `virtconform generate`)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated documents (default: 0)")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="domain documents, QEMU command lines (*.args: read back by argv2xml as they are), "
                        "or directories of both")
    p.add_argument("--mode", action="append", choices=["xml2xml", "argv", "argv2xml"],
                   help="only these modes (repeatable; default: all)")
    p.add_argument("--jobs", type=int, default=0, help="worker processes for our engine (default: CPUs)")
    p.add_argument("--minimize-seconds", type=float, default=20.0, metavar="S",
                   help="time for minimizing the witnesses; 0: keep the smallest seen (default: 20.0)")
    p.add_argument("--mutants", type=int, default=0, metavar="K",
                   help="also check K value mutants of every document and command line given: one or two "
                        "values replaced by edges of C integers and libvirt's parsers (seeded by --seed; "
                        "default: 0)")
    p.add_argument("--hang-seconds", type=float, default=10.0, metavar="S",
                   help="a document the oracle answers in none of this time is answered 'libvirt hangs' "
                        "(default: 10.0)")
    p.add_argument("--deviations", metavar="FILE", help="table of deliberate deviations "
                   "(default: the project's docs/deviations.md; 'none' for no table)")
    p.add_argument("--out", metavar="DIR", help="also write every group's witness to DIR")
    p.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    p.add_argument("--html", metavar="DIR", help="also write the report as a static page DIR/index.html "
                   "(the agreement matrix, every disagreement's witness), with DIR/report.json beside it")
    p.add_argument("--profile", default="libvirt-test", help="host profile (default: libvirt-test)")
    p.set_defaults(module="crosscheck")


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.crosscheck import deviations
    from virtconform.conformance.crosscheck.run import Options, crosscheck
    from virtconform.engine.errors import UsageError

    if args.files and args.count is not None:
        raise UsageError("give either --count N (generated documents) or FILE..., not both")
    if not args.files and args.count is None:
        raise UsageError("give --count N [--seed S] or FILE...")
    if (args.count or 0) < 0 or args.jobs < 0 or args.minimize_seconds < 0:
        raise UsageError("--count, --jobs and --minimize-seconds must not be negative")
    if args.mutants < 0:
        raise UsageError("--mutants must not be negative")
    if args.mutants and not args.files:
        raise UsageError("--mutants needs documents given as FILE...")
    if args.hang_seconds <= 0:
        raise UsageError("--hang-seconds must be positive")
    table: Path | None = deviations.TABLE
    if args.deviations:
        table = None if args.deviations == "none" else Path(args.deviations)
        if table is not None and not table.is_file():
            raise UsageError(f"{args.deviations}: no such deviation table")
    opts = Options(oracle=args.oracle, caps=args.caps or [], count=args.count, seed=args.seed,
                   files=args.files, modes=args.mode or ["xml2xml", "argv", "argv2xml"], jobs=args.jobs,
                   minimize_seconds=args.minimize_seconds, profile=args.profile, deviations=table,
                   hang_seconds=args.hang_seconds, mutants=args.mutants)
    progress = None if args.json else (lambda msg: print(f"crosscheck: {msg}", file=sys.stderr, flush=True))
    report = crosscheck(opts, progress)
    if args.out:
        write_witnesses(report, Path(args.out))
    if args.html:
        from virtconform.conformance.reports import write_html
        write_html(args.html, "crosscheck", report.to_dict())
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.render())
    return report.exit_status


def write_witnesses(report: object, out: Path) -> None:
    """DIR/disagreement-NNN.xml and DIR/crash-NNN.xml: the witness, its kind in a comment
    (a command line given as such: DIR/disagreement-NNN.args, the line alone)."""
    out.mkdir(parents=True, exist_ok=True)
    for prefix, groups in (("disagreement", report.groups), ("crash", report.crashes)):  # type: ignore[attr-defined]
        for n, g in enumerate(groups, 1):
            if g.mode == "argv2xml" and not g.witness_caps:
                (out / f"{prefix}-{n:03d}.args").write_text(g.witness, encoding="utf-8")
                continue
            note = f"{g.kind}\ncapability set: {g.witness_caps or '-'}\n{g.witness_detail}".replace("--", "- -")
            (out / f"{prefix}-{n:03d}.xml").write_text(f"<!--\n{note}\n-->\n{g.witness}", encoding="utf-8")
