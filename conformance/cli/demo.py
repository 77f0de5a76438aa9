"""`make demo`: the main job on the bundled corpus, as a CI user would run it.

Validates every corpus document (valid ones pass, ``*-invalid.xml`` ones fail at
their stated line), round-trips the domains, builds their command lines for
several QEMU capability sets and, when ../shared is beside the checkout, replays
the reference suite too. Every part that runs is judged: exit status 0 only when the
corpus and (when present) the reference suite match, so a FAIL line is never
followed by "ok". A part that cannot run says so and why.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _validate(corpus: Path) -> tuple[int, int, list[str]]:
    from virtconform.engine import schema
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.xmlio import read_document

    bad: list[str] = []
    ok = total = 0
    for f in sorted((corpus / "domains").glob("*.xml")):
        total += 1
        problems = schema.validate(read_document(str(f)))
        if problems:
            bad.append(f"{f}: expected valid, got {problems[0].message}")
        else:
            ok += 1
    manifest = json.loads((corpus / "invalid" / "manifest.json").read_text())
    for name, spec in sorted(manifest.items()):
        total += 1
        f = corpus / "invalid" / name
        try:
            problems = schema.validate(read_document(str(f)))
            line = problems[0].line if problems else None
        except VirtconformError as e:
            line = e.line
        if line == spec["line"]:
            ok += 1
        else:
            bad.append(f"{f}: expected an error at line {spec['line']} ({spec['reason']}), got {line}")
    return ok, total, bad


def main(argv: list[str]) -> int:
    corpus = Path(argv[0] if argv else "corpus")
    from virtconform.conformance.suites.runner import Runner, iter_report_lines, load_cases

    t0 = time.perf_counter()
    ok, total, bad = _validate(corpus)
    print(f"validate: {ok}/{total}")
    for line in bad:
        print(f"FAIL {line}")
    runner = Runner()
    report = runner.run(load_cases(corpus, ["xml2xml", "xml2argv"]))
    lines = list(iter_report_lines(report, verbose=True))
    print("\n".join(lines))
    failures = len(bad) + len(report.failures)
    from virtconform.conformance.suites.shared import reference_suite
    shared = reference_suite()
    if shared is not None:
        ref = runner.run(load_cases(shared))
        for line in iter_report_lines(ref, verbose=False):
            print(f"reference {line}")
        failures += len(ref.failures)
    else:
        print("reference suite: skipped: ../shared/libvirt-0.8.3 is not beside this checkout "
              "(set VIRTCONFORM_SHARED to its parent directory to replay it)")
    print(f"demo: {'ok' if not failures else f'FAILED ({failures} failures)'} "
          f"in {time.perf_counter() - t0:.2f}s")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
