"""Campaign throughput: N `fuzz` workers sharing one example database, beside a yardstick.

Starts a private `redis-server` on a free loopback port (or uses `--database URL|DIR`),
runs N `virtconform fuzz --json --seconds S --database ...` processes at once with
different seeds, and reports examples/s together (skipped examples are not examples),
per-property counts and skip rates, failures, and how many keys Redis holds afterwards.
The yardstick, run in the same conditions right before: the same N processes generating
the same kind of documents and only validating them with lxml's RelaxNG (`virtconform
generate`'s generator + the schema check), i.e. the floor any property pays per document.
Prints examples/s and the ratio campaign/yardstick in documents per second. No assertions.

    python bench/bench_fuzz.py                 # 2 workers, 40 s, private redis-server
    python bench/bench_fuzz.py --workers 2 --seconds 15 --property argv-total
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time

YARDSTICK = """
import random, sys, time
from virtconform.conformance.generators.domaingen import generate_domain_text
from virtconform.engine import schema, xmlio
seconds, seed = float(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
schema.load_schema()
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    for hostile in (False, True):
        schema.validate(xmlio.parse_bytes(generate_domain_text(r.getrandbits(64), hostile=hostile).encode()))
        n += 1
print(n)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(work: str) -> tuple[subprocess.Popen | None, str | None]:
    server = shutil.which("redis-server")
    if server is None:
        return None, None
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc, f"redis://127.0.0.1:{port}/0"


def _keys(url: str) -> int | None:
    try:
        import redis
        return len(redis.Redis.from_url(url).keys(b"*virtconform*"))
    except Exception:  # noqa: BLE001 - a figure, not a verdict
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--database", help="redis://HOST:PORT/DB or DIR (default: a private redis-server)")
    ap.add_argument("--property", action="append", default=[])
    ap.add_argument("--no-yardstick", action="store_true")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bench-fuzz-")
    server = None
    url = args.database
    if url is None:
        server, url = _redis(work)
        if url is None:
            url = f"{work}/db"
            print("redis-server not found: using a directory database")
    try:
        if not args.no_yardstick:
            t0 = time.monotonic()
            ys = [subprocess.Popen([sys.executable, "-c", YARDSTICK, str(args.seconds), str(s)],
                                   stdout=subprocess.PIPE, text=True) for s in range(args.workers)]
            docs = sum(int(p.communicate()[0]) for p in ys)
            y_rate = docs / (time.monotonic() - t0)
            print(f"yardstick: {args.workers} processes generate + RelaxNG-validate: {docs} documents, "
                  f"{y_rate:.0f} docs/s")
        extra = [a for p in args.property for a in ("--property", p)]
        t0 = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "virtconform.conformance.cli", "fuzz", "--json",
                                   "--seconds", str(args.seconds), "--seed", str(100 + s), "--database", url,
                                   "--out", f"{work}/out", *extra], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True) for s in range(args.workers)]
        reports = [json.loads(p.communicate()[0]) for p in procs]
        wall = time.monotonic() - t0
        examples = sum(r["examples"] for r in reports)
        per_worker = [round(r["examples"] / r["seconds"]) for r in reports]
        print(f"campaign: {args.workers} workers x {args.seconds:g}s, database {url}")
        print(f"  {examples} examples in {wall:.1f}s wall: {examples / args.seconds:.0f} examples/s together "
              f"(per worker {per_worker}); skipped {sum(r['skipped'] for r in reports)} (not counted); "
              f"replayed {sum(r['replayed'] for r in reports)}; failures {sum(r['failures'] for r in reports)}")
        names = reports[0]["properties"]
        for n in names:
            ex = sum(r["per_property"][n]["examples"] for r in reports)
            sk = sum(r["per_property"][n]["skipped"] for r in reports)
            print(f"    {n:22s} {ex:7d} examples {sk:7d} skipped ({sk / max(ex + sk, 1):.0%})")
        for r in reports:
            for f in r["failed"]:
                print(f"    FAIL {f['property']}: {f['error'][:160]}")
        if not args.no_yardstick:
            docs_checked = examples / max(len(names), 1)
            print(f"  ratio: campaign examples/s per property {docs_checked / args.seconds:.0f} "
                  f"vs yardstick docs/s {y_rate:.0f}")
        if url.startswith("redis://"):
            print(f"  Redis holds {_keys(url)} virtconform keys afterwards")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
