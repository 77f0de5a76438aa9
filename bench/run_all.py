"""Run every benchmark in bench/ (bench_*.py, in name order) and summarise.

Used by `make bench`. Each script runs as its own process with this interpreter
(the project venv under make), output passed through; a script's exit status is
reported, never turned into a failure of the others. Script arguments
are not forwarded: each script has its own options; run it directly for those.
Options: --only NAME (substring; may repeat), --list.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    return sorted(p for p in BENCH.glob("bench_*.py") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[], metavar="NAME")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    todo = [p for p in scripts() if not args.only or any(o in p.name for o in args.only)]
    if args.list:
        print("\n".join(p.name for p in todo))
        return 0
    summary = []
    for p in todo:
        print(f"\n===== {p.name} =====", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(p)], cwd=BENCH.parent).returncode
        summary.append((p.name, rc, time.perf_counter() - t0))
    print("\n===== summary =====")
    for name, rc, secs in summary:
        print(f"  {name:24s} exit {rc}  ({secs:.1f} s)")
    return 0 if all(rc == 0 for _, rc, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
