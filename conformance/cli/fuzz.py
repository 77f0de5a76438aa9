"""`virtconform fuzz`: the conformance properties, round-robin, for a time budget.

Each round gives every property a short Hypothesis run (a batch of examples
with its own seed), so all properties progress evenly and the whole budget is
used. A failure is shrunk by Hypothesis; the minimal document is written to
``--out`` with the property name and the error. ``--jobs N`` runs N such
campaigns in processes with different seeds; ``--database DIR`` keeps
Hypothesis' example database between campaigns (failures replay first).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

BATCH = 10


def _campaign(job: int, seconds: float, seed: int, names: list[str], database: str | None,
              out: str | None, progress: bool) -> dict[str, Any]:
    """One process' share: run until the deadline, return counts and failures."""
    from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
    from hypothesis import seed as hseed
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import Unsatisfiable

    from virtconform.conformance.campaign.minimize import minimize, signature
    from virtconform.conformance.campaign.properties import PROPERTIES, Skip
    from virtconform.conformance.generators.strategies import domains

    db = DirectoryBasedExampleDatabase(database) if database else None
    stats = {n: {"examples": 0, "skipped": 0, "failures": 0} for n in names}
    failures: list[dict[str, str]] = []
    seen_errors: set[tuple[str, str]] = set()
    rng = random.Random(seed * 7919 + job)
    start = time.monotonic()
    deadline = start + seconds
    last_report = start
    rnd = 0
    while time.monotonic() < deadline:
        for name in names:
            if time.monotonic() >= deadline:
                break
            prop = PROPERTIES[name]
            last: dict[str, Any] = {}
            check = _checker(prop, stats[name], last, Skip, assume)
            # Hypothesis' shrinker can take minutes on a big domain: minimize.py does it in budget
            phases = [Phase.explicit, Phase.reuse, Phase.generate]
            test = settings(max_examples=BATCH, deadline=None, database=db, derandomize=False, phases=phases,
                            suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                            report_multiple_bugs=False, print_blob=False)(
                given(domains(hostile=prop.hostile))(check))
            test = hseed(rng.getrandbits(64))(test)
            try:
                test()
            except Unsatisfiable:
                pass
            except Exception as e:  # the shrunk counterexample re-raised
                error = last.get("error") or f"{type(e).__name__}: {e}"
                key = (name, signature(error))
                if key not in seen_errors:
                    seen_errors.add(key)
                    if last.get("xml"):
                        grace = time.monotonic() + max(2.0, min(30.0, 0.2 * seconds))
                        last["xml"] = minimize(last["xml"], prop.check, max(deadline, grace))
                        try:
                            prop.check(last["xml"])
                        except Exception as again:  # noqa: BLE001 - the minimized failure's own message
                            error = f"{type(again).__name__}: {again}"
                    stats[name]["failures"] += 1
                    failures.append({"property": name, "error": error, "xml": last.get("xml", "")})
                    if out:
                        _write_reproducer(Path(out), job, len(failures), name, error, last.get("xml", ""))
                    if progress:
                        print(f"[job {job}] FAIL {name}: {error.splitlines()[0][:200]}", file=sys.stderr)
        rnd += 1
        now = time.monotonic()
        if progress and now - last_report >= 2.0:
            last_report = now
            total = sum(s["examples"] for s in stats.values())
            print(f"[job {job}] {now - start:5.1f}s  {total} examples  "
                  f"{total / max(now - start, 1e-9):.0f}/s  failures {len(failures)}", file=sys.stderr)
    return {"stats": stats, "failures": failures, "seconds": time.monotonic() - start}


def _checker(prop: Any, counts: dict[str, int], last: dict[str, Any], skip: type[Exception],
             assume: Any) -> Any:
    """The test body for one property: counts examples, remembers the latest failing input."""
    def check(xml: str) -> None:
        counts["examples"] += 1
        try:
            prop.check(xml)
        except skip:
            counts["skipped"] += 1
            assume(False)
        except BaseException as e:
            last["xml"], last["error"] = xml, f"{type(e).__name__}: {e}"
            raise
    return check


def _write_reproducer(out: Path, job: int, n: int, name: str, error: str, xml: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{job}-{n:03d}"
    comment = f"property: {name}\nerror: {error}".replace("--", "- -")
    (out / f"{stem}.xml").write_text(f"<!--\n{comment}\n-->\n{xml}", encoding="utf-8")
    (out / f"{stem}.json").write_text(json.dumps({"property": name, "error": error, "xml": xml}, indent=1),
                                      encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from virtconform.conformance.campaign.properties import PROPERTIES
    from virtconform.engine.errors import UsageError

    names = list(PROPERTIES)
    if args.property:
        wanted = [p for item in args.property for p in item.split(",") if p]
        unknown = [p for p in wanted if p not in PROPERTIES]
        if unknown:
            raise UsageError(f"unknown property {', '.join(unknown)} (known: {', '.join(PROPERTIES)})")
        names = wanted
    if args.seconds < 0 or args.jobs < 1:
        raise UsageError("--seconds must be >= 0 and --jobs >= 1")
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    progress = not args.json
    if progress:
        print(f"fuzz: {len(names)} properties, {args.seconds:g}s, seed {seed}, {args.jobs} job(s)",
              file=sys.stderr)
    started = time.monotonic()
    if args.jobs == 1:
        results = [_campaign(0, args.seconds, seed, names, args.database, args.out, progress)]
    else:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(_campaign, j, args.seconds, seed, names, args.database, args.out,
                                   progress) for j in range(args.jobs)]
            results = [f.result() for f in futures]
    elapsed = time.monotonic() - started
    per: dict[str, dict[str, int]] = {n: {"examples": 0, "skipped": 0, "failures": 0} for n in names}
    failures: list[dict[str, str]] = []
    for r in results:
        failures += r["failures"]
        for n, s in r["stats"].items():
            for k, v in s.items():
                per[n][k] += v
    examples = sum(s["examples"] for s in per.values())
    summary = {"examples": examples, "failures": len(failures), "properties": names,
               "per_property": per, "seconds": round(elapsed, 2),
               "examples_per_second": round(examples / elapsed, 1) if elapsed > 0 else 0.0,
               "seed": seed, "jobs": args.jobs,
               "failed": [{"property": f["property"], "error": f["error"].splitlines()[0][:300]}
                          for f in failures]}
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"{examples} examples in {elapsed:.1f}s ({summary['examples_per_second']}/s), "
              f"{len(failures)} failure(s)", file=sys.stderr)
        for n, s in per.items():
            print(f"  {n:22s} {s['examples']:6d} examples  {s['skipped']:6d} skipped  "
                  f"{s['failures']} failure(s)", file=sys.stderr)
        for f in failures:
            print(f"FAIL {f['property']}: {f['error'].splitlines()[0][:300]}", file=sys.stderr)
    return 1 if failures else 0
