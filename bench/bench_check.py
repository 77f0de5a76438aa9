"""`virtconform check` as CI runs it: whole processes on 300 generated domains x 3 targets.

Working set: `virtconform generate` documents that virtconform accepts (300 of them), a
virtconform.toml with three targets (qemu-0.12.1, qemu-0.9.1, kvm-74) and a lock file
written by `check --update`. Rounds (`-n`, default 7) run every command once as a fresh
process, start-up included, the order rotating between rounds:

- yardsticks: `python -c pass` (the interpreter floor) and `xmllint --noout --relaxng
  schemas/domain.rng` over the same 300 files (validation only, in C; skipped when
  /usr/bin/xmllint is absent);
- `virtconform check --no-cache` (cold: every document validated, modelled and built
  for every target, on all cores), as installed (install_like.py: a regular install's
  layout) and through the editable dev venv;
- `check --no-cache --jobs 1` (installed), to show what the worker processes buy;
- `check` with a warm .virtconform_cache/ (installed: unchanged documents are answered
  from the cache).

Prints median and minimum wall time, document-targets per second of each (the issue's
goal is >= 2,000/s on 2 cores including start-up), each time as a multiple of xmllint's,
and the CPU time of the process and its workers (a loaded machine stretches wall time
far more than CPU time). No assertions: read the ratios, and rerun when medians are far
above minima.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import install_like  # noqa: E402
from bench_startup import ENV, SCHEMA, XMLLINT, bytecode_env, virtconform  # noqa: E402

TARGETS = ["qemu-0.12.1", "qemu-0.9.1", "kvm-74"]
COUNT = 300


def working_set(vc: list[str], root: Path) -> int:
    """300 accepted generated documents, a config and a fresh lock; returns the count."""
    (root / "virtconform.toml").write_text(
        'include = ["domains/*.xml"]\n' + f"targets = {json.dumps(TARGETS)}\n")
    subprocess.run([*vc, "generate", "--count", str(COUNT + 40), "--seed", "1", "--out",
                    str(root / "domains")], check=True, env=ENV, stdout=subprocess.DEVNULL)
    out = subprocess.run([*vc, "check", "--format", "json", "--no-cache"], cwd=root, env=ENV,
                         capture_output=True, text=True).stdout
    bad = {r["document"] for r in json.loads(out)["results"] if not r["passed"]
           and any(c["name"] == "valid" and c["status"] == "failed" for c in r["checks"])}
    kept = 0
    for f in sorted((root / "domains").glob("*.xml")):
        if f"domains/{f.name}" in bad or kept >= COUNT:
            f.unlink()
        else:
            kept += 1
    subprocess.run([*vc, "check", "--update"], cwd=root, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return kept


def once(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its workers, exit status)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=7)
    ap.add_argument("--as-is", action="store_true", help="keep the inherited PYTHONDONTWRITEBYTECODE")
    args = ap.parse_args()
    note = bytecode_env(args.as_is)
    root = Path(tempfile.mkdtemp(prefix="vc-bench-check-"))
    installed = install_like.build(root / "installed")
    try:
        vc = virtconform()
        docs = working_set(vc, root)
        files = sorted(str(f) for f in (root / "domains").glob("*.xml"))
        work = docs * len(TARGETS)
        print(f"working set: {docs} documents x {len(TARGETS)} targets = {work} document-targets")
        print(f"python: {note}")
        print("load average before: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        inst = [str(installed)]
        cmds: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
        if Path(XMLLINT).exists():
            cmds["xmllint --relaxng (300 files)"] = [XMLLINT, "--noout", "--relaxng", str(SCHEMA), *files]
        cmds["check --no-cache (installed)"] = [*inst, "check", "--no-cache"]
        cmds["check --no-cache (editable, dev)"] = [*vc, "check", "--no-cache"]
        cmds["check --no-cache --jobs 1 (installed)"] = [*inst, "check", "--no-cache", "--jobs", "1"]
        cmds["check, warm cache (installed)"] = [*inst, "check"]
        for cmd in cmds.values():
            once(cmd, root)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        cpus: dict[str, list[float]] = {k: [] for k in cmds}
        codes: dict[str, set[int]] = {k: set() for k in cmds}
        labels = list(cmds)
        for i in range(args.runs):
            k = i % len(labels)
            for label in labels[k:] + labels[:k]:
                t, cpu, rc = once(cmds[label], root)
                times[label].append(t)
                cpus[label].append(cpu)
                codes[label].add(rc)
        xl_key = "xmllint --relaxng (300 files)"
        xl = statistics.median(times[xl_key]) if xl_key in times else None
        print(f"\nwall time over {args.runs} rounds, order rotating:")
        print(f"  {'command':38s} {'median ms':>9s} {'min':>7s} {'doc-targets/s':>14s}"
              + (f" {'x xmllint':>10s}" if xl else "") + f" {'CPU ms':>7s}  exit")
        for label, ts in times.items():
            med = statistics.median(ts)
            rate = f"{work / med:7,.0f} ({work / min(ts):,.0f})" if label.startswith("check") else ""
            row = f"  {label:38s} {1000 * med:9.1f} {1000 * min(ts):7.1f} {rate:>14s}"
            if xl:
                row += f" {med / xl:10.2f}"
            row += f" {1000 * statistics.median(cpus[label]):7.1f}"
            print(row + f"  {','.join(map(str, sorted(codes[label])))}")
        print("  (document-targets/s of the median, of the minimum in brackets; x xmllint and CPU:\n"
              "   medians. CPU is user+system of the process and its workers. With N cores free, a\n"
              "   run whose work divides takes about CPU/N plus its serial start-up; on cores other\n"
              "   sessions keep busy the scheduler shares them per session, and workers buy little.)")
        print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
