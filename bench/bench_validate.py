"""Batch validation: one `virtconform validate` process vs one `xmllint --relaxng`, same files.

Two working sets of ~2,000 documents each, in temporary directories:

- **valid**: `corpus_gen.py`'s working set (the reference suite's documents, the project
  corpus and `virtconform generate` output, copied with light perturbations; all valid);
- **mixed**: the same kind of set with ~38% of the documents made invalid: a wrong
  enumeration value or number slipped into the document, or an invalid document put in
  its place (the project's corpus/invalid and `virtconform generate --invalid` output).
  Every invalid document gets located, innermost diagnostics, a cost xmllint does not pay.

Commands, run as whole processes (start-up included) on the same file list, side by
side: every round runs each command once, the order rotating between rounds (`-n`
rounds, default 7), so a load that comes and goes hits them alike:

- ``xmllint --noout --relaxng schemas/domain.rng FILES`` (default options; the yardstick);
- ``virtconform validate FILES`` as installed (install_like.py: a regular install's
  layout; what a user of `pip install virtconform` runs);
- the same through the development venv's editable install (``.venv/bin/virtconform``:
  its import hook costs every process ~15 ms of start-up);
- with ``--jobs1``, also ``validate --jobs 1`` (installed).

Wall and CPU time (user + system of the process and its workers) are printed, median and
minimum, and "virtconform takes N x the time of xmllint" from the medians (and from the
minima: the least disturbed rounds). virtconform uses all cores by default; xmllint one.
On a machine others load, the scheduler shares the cores between sessions (autogroup),
so two workers gain less than on idle cores: the load average before and after is
printed. Bytecode is cached in a temp dir as in `bench_startup.py` (`--as-is` keeps the
inherited environment). No assertions.
"""
from __future__ import annotations

import argparse
import os
import random
import re
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
from corpus_gen import REPO, build_working_set  # noqa: E402

_NAME = re.compile(rb"<name>([^<]*)</name>")
#: slips a person makes that the schema rejects: an enumeration value, a number
_SLIPS = [(re.compile(rb"bus=(['\"])(ide|virtio|scsi|fdc|usb|xen)\1"), rb"bus=\1\2e\1"),
          (re.compile(rb"<vcpu([^>]*)>\d+</vcpu>"), rb"<vcpu\1>0</vcpu>"),
          (re.compile(rb"<on_reboot>[a-z_-]+</on_reboot>"), rb"<on_reboot>reboot-now</on_reboot>"),
          (re.compile(rb"type=(['\"])(file|block|network|bridge|user)\1"), rb"type=\1\2s\1"),
          (re.compile(rb"<memory>\d+</memory>"), rb"<memory>lots</memory>")]


def _invalid_seeds(seed: int, scratch: Path) -> list[bytes]:
    """Invalid documents to put in: corpus/invalid and `virtconform generate --invalid`."""
    docs = [p.read_bytes() for p in sorted((REPO / "corpus" / "invalid").glob("*.xml"))]
    out = scratch / "generated-invalid"
    r = subprocess.run([*virtconform(), "generate", "--invalid", "--count", "100", "--seed", str(seed),
                        "--out", str(out)], capture_output=True, env=ENV)
    if r.returncode == 0 and out.is_dir():
        docs += [p.read_bytes() for p in sorted(out.glob("**/*.xml"))]
    return docs


def _slip(data: bytes, rng: random.Random) -> bytes | None:
    """``data`` with one slip the schema rejects, or None when none applies."""
    for pattern, replacement in rng.sample(_SLIPS, len(_SLIPS)):
        if pattern.search(data):
            return pattern.sub(replacement, data, count=1)
    return None


