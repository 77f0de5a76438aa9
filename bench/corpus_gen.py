"""Working set for the benchmarks: ~2,000 schema-valid domain documents in a temp dir.

Seeds are the reference documents of ../shared/libvirt-0.8.3/data (when present),
the project's corpus/domains/*.xml and, when that command works, the output of
`virtconform generate`. Each working document is a seed copied with light,
seeded perturbations (domain name, uuid, memory, absolute source paths);
documents that do not validate against the shipped schema are skipped.

Library use:  ``ws = build_working_set(count=2000, seed=1)`` -> WorkingSet
(``ws.files``, ``ws.directory``, ``ws.report()``; ``ws.cleanup()`` removes it).
Command line: ``python bench/corpus_gen.py [--count N] [--out DIR] [--keep]``.
Nothing is read from or written into the repository besides reading seeds.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from virtconform.conformance.suites.shared import shared_dir

REPO = Path(__file__).resolve().parents[1]
SHARED = shared_dir() or REPO.parent / "shared"  # one lookup, shared with tests and demo
REFERENCE_DATA = SHARED / "libvirt-0.8.3" / "data"
VENV_BIN = REPO / ".venv" / "bin"

_NAME = re.compile(rb"<name>([^<]*)</name>")
_UUID = re.compile(rb"<uuid>[^<]*</uuid>")
_MEMORY = re.compile(rb"<(memory|currentMemory)>(\d+)</\1>")
_SOURCE_PATH = re.compile(rb"(<source\b[^>]*?\b(?:file|dev)=)(['\"])(/[^'\"]*)\2")


@dataclass
class WorkingSet:
    directory: Path
    files: list[str] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)      # origin -> seed documents used
    seeds_invalid: int = 0                                   # seeds that did not validate
    skipped: int = 0                                         # perturbed copies that did not validate
    generate_note: str = ""
    owned: bool = True

    def report(self) -> str:
        origins = ", ".join(f"{k}: {v}" for k, v in self.seeds.items()) or "none"
        lines = [f"working set: {len(self.files)} documents in {self.directory}",
                 f"  seeds: {origins}; seeds not schema-valid (dropped): {self.seeds_invalid}",
                 f"  perturbed copies skipped (not schema-valid): {self.skipped}"]
        if self.generate_note:
            lines.append(f"  virtconform generate: {self.generate_note}")
        return "\n".join(lines)

    def cleanup(self) -> None:
        if self.owned:
            shutil.rmtree(self.directory, ignore_errors=True)


def _virtconform() -> list[str]:
    exe = VENV_BIN / "virtconform"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "virtconform.conformance.cli"]


def _generated(count: int, seed: int, scratch: Path) -> tuple[list[bytes], str]:
    """Output of `virtconform generate`, or ([], why not)."""
    out = scratch / "generated"
    cmd = [*_virtconform(), "generate", "--count", str(count), "--seed", str(seed), "--out", str(out)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], f"unavailable ({type(e).__name__})"
    files = sorted(out.glob("**/*.xml")) if out.is_dir() else []
    if r.returncode != 0 or not files:
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"unavailable (exit {r.returncode}: {last[:160]})"
    return [p.read_bytes() for p in files], f"{len(files)} documents"


def perturb(data: bytes, rng: random.Random, i: int) -> bytes:
    """A light variant of ``data``: new name and uuid always, memory and paths sometimes."""
    out = _NAME.sub(lambda m: b"<name>" + m.group(1) + b"-w%d</name>" % i, data, count=1)
    new_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()
    out = _UUID.sub(b"<uuid>" + new_uuid + b"</uuid>", out, count=1)
    if rng.random() < 0.5:
        factor = rng.choice((2, 3, 4))  # memory and currentMemory scaled alike
        out = _MEMORY.sub(lambda m: b"<%s>%d</%s>" % (m.group(1), int(m.group(2)) * factor,
                                                       m.group(1)), out)
    if rng.random() < 0.5:
        out = _SOURCE_PATH.sub(lambda m: m.group(1) + m.group(2) + m.group(3) + b"-w%d" % i
                               + m.group(2), out)
    return out


def _seed_documents(gen_count: int, seed: int, scratch: Path,
                    use_generate: bool) -> tuple[dict[str, list[bytes]], str]:
    seeds: dict[str, list[bytes]] = {}
    if REFERENCE_DATA.is_dir():
        seeds["reference"] = [p.read_bytes() for p in sorted(REFERENCE_DATA.glob("*.xml"))]
    seeds["corpus"] = [p.read_bytes() for p in sorted((REPO / "corpus" / "domains").glob("*.xml"))]
    note = "not tried (--no-generate)"
    if use_generate:
        docs, note = _generated(gen_count, seed, scratch)
        if docs:
            seeds["generate"] = docs
    return seeds, note


def _valid(data: bytes) -> bool:
    from virtconform.engine import schema
    from virtconform.engine.errors import VirtconformError
    from virtconform.engine.xmlio import parse_bytes
    try:
        return not schema.validate(parse_bytes(data))
    except VirtconformError:
        return False


def build_working_set(count: int = 2000, seed: int = 1, out: str | Path | None = None,
                      use_generate: bool = True) -> WorkingSet:
    owned = out is None
    directory = Path(tempfile.mkdtemp(prefix="vc-bench-corpus-")) if out is None else Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    ws = WorkingSet(directory=directory, owned=owned)
    rng = random.Random(seed)
    scratch = Path(tempfile.mkdtemp(prefix="vc-bench-gen-"))
    try:
        by_origin, ws.generate_note = _seed_documents(max(count // 10, 20), seed, scratch,
                                                      use_generate)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    pool: list[bytes] = []
    for origin, docs in by_origin.items():
        good = [d for d in docs if _valid(d)]
        ws.seeds_invalid += len(docs) - len(good)
        ws.seeds[origin] = len(good)
        pool += good
    if not pool:
        raise SystemExit("corpus_gen: no schema-valid seed documents found")
    i = attempts = 0
    while len(ws.files) < count and attempts < count * 3:
        data = perturb(pool[attempts % len(pool)], rng, attempts)
        attempts += 1
        if not _valid(data):
            ws.skipped += 1
            continue
        path = directory / f"doc{i:05d}.xml"
        path.write_bytes(data)
        ws.files.append(str(path))
        i += 1
    return ws


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="directory to write into (default: a new temp dir, kept)")
    ap.add_argument("--no-generate", action="store_true", help="do not try `virtconform generate`")
    args = ap.parse_args()
    ws = build_working_set(args.count, args.seed, args.out, use_generate=not args.no_generate)
    print(ws.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
