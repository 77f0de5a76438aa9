"""`virtconform crosscheck` on 2,000 generated documents x every named capability set.

Needs libvirt's own code (../shared/oracle/libvirt083-oracle, or VIRTCONFORM_ORACLE); exits 0
with a note without it. Working set: `virtconform generate --count N --seed S` (default
2,000, seed 1), the documents crosscheck makes itself. Interleaved rounds (`-n`, default 3),
each a fresh process:

- yardstick: libvirt's own code alone doing the same conversions the way crosscheck asks for
  them, its batch modes side by side (xml2xml-batch, xml2argv-batch per set, then
  argv2xml-batch on the command lines it built) — what a differential run can never beat;
- `virtconform crosscheck --count N --seed S --minimize-seconds 0`: generation, both sides,
  comparison, grouping (no minimization);
- the same with the default minimization budget (20 s): the whole run as a user sees it.

Prints min/median wall time, each as a multiple of the yardstick, and the agreement the
run measured (the fidelity scoreboard: where libvirt builds, how often ours is identical).
No assertions: read the ratios; rerun when medians are far above minima.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _oracle() -> str | None:
    from virtconform.conformance.suites.shared import oracle_command
    cmd = oracle_command()
    return str(cmd) if cmd is not None else None


def yardstick(oracle: str, files: list[str]) -> float:
    """libvirt's own code over the same documents, in batch mode, side by side."""
    from virtconform.conformance.crosscheck.protocol import Oracle
    from virtconform.engine.caps.flags import NAMED_SETS
    o = Oracle(oracle)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(NAMED_SETS) + 1) as threads:
        jobs = [threads.submit(o.batch, "argv", files, flags) for flags in NAMED_SETS.values()]
        xml = threads.submit(o.batch, "xml2xml", files)
        lines = sorted({a.text for j in jobs for a in j.result().values() if a.built})
        xml.result()
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        paths = []
        for n, line in enumerate(lines):
            p = Path(d) / f"{n:05d}.args"
            p.write_text(line)
            paths.append(str(p))
        o.batch("argv2xml", paths)
    return time.perf_counter() - t0


def crosscheck(oracle: str, count: int, seed: int, minimize: float | None) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "virtconform.conformance.cli", "crosscheck", "--oracle", oracle,
           "--count", str(count), "--seed", str(seed), "--json"]
    if minimize is not None:
        cmd += ["--minimize-seconds", str(minimize)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise SystemExit(f"crosscheck failed (exit {p.returncode}): {p.stderr.strip()[-500:]}")
    return took, json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=3)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    oracle = _oracle()
    if oracle is None:
        print("bench_crosscheck: ../shared/oracle is not present; nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, "-m", "virtconform.conformance.cli", "generate", "--count",
                        str(args.count), "--seed", str(args.seed), "--out", d], check=True)
        from virtconform.conformance.crosscheck.documents import pin_random
        for f in Path(d).glob("*.xml"):  # what crosscheck hands the oracle
            f.write_text(pin_random(f.read_text()))
        files = sorted(str(f) for f in Path(d).glob("*.xml"))
        times: dict[str, list[float]] = {"libvirt's code alone (yardstick)": [], "crosscheck, no minimizing": [],
                                         "crosscheck (default)": []}
        report: dict = {}
        for _ in range(args.rounds):
            times["libvirt's code alone (yardstick)"].append(yardstick(oracle, files))
            took, _ = crosscheck(oracle, args.count, args.seed, 0)
            times["crosscheck, no minimizing"].append(took)
            took, report = crosscheck(oracle, args.count, args.seed, None)
            times["crosscheck (default)"].append(took)
    base = min(times["libvirt's code alone (yardstick)"])
    print(f"{args.count} documents (seed {args.seed}) x {len(report['capability_sets'])} capability sets, "
          f"{args.rounds} rounds, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        print(f"  {name:34s} min {min(ts):6.1f} s  median {statistics.median(ts):6.1f} s  "
              f"{min(ts) / base:5.1f}x the yardstick")
    print(f"  minimized {len(report['groups'])} disagreement kinds, {len(report['crashes'])} crash kinds "
          f"in {report['minimize_seconds']:.1f} s")
    print("agreement (where libvirt builds: identical; where libvirt refuses: we refuse too):")
    for c in report["totals"]:
        print(f"  {c['mode']:9s} identical {c['identical']}/{c['libvirt_built']} ({c['identical_percent']}%)"
              f"  refused {c['refused_too']}/{c['libvirt_refused']} ({c['refused_percent']}%)"
              f"  host-dependent {c['host_dependent']}  libvirt crashes {c['libvirt_crashes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
