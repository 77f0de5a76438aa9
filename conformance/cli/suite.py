"""`virtconform suite DIR`: run a manifest suite (reference or corpus) in-process."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def check_manifest(path: Path) -> None:
    """A manifest the runner can use, or a located InputError (exit 2), never a crash."""
    from virtconform.conformance.suites.runner import SECTIONS
    from virtconform.engine.errors import InputError

    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as e:
        raise InputError(f"manifest is not valid JSON: {e.msg}", path=str(path),
                         line=e.lineno, column=e.colno) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the manifest: {e}", path=str(path), line=0, column=0) from None
    if not isinstance(data, dict):
        raise InputError("manifest must be a JSON object of sections", path=str(path), line=1, column=1)
    for section in SECTIONS:
        cases = data.get(section, [])
        if not isinstance(cases, list):
            raise InputError(f"section '{section}' must be a list of cases", path=str(path),
                             line=0, column=0)
        for i, case in enumerate(cases):
            if not isinstance(case, dict) or not isinstance(case.get("name"), str):
                raise InputError(f"case {i} of section '{section}' needs a \"name\"", path=str(path),
                                 line=0, column=0)


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.suites.runner import SECTIONS, Runner, iter_report_lines, load_cases
    from virtconform.engine.errors import InputError, UsageError

    for section in args.section or []:
        if section not in SECTIONS:
            raise UsageError(f"--section: unknown section '{section}' (choose from {', '.join(SECTIONS)})")
    manifest = Path(args.suite) / "manifest.json"
    if not manifest.is_file():
        raise InputError("no manifest.json in this directory", path=args.suite)
    check_manifest(manifest)
    report = Runner().run(load_cases(args.suite, args.section))
    for line in iter_report_lines(report, args.verbose):
        print(line)
    return 0 if not report.failures else 1
