"""Batch validation speed: one `virtconform validate` process vs xmllint --relaxng.

Builds ~2,000 documents by copying and perturbing the project corpus and (when
present) the reference documents of ../shared into a temporary directory, then
times both validators on the same files, alternately, best of 3. The goal is
to take at most the time of xmllint (1.0x) with the default options (all
cores; invalid documents get located, innermost diagnostics that xmllint does
not compute). Prints wall and CPU times and "N x the time of xmllint" (wall; the
CPU ratio says what a loaded machine would show); no assertions.
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from virtconform.conformance.suites.shared import shared_dir

REPO = Path(__file__).resolve().parents[1]
SHARED = shared_dir() or REPO.parent / "shared"  # one lookup, shared with tests and demo
XMLLINT = "/usr/bin/xmllint"


def sources(with_invalid: bool = True) -> list[bytes]:
    """Seed documents: the project corpus (valid and invalid) and the reference data."""
    paths = sorted((REPO / "corpus" / "domains").glob("*.xml"))
    if with_invalid:
        paths += sorted((REPO / "corpus" / "invalid").glob("*.xml"))
    ref = SHARED / "libvirt-0.8.3" / "data"
    if ref.is_dir():
        paths += sorted(ref.glob("*.xml"))
    return [p.read_bytes() for p in paths]


def perturb(data: bytes, rng: random.Random, i: int, mutate: bool = True) -> bytes:
    """A variant of ``data``: renamed, sometimes with a wrong enum or number."""
    out = data.replace(b"<name>", b"<name>b%d-" % i, 1)
    roll = rng.random() if mutate else 1.0
    if roll < 0.1:
        out = out.replace(b"bus='ide'", b"bus='idee'", 1)
    elif roll < 0.2:
        out = out.replace(b"<vcpu>1</vcpu>", b"<vcpu>0</vcpu>", 1)
    return out


def build(directory: Path, count: int, seed: int, invalid: bool = True) -> list[str]:
    """``invalid``: mix in invalid documents (about 38%), whose errors are located
    element by element, a cost xmllint does not pay."""
    rng = random.Random(seed)
    seeds = sources(invalid)
    files = []
    for i in range(count):
        p = directory / f"doc{i:05d}.xml"
        p.write_bytes(perturb(seeds[i % len(seeds)], rng, i, invalid))
        files.append(str(p))
    return files


def timed(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, exit status, and CPU seconds (user + system, all processes of the run)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, r.returncode, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not Path(XMLLINT).exists():
        print(f"skipped: {XMLLINT} is not installed (needed as the baseline)")
        return 0
    schema = str(REPO / "schemas" / "domain.rng")
    for label, invalid in (("all valid", False), ("mixed, ~38% invalid", True)):
        tmp = Path(tempfile.mkdtemp(prefix="vc-bench-"))
        try:
            files = build(tmp, args.count, args.seed, invalid)
            vc = [sys.executable, "-m", "virtconform.conformance.cli", "validate", *files]
            xl = [XMLLINT, "--noout", "--relaxng", schema, *files]
            timed(vc[:5] + files[:5])  # warm the page cache and bytecode
            runs = [(timed(vc), timed(xl)) for _ in range(3)]  # side by side, alternating
            t_vc, rc_vc, cpu_vc = min(r[0] for r in runs)
            t_xl, rc_xl, cpu_xl = min(r[1] for r in runs)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"{label}: {len(files)} documents, best of 3")
        print(f"  virtconform: {t_vc:.3f} s wall, {cpu_vc:.3f} s CPU (exit {rc_vc}; all cores)")
        print(f"  xmllint:     {t_xl:.3f} s wall, {cpu_xl:.3f} s CPU (exit {rc_xl}; {XMLLINT} --noout --relaxng)")
        print(f"  virtconform takes {t_vc / t_xl:.2f}x the time of xmllint (goal: at most 1.0x);"
              f" CPU {cpu_vc / cpu_xl:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
