"""Batch validation: one `virtconform validate` process vs one `xmllint --relaxng`, same files.

Two working sets of ~2,000 documents each, in temporary directories:

- **valid**: `corpus_gen.py`'s working set (reference documents, the project corpus and
  `virtconform generate` output, copied with light perturbations; all schema-valid);
- **mixed**: the project corpus (valid and invalid) and the reference documents, renamed,
  a fifth of them with a wrong enumeration value or number: ~38% invalid. Every invalid
  document gets located, innermost diagnostics, a cost xmllint does not pay.

Both commands run as whole processes (start-up included) on the same file list, side by
side: each round runs both, alternating which goes first (`-n` rounds, default 5). Wall
and CPU time (user + system of the process and its workers) are reported, min and
median, with "virtconform takes N x the time of xmllint" (wall, from the minima: on a
shared machine the least disturbed round) and the same for CPU. virtconform uses all
cores by default (`--jobs` of validate); xmllint has one. The load average before and
after is printed: rerun when the machine was busy and the medians are far above the minima.
Bytecode is cached in a temp dir as in `bench_startup.py` (`--as-is` keeps the
inherited environment). No assertions.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import ENV, SCHEMA, XMLLINT, bytecode_env, virtconform  # noqa: E402
from corpus_gen import REPO, SHARED, build_working_set  # noqa: E402


def mixed_sources() -> list[bytes]:
    """Seeds of the mixed set: the project corpus (valid and invalid) and the reference data."""
    paths = sorted((REPO / "corpus" / "domains").glob("*.xml"))
    paths += sorted((REPO / "corpus" / "invalid").glob("*.xml"))
    ref = SHARED / "libvirt-0.8.3" / "data"
    if ref.is_dir():
        paths += sorted(ref.glob("*.xml"))
    return [p.read_bytes() for p in paths]


def perturb(data: bytes, rng: random.Random, i: int) -> bytes:
    """A variant of ``data``: renamed, sometimes with a wrong enum or number."""
    out = data.replace(b"<name>", b"<name>b%d-" % i, 1)
    roll = rng.random()
    if roll < 0.1:
        out = out.replace(b"bus='ide'", b"bus='idee'", 1)
    elif roll < 0.2:
        out = out.replace(b"<vcpu>1</vcpu>", b"<vcpu>0</vcpu>", 1)
    return out


def build_mixed(directory: Path, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seeds = mixed_sources()
    files = []
    for i in range(count):
        p = directory / f"doc{i:05d}.xml"
        p.write_bytes(perturb(seeds[i % len(seeds)], rng, i))
        files.append(str(p))
    return files


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the process and the children it
    waited for), exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.returncode


def side_by_side(cmds: dict[str, list[str]], rounds: int) -> dict[str, list[tuple[float, float, int]]]:
    """Every command once per round; the order alternates between rounds."""
    for cmd in cmds.values():
        timed(cmd)  # page cache and bytecode
    out: dict[str, list[tuple[float, float, int]]] = {k: [] for k in cmds}
    labels = list(cmds)
    for i in range(rounds):
        for label in labels if i % 2 == 0 else labels[::-1]:
            out[label].append(timed(cmds[label]))
    return out


def report(title: str, runs: dict[str, list[tuple[float, float, int]]], yardstick: str) -> None:
    print(f"{title}")
    print(f"  {'command':34s} {'wall min':>9s} {'median':>8s} {'CPU min':>8s} {'median':>8s}  exit")
    for label, rs in runs.items():
        walls, cpus = [r[0] for r in rs], [r[1] for r in rs]
        codes = ",".join(str(c) for c in sorted({r[2] for r in rs}))
        print(f"  {label:34s} {min(walls):8.3f}s {statistics.median(walls):7.3f}s"
              f" {min(cpus):7.3f}s {statistics.median(cpus):7.3f}s  {codes}")
    y_wall = min(r[0] for r in runs[yardstick])
    y_cpu = min(r[1] for r in runs[yardstick])
    for label, rs in runs.items():
        if label == yardstick:
            continue
        wall = min(r[0] for r in rs) / y_wall
        cpu = min(r[1] for r in rs) / y_cpu
        med = statistics.median(r[0] for r in rs) / statistics.median(r[0] for r in runs[yardstick])
        print(f"  {label} takes {wall:.2f}x the time of {yardstick} (wall, minima;"
              f" medians {med:.2f}x); CPU {cpu:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", "--rounds", type=int, default=5)
    ap.add_argument("--jobs1", action="store_true", help="also run `validate --jobs 1`")
    ap.add_argument("--only", choices=["valid", "mixed"], help="one working set only")
    ap.add_argument("--as-is", action="store_true",
                    help="keep the inherited PYTHONDONTWRITEBYTECODE (no bytecode cache)")
    args = ap.parse_args()
    if not Path(XMLLINT).exists():
        print(f"skipped: {XMLLINT} is not installed (needed as the yardstick)")
        return 0
    print(f"python: {bytecode_env(args.as_is)}")
    print(f"cores: {len(os.sched_getaffinity(0))}; load average before: "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    vc = virtconform()
    try:
        for which in ("valid", "mixed"):
            if args.only and args.only != which:
                continue
            tmp = Path(tempfile.mkdtemp(prefix=f"vc-bench-validate-{which}-"))
            try:
                if which == "valid":
                    ws = build_working_set(args.count, args.seed, tmp)
                    files, title = ws.files, f"valid: {len(ws.files)} documents (corpus_gen.py)"
                else:
                    files = build_mixed(tmp, args.count, args.seed)
                    title = f"mixed: {len(files)} documents, ~38% invalid"
                xl = "xmllint --noout --relaxng"
                cmds = {xl: [XMLLINT, "--noout", "--relaxng", str(SCHEMA), *files],
                        "virtconform validate": [*vc, "validate", *files]}
                if args.jobs1:
                    cmds["virtconform validate --jobs 1"] = [*vc, "validate", "--jobs", "1", *files]
                runs = side_by_side(cmds, args.rounds)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            report(f"{title}; {args.rounds} rounds side by side", runs, xl)
    finally:
        if "PYTHONPYCACHEPREFIX" in ENV and not args.as_is:
            shutil.rmtree(ENV["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
