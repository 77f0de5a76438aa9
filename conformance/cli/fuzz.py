"""`virtconform fuzz`: campaigns of the conformance properties, byte fuzzing of the readers,
and replaying what they found.

- ``fuzz --seconds S``: every property on generated documents for S seconds
  (campaign/runner.py); ``--jobs N`` processes with different seeds; ``--database DIR`` or
  ``redis://HOST:PORT/DB`` shares failures and coverage with other campaigns.
- ``fuzz --bytes TARGET --seconds S``: coverage-guided byte fuzzing of one reader
  (campaign/bytefuzz.py).
- ``fuzz --replay DIR``: runs the reproducers a campaign wrote again.

Failures are minimized and written to ``--out`` (default: a new temporary directory, named
in the summary). Exit 0 only when nothing failed and no property skipped more than its bound.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run(args: argparse.Namespace) -> int:
    from virtconform.engine.errors import UsageError

    if getattr(args, "html", None) and (getattr(args, "replay", None) or getattr(args, "bytes", None)):
        raise UsageError("--html draws a campaign of the properties over time; not --replay or --bytes")
    if getattr(args, "replay", None):
        return _replay(args)
    examples = getattr(args, "examples", None)
    if examples is not None and examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.seconds is None:
        args.seconds = float("inf") if examples is not None and not getattr(args, "bytes", None) else 60.0
    if args.seconds <= 0:
        raise UsageError("--seconds must be greater than 0 (a campaign of no time checks nothing)")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if getattr(args, "bytes", None):
        return _bytes(args)
    return _properties(args)


def _out_dir(args: argparse.Namespace) -> Path:
    """Where reproducers go: --out, else a new temporary directory (created only if needed)."""
    if args.out:
        return Path(args.out)
    return Path(tempfile.gettempdir()) / f"virtconform-fuzz-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def _selected(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    from virtconform.conformance.campaign.catalogue import PROPERTIES
    from virtconform.engine.errors import UsageError
    names = list(PROPERTIES)
    if args.property:
        names = [p for item in args.property for p in item.split(",") if p]
        unknown = [p for p in names if p not in PROPERTIES]
        if unknown:
            raise UsageError(f"unknown property {', '.join(unknown)} (known: {', '.join(PROPERTIES)})")
    left_out = {n: why for n in names if (why := PROPERTIES[n].unavailable())}
    return [n for n in names if n not in left_out], left_out


def _properties(args: argparse.Namespace) -> int:
    from virtconform.conformance.campaign.catalogue import PROPERTIES
    from virtconform.conformance.campaign.runner import run_worker
    from virtconform.engine.errors import UsageError

    names, left_out = _selected(args)
    if not names:
        raise UsageError("no property can run here: " + "; ".join(f"{n}: {w}" for n, w in left_out.items()))
    if args.database:  # a wrong URL or an unreachable server is a usage error, before any work
        from virtconform.conformance.campaign.database import open_database
        open_database(args.database)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    out = _out_dir(args)
    progress = not args.json
    if progress:
        wanted = getattr(args, "examples", None)
        budget = f"{args.seconds:g}s" + (f" or {wanted} examples" if wanted else "")
        print(f"fuzz: {len(names)} properties, {budget}, seed {seed}, {args.jobs} job(s)"
              + (f", database {args.database}" if args.database else ""), file=sys.stderr)
        for n, why in left_out.items():
            print(f"fuzz: {n} left out: {why}", file=sys.stderr)
    started = time.monotonic()
    work = (args.seconds, seed, names, args.database, str(out), progress)
    wanted = getattr(args, "examples", None)
    share = [None] * args.jobs if wanted is None else \
        [wanted // args.jobs + (j < wanted % args.jobs) for j in range(args.jobs)]
    if args.jobs == 1:
        results = [run_worker(0, *work, share[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = [f.result() for f in [pool.submit(run_worker, j, *work, share[j]) for j in range(args.jobs)]]
    elapsed = time.monotonic() - started
    summary = _summary(results, names, PROPERTIES, elapsed, seed, args, out)
    summary["left_out"] = left_out
    if args.html:
        from virtconform.conformance.reports import write_html
        write_html(args.html, "fuzz", summary)
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_summary(summary)
    return 1 if summary["failures"] else 0


def _summary(results: list[dict[str, Any]], names: list[str], props: dict[str, Any], elapsed: float,
             seed: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from virtconform.conformance.campaign.properties import skips_beyond_bound
    per: dict[str, dict[str, Any]] = {}
    for n in names:
        agg: dict[str, Any] = {"examples": 0, "skipped": 0, "failures": 0, "replayed": 0, "skip_reasons": {}}
        for r in results:
            s = r["stats"][n]
            for k in ("examples", "skipped", "failures", "replayed"):
                agg[k] += s[k]
            for reason, c in s["skip_reasons"].items():
                agg["skip_reasons"][reason] = agg["skip_reasons"].get(reason, 0) + c
        tried = agg["examples"] + agg["skipped"]
        agg["skip_rate"] = round(agg["skipped"] / tried, 3) if tried else 0.0
        agg["max_skip"] = props[n].max_skip
        agg["skip_reasons"] = dict(sorted(agg["skip_reasons"].items(), key=lambda kv: -kv[1]))
        per[n] = agg
    failures = [f for r in results for f in r["failures"]]
    for n, s in per.items():
        if skips_beyond_bound(s["skipped"], s["examples"] + s["skipped"], s["max_skip"]):
            top = "; ".join(f"{c}x {r}" for r, c in list(s["skip_reasons"].items())[:3])
            failures.append({"property": n, "source": "skip rate",
                             "error": f"skipped {s['skip_rate']:.0%} of its {s['examples'] + s['skipped']} examples: "
                                      f"more than its bound {s['max_skip']:.0%} at 99% confidence (it checks "
                                      f"too little): {top}"})
    examples = sum(s["examples"] for s in per.values())
    return {"examples": examples, "skipped": sum(s["skipped"] for s in per.values()),
            "replayed": sum(s["replayed"] for s in per.values()),
            "failures": len(failures), "properties": names, "per_property": per,
            "seconds": round(elapsed, 2),
            "examples_per_second": round(examples / elapsed, 1) if elapsed > 0 else 0.0,
            "seed": seed, "jobs": args.jobs, "database": args.database,
            "corpus_saved": sum(r.get("corpus_saved", 0) for r in results),
            "reproducers": str(out) if any(f.get("reproducer") for f in failures) else None,
            "timeline": [r.get("samples", []) for r in results],
            "failed": [{k: v for k, v in f.items() if k != "xml"} | {"error": f["error"].splitlines()[0][:300]}
                       for f in failures]}


def _print_summary(s: dict[str, Any]) -> None:
    err = sys.stderr
    print(f"{s['examples']} examples in {s['seconds']:.1f}s ({s['examples_per_second']}/s), "
          f"{s['skipped']} skipped (outside a property's domain, not counted), "
          f"{s['replayed']} replayed from the database, {s['failures']} failure(s)", file=err)
    for n, p in s["per_property"].items():
        print(f"  {n:22s} {p['examples']:7d} examples {p['skipped']:7d} skipped ({p['skip_rate']:.0%}, "
              f"bound {p['max_skip']:.0%})  {p['failures']} failure(s)", file=err)
        for reason, c in list(p["skip_reasons"].items())[:3]:
            print(f"      skipped {c}x: {reason}", file=err)
    if s["database"]:
        print(f"database {s['database']}: {s['corpus_saved']} coverage-increasing example(s) added",
              file=err)
    for f in s["failed"]:
        print(f"FAIL {f['property']}: {f['error']}", file=err)
    if s["reproducers"]:
        print(f"reproducers in {s['reproducers']}  (replay: virtconform fuzz --replay {s['reproducers']})",
              file=err)


def _bytes(args: argparse.Namespace) -> int:
    from virtconform.conformance.campaign.bytefuzz import campaign
    out = _out_dir(args)
    if not args.json:
        print(f"fuzz --bytes {args.bytes}: {args.seconds:g}s", file=sys.stderr)
    report = campaign(args.bytes, args.seconds, out, progress=not args.json)
    report["reproducers"] = str(out) if report["failures"] else None
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"{report['executions']} executions in {report['seconds']:.1f}s "
              f"({report['seeds']} seeds, engine {report['engine']}), {len(report['failures'])} failure(s)",
              file=sys.stderr)
        for f in report["failures"]:
            print(f"FAIL {f['target']}: {f['error'][:300]}\n  reproducer: {f['reproducer']}", file=sys.stderr)
        if report["failures"]:
            print(f"replay: virtconform fuzz --replay {out}", file=sys.stderr)
    return 1 if report["failures"] else 0


def _replay(args: argparse.Namespace) -> int:
    from virtconform.conformance.campaign.replay import replay
    results = replay(Path(args.replay))
    failing = [r for r in results if r["status"] in ("fails", "unknown")]
    if args.json:
        json.dump({"reproducers": len(results), "failing": len(failing), "results": results}, sys.stdout)
        sys.stdout.write("\n")
    else:
        for r in results:
            line = f"{r['status']:8s} {r['what']}: {r['reproducer']}"
            print(line + (f"\n         {r['error']}" if r["error"] else ""), file=sys.stderr)
        print(f"{len(results)} reproducer(s): {len(failing)} still failing", file=sys.stderr)
    return 1 if failing else 0