def build_mixed(directory: Path, count: int, seed: int) -> list[str]:
    """~``count`` documents in ``directory``, ~38% of them invalid; returns the paths."""
    ws = build_working_set(count, seed, directory)
    rng = random.Random(seed)
    scratch = Path(tempfile.mkdtemp(prefix="vc-bench-invalid-"))
    try:
        invalid = _invalid_seeds(seed, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for i, path in enumerate(ws.files):
        if rng.random() >= 0.38:
            continue
        p = Path(path)
        slipped = _slip(p.read_bytes(), rng) if rng.random() < 0.5 or not invalid else None
        if slipped is None and invalid:
            slipped = _NAME.sub(b"<name>m%d-\\1</name>" % i, invalid[i % len(invalid)], count=1)
        if slipped is not None:
            p.write_bytes(slipped)
    return ws.files


def timed(cmd: list[str]) -> tuple[float, float, int, bytes]:
    """Wall seconds, CPU seconds (user + system of the process and the children it
    waited for), exit status, standard error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.returncode, r.stderr


Runs = dict[str, list[tuple[float, float, int]]]


def side_by_side(cmds: dict[str, list[str]], rounds: int) -> tuple[Runs, dict[str, bytes]]:
    """Every command once per round, the order rotating; also each one's standard error."""
    errors = {label: timed(cmd)[3] for label, cmd in cmds.items()}  # page cache and bytecode
    out: Runs = {k: [] for k in cmds}
    labels = list(cmds)
    for i in range(rounds):
        k = i % len(labels)
        for label in labels[k:] + labels[:k]:
            out[label].append(timed(cmds[label])[:3])
    return out, errors


def report(title: str, runs: Runs, yardstick: str) -> None:
    print(title)
    print(f"  {'command':38s} {'wall med':>9s} {'min':>7s} {'CPU med':>8s} {'min':>7s}  exit")
    for label, rs in runs.items():
        walls, cpus = [r[0] for r in rs], [r[1] for r in rs]
        codes = ",".join(str(c) for c in sorted({r[2] for r in rs}))
        print(f"  {label:38s} {statistics.median(walls):8.3f}s {min(walls):6.3f}s"
              f" {statistics.median(cpus):7.3f}s {min(cpus):6.3f}s  {codes}")
    y = runs[yardstick]
    for label, rs in runs.items():
        if label == yardstick:
            continue
        med = statistics.median(r[0] for r in rs) / statistics.median(r[0] for r in y)
        best = min(r[0] for r in rs) / min(r[0] for r in y)
        cpu = statistics.median(r[1] for r in rs) / statistics.median(r[1] for r in y)
        print(f"  {label} takes {med:.2f}x the time of {yardstick} (medians; minima {best:.2f}x);"
              f" CPU {cpu:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", "--rounds", type=int, default=7)
    ap.add_argument("--jobs1", action="store_true", help="also run `validate --jobs 1` (installed)")
    ap.add_argument("--only", choices=["valid", "mixed"], help="one working set only")
    ap.add_argument("--no-dev", action="store_true", help="leave out the editable development install")
    ap.add_argument("--as-is", action="store_true",
                    help="keep the inherited PYTHONDONTWRITEBYTECODE (no bytecode cache)")
    args = ap.parse_args()
    if not Path(XMLLINT).exists():
        print(f"skipped: {XMLLINT} is not installed (needed as the yardstick)")
        return 0
    print(f"python: {bytecode_env(args.as_is)}")
    print(f"cores: {len(os.sched_getaffinity(0))}; load average before: "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    installed = install_like.build()
    try:
        for which in ("valid", "mixed"):
            if args.only and args.only != which:
                continue
            tmp = Path(tempfile.mkdtemp(prefix=f"vc-bench-validate-{which}-"))
            try:
                if which == "valid":
                    files = build_working_set(args.count, args.seed, tmp).files
                else:
                    files = build_mixed(tmp, args.count, args.seed)
                xl = "xmllint --noout --relaxng"
                cmds = {xl: [XMLLINT, "--noout", "--relaxng", str(SCHEMA), *files],
                        "virtconform validate (installed)": [str(installed), "validate", *files]}
                if not args.no_dev:
                    cmds["virtconform validate (editable, dev)"] = [*virtconform(), "validate", *files]
                if args.jobs1:
                    cmds["virtconform validate --jobs 1 (installed)"] = [str(installed), "validate",
                                                                          "--jobs", "1", *files]
                runs, errors = side_by_side(cmds, args.rounds)
                rejected = errors[xl].count(b" fails to validate\n")
                title = (f"{which}: {len(files)} documents, {rejected} of them invalid (xmllint);"
                         f" {args.rounds} rounds side by side")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            report(title, runs, xl)
    finally:
        install_like.remove(installed)
        if "PYTHONPYCACHEPREFIX" in ENV and not args.as_is:
            shutil.rmtree(ENV["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
