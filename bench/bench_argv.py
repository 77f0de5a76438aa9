"""Whole-pipeline throughput (XML file -> QEMU argv) against lxml parse + RelaxNG validate.

One process, ~2,000 documents (bench/corpus_gen.py). For each named capability set (a
current one, qemu-0.12.1, and a legacy one, qemu-0.9.1 by default) the documents are
first sorted into those that build a command line and those the set refuses (a flag it
lacks): throughput counts command lines, so only the documents that build are timed,
and the floor runs on the very same documents. Measured side by side, in alternating
rounds, best round kept:

  floor      read file + lxml.etree.fromstring + etree.RelaxNG(domain.rng).validate
  pipeline   read_document + schema.check + Domain model + defaults
             + build_command_line(...).render() for the capability set

Prints command lines/s and the pipeline/floor time ratio (the issue's goal: the pipeline
within 2.5x of the floor), the refused count (and, apart, what a refusal costs), then a
per-stage breakdown (read+parse, validate, model+defaults, argv) so slow stages stand
out. ``--profile`` adds a cProfile run of the pipeline (top functions by own time and
by cumulative time). No assertions.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.modules.setdefault("rnc2rng", None)  # type: ignore[arg-type]  # as the CLI does: lxml would import it
from corpus_gen import build_working_set  # noqa: E402
from lxml import etree  # noqa: E402

from virtconform.engine import schema  # noqa: E402
from virtconform.engine.caps.flags import resolve  # noqa: E402
from virtconform.engine.caps.profiles import get_profile  # noqa: E402
from virtconform.engine.errors import VirtconformError  # noqa: E402
from virtconform.engine.loader import parse_domain  # noqa: E402
from virtconform.engine.qemu.builder import build_command_line  # noqa: E402
from virtconform.engine.xmlio import read_document  # noqa: E402

GOAL = 2.5


def make_floor(schema_path: Path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    rng = etree.RelaxNG(etree.parse(str(schema_path)))

    def floor(files: list[str]) -> int:
        ok = 0
        for f in files:
            with open(f, "rb") as fh:
                root = etree.fromstring(fh.read(), parser)
            ok += rng.validate(root)
        return ok
    return floor


def make_pipeline(profile, flags):
    caps = profile.capabilities

    def pipeline(files: list[str]) -> tuple[int, int]:
        ok = refused = 0
        for f in files:
            try:
                dom = parse_domain(read_document(f), caps, validate=True)
                build_command_line(dom, flags, profile=profile, domid=profile.domid).render()
                ok += 1
            except VirtconformError:
                refused += 1
        return ok, refused
    return pipeline


def split_by_outcome(files: list[str], profile, flags) -> tuple[list[str], list[str]]:
    """(documents that build a command line for ``flags``, documents refused)."""
    ok, refused = [], []
    run = make_pipeline(profile, flags)
    for f in files:
        (ok if run([f])[0] else refused).append(f)
    return ok, refused


def stages(files: list[str], profile, flags) -> dict[str, float]:
    """Seconds spent in each pipeline stage over ``files`` (perf_counter around each)."""
    caps = profile.capabilities
    t = {"read+parse": 0.0, "validate": 0.0, "model+defaults": 0.0, "argv": 0.0}
    clock = time.perf_counter
    for f in files:
        t0 = clock()
        doc = read_document(f)
        t1 = clock()
        schema.check(doc)
        t2 = clock()
        t["read+parse"] += t1 - t0
        t["validate"] += t2 - t1
        try:
            dom = parse_domain(doc, caps, validate=False)
        except VirtconformError:
            t["model+defaults"] += clock() - t2
            continue
        t3 = clock()
        t["model+defaults"] += t3 - t2
        try:
            build_command_line(dom, flags, profile=profile, domid=profile.domid).render()
        except VirtconformError:
            pass
        t["argv"] += clock() - t3
    return t


def floor_stages(files: list[str], schema_path: Path) -> dict[str, float]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    rng = etree.RelaxNG(etree.parse(str(schema_path)))
    t = {"read+parse": 0.0, "validate": 0.0}
    clock = time.perf_counter
    for f in files:
        t0 = clock()
        with open(f, "rb") as fh:
            root = etree.fromstring(fh.read(), parser)
        t1 = clock()
        rng.validate(root)
        t["read+parse"] += t1 - t0
        t["validate"] += clock() - t1
    return t


def profile_run(files: list[str], profile, flags, top: int) -> str:
    run = make_pipeline(profile, flags)
    prof = cProfile.Profile()
    prof.enable()
    run(files)
    prof.disable()
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; best is kept")
    ap.add_argument("--caps", default="qemu-0.12.1", help="current named capability set")
    ap.add_argument("--legacy-caps", default="qemu-0.9.1", help="legacy named capability set")
    ap.add_argument("--profile", action="store_true", help="also cProfile the pipeline")
    ap.add_argument("--top", type=int, default=25, help="rows of each cProfile table")
    args = ap.parse_args()

    ws = build_working_set(args.count, args.seed)
    try:
        return run(ws, args)
    finally:
        ws.cleanup()


def run(ws, args) -> int:
    files = ws.files
    print(ws.report())
    schema_path = schema.shipped_schema_path()
    profile = get_profile("libvirt-test")
    floor = make_floor(schema_path)
    schema.load_schema()  # warm-up: schema compile, profile capabilities, lazy imports
    floor(files[:50])
    sets = {name: resolve(name) for name in (args.caps, args.legacy_caps)}
    for name, flags in sets.items():
        ok, refused = split_by_outcome(files, profile, flags)
        pipeline = make_pipeline(profile, flags)
        pipeline(files[:50])
        runners = {"floor (lxml parse + RelaxNG)": floor, f"pipeline --caps {name}": pipeline}
        times: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(args.rounds):
            for label, fn in runners.items():
                t0 = time.perf_counter()
                fn(ok)
                times[label].append(time.perf_counter() - t0)
        n = len(ok)
        print(f"\n--caps {name}: {n} documents build a command line, {len(refused)} are refused"
              f" (not counted); best of {args.rounds} alternating rounds over the {n}"
              f" (median in brackets):")
        floor_best = min(times["floor (lxml parse + RelaxNG)"])
        for label, ts in times.items():
            best = min(ts)
            extra = "" if label.startswith("floor") else \
                f"  ratio {best / floor_best:5.2f}x floor (goal <= {GOAL}x)"
            print(f"  {label:34s} {n / best:8.0f} /s  [{n / statistics.median(ts):8.0f}]"
                  f"  {1e6 * best / n:7.0f} us/doc{extra}")
        if refused:
            t0 = time.perf_counter()
            pipeline(refused)
            print(f"  (a refusal costs {1e6 * (time.perf_counter() - t0) / len(refused):.0f} us:"
                  " read, validated, modelled, refused where the flag is missing)")
        st = stages(ok, profile, flags)
        total = sum(st.values())
        parts = "  ".join(f"{k} {1e6 * v / n:6.0f} ({100 * v / total:4.1f}%)" for k, v in st.items())
        fl = floor_stages(ok, schema_path)
        print("  per stage (us/doc; perf_counter around each stage, one pass):")
        print(f"    {'floor':10s} " + "  ".join(f"{k} {1e6 * v / n:6.0f}" for k, v in fl.items()))
        print(f"    {'pipeline':10s} {parts}  total {1e6 * total / n:6.0f}")
        if args.profile:
            print(f"\n  cProfile of the pipeline (--caps {name}, {n} documents):")
            print(profile_run(ok, profile, flags, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
