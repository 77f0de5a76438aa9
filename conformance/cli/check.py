"""`virtconform check`: the CI gate over a repository of domains (gatekeeping/checker.py).

Exit 0 when everything holds, 1 when a check failed, 2 for usage or configuration
errors, 3 when virtconform itself failed on a document (reported, the others still run).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class _Progress:
    """A one-line progress bar on a terminal's stderr; silent anywhere else."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} documents")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.gatekeeping import reports
    from virtconform.conformance.gatekeeping.checker import run_check
    from virtconform.conformance.gatekeeping.config import find_config, load_config
    from virtconform.engine.errors import UsageError

    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (the free cores) or more")
    config = load_config(find_config(Path.cwd(), args.config))
    progress = _Progress(not args.no_progress and sys.stderr.isatty())
    try:
        outcome = run_check(config, args.paths, update=args.update, base=args.base,
                            jobs=args.jobs, shard_spec=args.shard, use_cache=not args.no_cache,
                            progress=progress)
    finally:
        progress.close()
    if args.html:
        from virtconform.conformance.reports.check import write
        write(args.html, outcome, config)
    if args.format == "text":
        to_tty = not args.output and sys.stdout.isatty()
        report = reports.text(outcome, colour=to_tty and not os.environ.get("NO_COLOR"))
    else:
        report = reports.FORMATS[args.format](outcome)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write the report: {e.strerror}", path=args.output,
                             line=0, column=0) from None
        if args.format != "text":
            print(reports.summary(outcome), file=sys.stderr)
    else:
        sys.stdout.write(report)
    if outcome.internal_errors:
        return 3
    return 1 if outcome.failed else 0
