"""Campaign throughput: N `fuzz` workers sharing one example database, beside a yardstick.

Starts a private `redis-server` on a free loopback port (or uses `--database URL|DIR`),
runs N `virtconform fuzz --json --seconds S --database ...` processes at once with
different seeds (every property that can run here: the oracle's two whenever
../shared/oracle is present), and reports:

- examples/s together (skipped and replayed examples are not examples), per worker, and
  whether the workers ran their whole budget with 0 failures; Redis' keys afterwards;
- examples per CPU-second (the workers' CPU time and their children's, the oracle's
  processes included): what the campaign costs, whatever else runs on the machine;
- the yardstick, in the same conditions (the same N processes at once, alternating with
  the campaign's rounds): generating the same kind of documents and validating them with
  lxml's RelaxNG, the floor any property pays per document. Ratio: how many documents the
  campaign takes through all its properties per second, against the yardstick's documents
  per second (so a ratio of 0.1 means checking a document costs ten generations).

The machine's load average is printed beside each round: on a shared machine the best
round (printed last) is the least disturbed. No assertions.

    python bench/bench_fuzz.py                 # 2 workers, 40 s, 1 round, private redis-server
    python bench/bench_fuzz.py --rounds 2 --seconds 20 --property argv-total
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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


def _keys(url: str) -> str:
    """The campaign's keys in Redis and how many documents each holds (Hypothesis keeps a
    set of values per key)."""
    try:
        import redis
        client = redis.Redis.from_url(url)
        keys = sorted(client.keys(b"*virtconform:*"))
        return ", ".join(f"{k.decode(errors='replace')}: {client.scard(k)}" for k in keys) or "nothing"
    except Exception as e:  # noqa: BLE001 - a figure, not a verdict
        return f"unknown ({e})"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def yardstick(workers: int, seconds: float) -> float:
    t0 = time.monotonic()
    ys = [subprocess.Popen([sys.executable, "-c", YARDSTICK, str(seconds), str(s)],
                           stdout=subprocess.PIPE, text=True) for s in range(workers)]
    docs = sum(int(p.communicate()[0]) for p in ys)
    rate = docs / (time.monotonic() - t0)
    print(f"  yardstick: {workers} processes generate + RelaxNG-validate: {docs} documents, {rate:.0f} docs/s "
          f"(load {_load()})")
    return rate


def campaign(workers: int, seconds: float, url: str, work: str, extra: list[str], seed: int) -> dict:
    cpu0, t0, load0 = _cpu(), time.monotonic(), _load()
    procs = [subprocess.Popen([sys.executable, "-m", "virtconform.conformance.cli", "fuzz", "--json",
                               "--seconds", str(seconds), "--seed", str(seed + s), "--database", url,
                               "--out", f"{work}/out", *extra], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for s in range(workers)]
    reports = [json.loads(p.communicate()[0]) for p in procs]
    wall, cpu = time.monotonic() - t0, _cpu() - cpu0
    examples = sum(r["examples"] for r in reports)
    failures = sum(r["failures"] for r in reports)
    whole = all(r["seconds"] >= seconds for r in reports)
    print(f"  campaign: {workers} workers x {seconds:g}s (seeds {seed}..{seed + workers - 1}), database {url}, "
          f"load {load0} -> {_load()}")
    print(f"    {examples} examples: {examples / seconds:.0f} examples/s together (per worker "
          f"{[round(r['examples'] / r['seconds']) for r in reports]}), {failures} failure(s), whole budget run: "
          f"{whole}; skipped {sum(r['skipped'] for r in reports)}, replayed {sum(r['replayed'] for r in reports)} "
          f"(neither counted); {wall:.1f}s wall")
    print(f"    CPU {cpu:.1f}s (workers and their oracle processes): {examples / cpu:.0f} examples per CPU-second")
    names = reports[0]["properties"]
    for n in names:
        ex = sum(r["per_property"][n]["examples"] for r in reports)
        sk = sum(r["per_property"][n]["skipped"] for r in reports)
        print(f"      {n:22s} {ex:7d} examples {sk:7d} skipped ({sk / max(ex + sk, 1):.0%})")
    for r in reports:
        for f in r["failed"]:
            print(f"      FAIL {f['property']}: {f['error'][:160]}")
    if url.startswith("redis://"):
        print(f"    Redis afterwards: {_keys(url)}")
    # every generated document goes to every property of its kind: the busiest property's
    # examples and skips are the documents
    docs = sum(max(r["per_property"][n]["examples"] + r["per_property"][n]["skipped"] for n in names)
               for r in reports)
    return {"examples_per_second": examples / seconds, "per_cpu_second": examples / cpu, "failures": failures,
            "documents_per_second": docs / seconds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--rounds", type=int, default=1, help="alternating yardstick/campaign rounds (default 1)")
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
    extra = [a for p in args.property for a in ("--property", p)]
    best: dict | None = None
    best_y = 0.0
    try:
        for k in range(args.rounds):
            print(f"round {k + 1}")
            y = 0.0 if args.no_yardstick else yardstick(args.workers, args.seconds)
            # each round starts from an empty database (a Redis DB number, or a directory of its own)
            here = (url.rsplit("/", 1)[0] + f"/{k % 16}") if url.startswith("redis://") else f"{url}-{k}"
            c = campaign(args.workers, args.seconds, here, work, extra, 100 + 10 * k)
            if y:
                print(f"    ratio: {c['documents_per_second']:.0f} documents/s through every property vs "
                      f"{y:.0f} docs/s of the yardstick = {c['documents_per_second'] / y:.2f}")
            if best is None or c["examples_per_second"] > best["examples_per_second"]:
                best, best_y = c, y
        assert best is not None
        print(f"best round: {best['examples_per_second']:.0f} examples/s together, {best['failures']} failure(s), "
              f"{best['per_cpu_second']:.0f} examples per CPU-second"
              + (f", ratio to the yardstick {best['documents_per_second'] / best_y:.2f}" if best_y else ""))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
