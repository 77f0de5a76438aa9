"""``virtconform validate FILE...``: RELAX NG validation per ../shared/CONTRACT.md.

All files are checked in one process against one compiled schema. Exit 0 when
all are valid, 1 when some are invalid, 2 when some cannot be read (2 wins).
"""
from __future__ import annotations

import argparse
import json
import sys

from virtconform.engine import schema
from virtconform.engine.errors import DocumentError, InputError
from virtconform.engine.xmlio import read_document


def run(args: argparse.Namespace) -> int:
    validator = schema.load_schema(args.schema)  # bad --schema: exit 2 before any file
    del validator
    report: list[dict[str, object]] = []
    unreadable = invalid = valid = 0
    err = sys.stderr
    for path in args.files:
        errors: list[dict[str, object]] = []
        try:
            doc = read_document(path)
            problems = schema.validate(doc, args.schema)
            for p in problems:
                err.write(p.format(path) + "\n")
                errors.append(p.as_dict())
        except InputError as e:
            unreadable += 1
            e.located(path=path)
            err.write(e.format() + "\n")
            errors.append({"line": e.line or 0, "column": e.column or 0, "message": e.message})
        except DocumentError as e:
            e.located(path=path)
            err.write(e.format() + "\n")
            errors.append({"line": e.line or 0, "column": e.column or 0, "message": e.message})
        if errors:
            invalid += 1
        else:
            valid += 1
        report.append({"path": path, "valid": not errors, "errors": errors})
    if args.json:
        json.dump({"files": report, "valid": valid, "invalid": invalid}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if unreadable:
        return 2
    return 1 if invalid else 0
