"""Start-up cost: `virtconform` commands as whole processes against process yardsticks.

Each command runs N times (interleaved, so load spikes hit all of them alike); min and
median wall times and the min of CPU time (user + system) are printed, with the minima of
each command relative to ``python -c pass`` (the interpreter floor: start-up we cannot
remove) and to ``xmllint --noout --relaxng schemas/domain.rng FILE`` (a C validator incl.
schema compile; skipped when /usr/bin/xmllint is absent). Then ``-X importtime`` of each
`virtconform` command: the modules costing most (self and cumulative), and whether
rnc2rng (schema authoring only, ~150 ms) got imported. bench_callgrind.py counts the same
start-ups in instructions (repeatable under load). No assertions.
"""
from __future__ import annotations

import argparse
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
from corpus_gen import REPO, SHARED  # noqa: E402

XMLLINT = "/usr/bin/xmllint"
SCHEMA = REPO / "schemas" / "domain.rng"
HELP_DIR = SHARED / "libvirt-0.8.3" / "help"
# documents that produce an argv under qemu-0.12.1; the first one found is used
PREFERRED = [SHARED / "libvirt-0.8.3" / "data" / "disk-virtio.xml",
             SHARED / "libvirt-0.8.3" / "data" / "net-virtio.xml"]


def virtconform() -> list[str]:
    exe = Path(sys.executable).parent / "virtconform"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "virtconform.conformance.cli"]


def pick_document(vc: list[str]) -> Path | None:
    candidates = [p for p in PREFERRED if p.is_file()]
    candidates += sorted((REPO / "corpus" / "domains").glob("*.xml"))
    for p in candidates:
        r = subprocess.run([*vc, "argv", "--caps", "qemu-0.12.1", str(p)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        if r.returncode == 0:
            return p
    return None


def pick_help() -> Path | None:
    for name in ("qemu-0.12.1", "qemu-kvm-0.11.0-rc2"):
        if (HELP_DIR / name).is_file():
            return HELP_DIR / name
    return None


ENV = dict(os.environ)


def bytecode_env(as_is: bool) -> str:
    """Let child processes cache bytecode, in a temp dir (never in the tree).

    With PYTHONDONTWRITEBYTECODE set and no __pycache__ in the tree, every run
    compiles every project module from source (~70 ms), which an installed tool
    never pays. ``--as-is`` measures the inherited environment instead.
    """
    inherited = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "unset"
    if as_is:
        return f"inherited environment (PYTHONDONTWRITEBYTECODE {inherited})"
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="vc-bench-pycache-")
    return (f"bytecode cached in {ENV['PYTHONPYCACHEPREFIX']} (PYTHONDONTWRITEBYTECODE "
            f"was {inherited}; --as-is to keep it)")


def once(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, exit status, CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, r.returncode, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def importtime(cmd: list[str], top: int) -> None:
    env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    rows = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        try:
            self_us, cum_us, name = line.split(":", 1)[1].split("|")
            rows.append((int(self_us), int(cum_us), name.rstrip()[1:]))  # keep nesting indent
        except ValueError:
            continue
    names = [n.strip() for _, _, n in rows]
    total = sum(s for s, _, _ in rows)
    print(f"\nimporttime of: {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}")
    print(f"  {len(rows)} modules imported, {total / 1000:.1f} ms in module bodies (sum of self)")
    top_level = sorted((r for r in rows if not r[2].startswith(" ")), key=lambda r: -r[1])
    print(f"  top-level imports by cumulative ms (top {top}):")
    for _s, c, n in top_level[:top]:
        print(f"    {c / 1000:7.1f}  {n.strip()}")
    print(f"  modules by self ms (top {top}):")
    for s, _c, n in sorted(rows, key=lambda r: -r[0])[:top]:
        print(f"    {s / 1000:7.1f}  {n.strip()}")
    rnc = [n for n in names if n.split(".")[0] == "rnc2rng"]
    print(f"  rnc2rng imported: {'YES (' + ', '.join(rnc[:5]) + ')' if rnc else 'no'}")
    watch = ["hypothesis", "json", "xml.dom", "email", "http", "urllib", "ssl", "asyncio",
             "unittest", "typing_extensions", "importlib.metadata", "rnc2rng",
             "virtconform.conformance.grammar.walker", "virtconform.conformance.grammar.rng",
             "virtconform.conformance.grammar.regexgen", "virtconform.engine.qemu.argvparse"]
    present = [w for w in watch if w in names]
    print(f"  watch list present (modules these commands should not need; site imports urllib"
          f" for the editable install): {', '.join(present) or 'none'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=15)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--as-is", action="store_true",
                    help="keep the inherited PYTHONDONTWRITEBYTECODE (no bytecode cache)")
    args = ap.parse_args()
    note = bytecode_env(args.as_is)
    try:
        return run(args, note)
    finally:
        if "PYTHONPYCACHEPREFIX" in ENV and not args.as_is:
            shutil.rmtree(ENV["PYTHONPYCACHEPREFIX"], ignore_errors=True)


def run(args: argparse.Namespace, note: str) -> int:

    vc = virtconform()
    doc = pick_document(vc)
    if doc is None:
        print("skipped: no document found that `virtconform argv --caps qemu-0.12.1` accepts")
        return 0
    help_file = pick_help()
    print(f"document: {doc}\nqemu -help file: {help_file or 'none (caps command skipped)'}")
    print(f"python: {note}")

    cmds: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    if Path(XMLLINT).exists():
        cmds["xmllint --relaxng"] = [XMLLINT, "--noout", "--relaxng", str(SCHEMA), str(doc)]
    else:
        print(f"note: {XMLLINT} absent; xmllint yardstick skipped")
    cmds["virtconform validate"] = [*vc, "validate", str(doc)]
    cmds["virtconform argv --caps qemu-0.12.1"] = [*vc, "argv", "--caps", "qemu-0.12.1", str(doc)]
    if help_file:
        cmds["virtconform caps --qemu-help --json"] = [*vc, "caps", "--qemu-help", str(help_file),
                                                      "--json"]

    for cmd in cmds.values():  # warm bytecode and page cache
        once(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    codes: dict[str, set[int]] = {k: set() for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for _ in range(args.runs):
        for label, cmd in cmds.items():
            t, rc, cpu = once(cmd)
            times[label].append(t)
            codes[label].add(rc)
            cpus[label].append(cpu)

    py = min(times["python -c pass"])
    xl = min(times["xmllint --relaxng"]) if "xmllint --relaxng" in times else None
    py_cpu = min(cpus["python -c pass"]) or 1e-3
    print(f"\nwall time over {args.runs} interleaved runs (ms), CPU time (ms, min):")
    head = f"  {'command':38s} {'min':>7s} {'median':>7s} {'x python':>9s}"
    print(head + (f" {'x xmllint':>10s}" if xl else "") + f" {'CPU':>6s} {'x python':>9s}  exit")
    for label, ts in times.items():
        m = min(ts)
        cpu = min(cpus[label])
        row = f"  {label:38s} {1000 * m:7.1f} {1000 * statistics.median(ts):7.1f} {m / py:9.2f}"
        if xl:
            row += f" {m / xl:10.2f}"
        print(row + f" {1000 * cpu:6.1f} {cpu / py_cpu:9.2f}  {','.join(map(str, sorted(codes[label])))}")
        if label.startswith("virtconform"):
            print(f"  {'':38s} {1000 * (m - py):7.1f} ms above the interpreter floor")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    for label, cmd in cmds.items():
        if label.startswith("virtconform"):
            importtime(cmd, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
