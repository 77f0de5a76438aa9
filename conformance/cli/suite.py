"""`virtconform suite DIR`: run a manifest suite (reference or corpus) in-process."""
from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from virtconform.conformance.suites.runner import Runner, iter_report_lines, load_cases
    from virtconform.engine.errors import InputError

    if not (Path(args.suite) / "manifest.json").is_file():
        raise InputError("no manifest.json in this directory", path=args.suite)
    report = Runner().run(load_cases(args.suite, args.section))
    for line in iter_report_lines(report, args.verbose):
        print(line)
    return 0 if not report.failures else 1
