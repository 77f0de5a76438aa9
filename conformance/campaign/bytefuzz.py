"""``fuzz --bytes TARGET``: coverage-guided mutation of raw bytes into one reader of untrusted input.

The generated-document campaign only ever feeds well-formed domains; the readers of files a
user hands us (the safe XML reader with validation and the model, the ``qemu -help``
parser, the command-line parser, the qemu.conf reader) must also survive arbitrary bytes.
The engine is atheris (libFuzzer for Python, the ``atheris`` extra), run in a child process
(libFuzzer owns the process it runs in) over a seed corpus of the project's and the
reference suite's files. Every input must end in a result or a located one-line error
with the contract's exit status (1 or 2); an exception, a run over the time limit or
memory over the limit is a failure. Failures are minimized (byte deletion, time-bounded)
and written as reproducers that ``fuzz --replay`` runs again.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: CPU seconds one input may take (any reader takes milliseconds on inputs of its size limit);
#: CPU time, not wall-clock, so a busy machine does not turn slow runs into "hangs"
TIME_LIMIT = 2.0
#: libFuzzer's own wall-clock backstop (for code that never returns to Python)
WALL_LIMIT = 30
#: memory of the whole fuzzing process; libFuzzer stops it (an "oom" failure) above this
RSS_LIMIT_MB = 2048
#: longest input libFuzzer makes (the readers' own limits are larger; longer inputs reach
#: no more code, they only slow the run): above the largest seed of any corpus
MAX_LEN = 8192


class InputTimeout(Exception):
    """An input ran past TIME_LIMIT."""


@dataclass(frozen=True)
class Target:
    name: str
    what: str
    run: Callable[[str], None]           # takes the path of a file holding the input
    seeds: tuple[str, ...]               # globs under the project and the reference suite
    modules: tuple[str, ...]             # the reader's own modules (prefixes): coverage is measured there


def _xml(path: str) -> None:
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.loader import parse_domain
    from virtconform.engine.xmlio import read_document
    parse_domain(read_document(path), get_profile("libvirt-test").capabilities, validate=True).to_xml()


def _qemu_help(path: str) -> None:
    from virtconform.engine.caps.help import read_help
    read_help(path).to_json()


def _argv(path: str) -> None:
    from virtconform.conformance.cli.argv2xml import _text
    from virtconform.engine.caps.profiles import get_profile
    from virtconform.engine.qemu.argvparse import argv_to_xml
    from virtconform.engine.xmlio import read_bytes
    argv_to_xml(_text(path, read_bytes(path)), get_profile("libvirt-test").capabilities, path)


def _qemu_conf(path: str) -> None:
    from virtconform.engine.caps.qemuconf import read_qemu_conf
    conf = read_qemu_conf(path)
    conf.hugepage_path  # noqa: B018 - the derived setting the builder reads


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("xml", "safe XML reader, schema validation, domain model, formatting (xml2xml)", _xml,
           ("corpus/**/*.xml", "data/*.xml", "capabilities.xml"),
           ("virtconform.engine.xmlio", "virtconform.engine.schema", "virtconform.engine.loader",
            "virtconform.engine.model", "virtconform.engine.defaults")),
    Target("qemu-help", "the `qemu -help` parser (caps --qemu-help)", _qemu_help, ("help/*",),
           ("virtconform.engine.caps.help", "virtconform.engine.caps.fileio")),
    Target("argv", "the QEMU command-line parser (argv2xml)", _argv, ("corpus/**/*.args", "data/*.args"),
           ("virtconform.engine.qemu", "virtconform.conformance.cli.argv2xml")),
    Target("qemu-conf", "the qemu.conf reader (argv --qemu-conf)", _qemu_conf, (),
           ("virtconform.engine.caps.qemuconf", "virtconform.engine.caps.fileio")),
]}

#: qemu.conf has no files in either corpus: these cover its syntax (virConf)
_CONF_SEEDS = [
    b'vnc_listen = "0.0.0.0"\nvnc_tls = 1\nvnc_tls_x509_cert_dir = "/etc/pki/libvirt-vnc"\n',
    b"# comment\nhugetlbfs_mount = '/dev/hugepages' ; vnc_sasl = 0\n",
    b'cgroup_device_acl = [ "/dev/null", "/dev/full",\n  "/dev/zero", ]\nuser = "qemu"\n',
    b'vnc_password = """multi\nline"""\nsecurity_driver = "selinux"\nmac_filter = 1\n',
    b"unknown_key = [ 1, [ 'a', 2 ], ]\n",
]


# ---------------------------------------------------------------- one input
_SCRATCH: str | None = None


def _scratch() -> str:
    global _SCRATCH
    if _SCRATCH is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        fd, _SCRATCH = tempfile.mkstemp(prefix="virtconform-bytes-", dir=base)
        os.close(fd)
    return _SCRATCH


def _on_alarm(signum: int, frame: Any) -> None:
    raise InputTimeout(f"no result within {TIME_LIMIT:g} CPU seconds")


def run_input(target: str, data: bytes) -> str | None:
    """None when ``data`` ends as the contract says (a result, or a one-line located error
    with exit status 1 or 2); else what went wrong, one line."""
    from virtconform.engine.errors import VirtconformError
    path = _scratch()
    with open(path, "wb") as fh:
        fh.write(data)
    old = signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, TIME_LIMIT)
    try:
        with redirect_stdout(io.StringIO()):
            TARGETS[target].run(path)
    except VirtconformError as e:
        return _contract(e, path)
    except InputTimeout as e:
        return f"hang: {e}"
    except MemoryError:
        return "MemoryError: memory limit reached"
    except RecursionError as e:
        return f"RecursionError: {e}"
    except Exception as e:  # noqa: BLE001 - what the fuzzer looks for
        return f"{type(e).__name__}: {' '.join(str(e).split())}"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
    return None


def _contract(e: Any, path: str) -> str | None:
    """A refusal must be one located line with exit status 1 (invalid) or 2 (unreadable)."""
    if e.exit_status not in (1, 2):
        return f"exit status {e.exit_status} for {type(e).__name__}: {e.message}"
    line = e.format()
    if "\n" in line or "\r" in line:
        return f"diagnostic spans lines: {line!r}"
    if not e.message.strip():
        return f"{type(e).__name__} without a message"
    if e.path != path or e.line is None or e.line < 1:
        return f"unlocated {type(e).__name__} (path {e.path!r}, line {e.line}): {e.message}"
    return None


# ---------------------------------------------------------------- minimization
def minimize_bytes(target: str, data: bytes, deadline: float) -> bytes:
    """The shortest variant of ``data`` (found before ``deadline``) failing the same way:
    delete chunks, halving their size, as delta debugging does."""
    from .minimize import signature
    want = signature(run_input(target, data) or "")
    if not want or want.startswith("hang"):
        return data  # a hang costs TIME_LIMIT per try: keep it as found
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i, progress = 0, False
        while i < len(data) and time.monotonic() < deadline:
            candidate = data[:i] + data[i + chunk:]
            err = run_input(target, candidate)
            if err and signature(err) == want:
                data, progress = candidate, True
            else:
                i += chunk
        if not progress:
            chunk //= 2
    return data


# ---------------------------------------------------------------- the campaign
def seed_files(target: str) -> list[Path]:
    from virtconform.conformance.suites.shared import reference_suite
    repo = Path(__file__).resolve().parents[2]
    roots = [repo] + ([reference_suite()] if reference_suite() else [])
    out: list[Path] = []
    for root in roots:
        for pattern in TARGETS[target].seeds:
            out += sorted(p for p in root.glob(pattern) if p.is_file() and p.stat().st_size <= MAX_LEN)
    return out


def _seed_corpus(target: str, where: Path) -> int:
    where.mkdir(parents=True, exist_ok=True)
    seeds = [p.read_bytes() for p in seed_files(target)] + (_CONF_SEEDS if target == "qemu-conf" else [])
    for data in seeds:
        (where / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return len(seeds)


def atheris_missing() -> str | None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return "atheris is not installed (pip install 'virtconform[atheris]')"
    return None


def campaign(target: str, seconds: float, out: Path, progress: bool = False) -> dict[str, Any]:
    """Fuzz ``target`` for ``seconds``; failures minimized and written under ``out``."""
    from virtconform.engine.errors import UsageError

    from .minimize import signature
    from .reproducers import write_reproducer
    if target not in TARGETS:
        raise UsageError(f"unknown byte target {target} (known: {', '.join(TARGETS)})")
    missing = atheris_missing()
    if missing:
        raise UsageError(f"--bytes: {missing}")
    start = time.monotonic()
    deadline = start + seconds
    executions = runs = 0
    found: dict[str, tuple[str, bytes]] = {}
    with tempfile.TemporaryDirectory(prefix=f"virtconform-bytes-{target}-") as work:
        w = Path(work)
        seeds = _seed_corpus(target, w / "corpus")
        while time.monotonic() < deadline - 0.5:
            runs += 1
            left = deadline - time.monotonic()
            n, died = _child(target, w, left, progress)
            executions += n
            for err, data in _collect(w, died):
                found.setdefault(signature(err), (err, data))
            if not died:
                break
        failures = []
        for k, (err, data) in enumerate(found.values(), 1):
            small = minimize_bytes(target, data, time.monotonic() + max(2.0, min(30.0, 0.2 * seconds)))
            if small != data:
                err = run_input(target, small) or err
            path = write_reproducer(out, f"bytes-{target}-{k:03d}", {"target": target, "error": err, "data": small})
            failures.append({"target": target, "error": err, "reproducer": str(path), "size": len(small)})
    return {"target": target, "engine": "atheris", "executions": executions, "failures": failures,
            "seconds": round(time.monotonic() - start, 2), "seeds": seeds, "processes": runs}


def _child(target: str, work: Path, seconds: float, progress: bool) -> tuple[int, bool]:
    """Run libFuzzer for ``seconds`` in a child; (executions, whether it died early)."""
    budget = max(1, int(seconds))
    # the child sets -max_total_time itself once its imports are done, so start-up counts
    cmd = [sys.executable, "-m", "virtconform.conformance.campaign.bytefuzz", target, str(work),
           f"{time.time() + seconds:.3f}", f"-timeout={WALL_LIMIT}", f"-rss_limit_mb={RSS_LIMIT_MB}",
           f"-max_len={MAX_LEN}", f"-artifact_prefix={work}/", "-print_final_stats=1",
           "-close_fd_mask=1", str(work / "corpus")]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env, timeout=budget + 60)
    log = proc.stderr.decode("utf-8", "replace")
    if progress:
        for line in log.splitlines():
            if line.startswith("#") and ("pulse" in line or "DONE" in line):
                print(f"fuzz --bytes {target}: {line}", file=sys.stderr)
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", log) or re.search(r"Done (\d+) runs", log)
    n = int(m.group(1)) if m else _count_file(work)
    died = proc.returncode != 0 and not m
    if proc.returncode != 0 and not list(work.glob("crash-*")) + list(work.glob("timeout-*")) + \
            list(work.glob("oom-*")) and not list((work / "failures").glob("*.json")):
        # the child itself broke (not an input): say so rather than report zero failures
        tail = " ".join(log.strip().splitlines()[-1:])[:300]
        raise RuntimeError(f"fuzzing process exited {proc.returncode}: {tail}")
    return n, died


def _count_file(work: Path) -> int:
    try:
        return int((work / "executions").read_text())
    except (OSError, ValueError):
        return 0


def _collect(work: Path, died: bool) -> list[tuple[str, bytes]]:
    """Failures the child recorded, and libFuzzer's artifacts (hangs, memory, crashes)."""
    out = []
    fdir = work / "failures"
    for f in sorted(fdir.glob("*.json")) if fdir.is_dir() else []:
        rec = json.loads(f.read_text())
        out.append((rec["error"], base64.b64decode(rec["input_base64"])))
        f.unlink()
    kinds = {"timeout": "hang: over the per-input time limit (libFuzzer -timeout)",
             "oom": f"memory: over {RSS_LIMIT_MB} MB (libFuzzer -rss_limit_mb)",
             "crash": "crash: the fuzzing process died on this input", "leak": "leak"}
    for kind, what in kinds.items():
        for art in work.glob(f"{kind}-*"):
            out.append((what, art.read_bytes()))
            art.unlink()
    return out


# ---------------------------------------------------------------- the child
def outside_modules(target: str) -> list[str]:
    """The project's modules outside ``target``'s own (found on disk, none imported):
    they run uninstrumented, so coverage and the instrumentation's cost are the reader's."""
    import importlib.util
    import pkgutil
    own = TARGETS[target].modules

    def inside(name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in own)

    out: list[str] = []

    def walk(paths: list[str], prefix: str) -> None:
        for info in pkgutil.iter_modules(paths, prefix):
            if not inside(info.name):
                out.append(info.name)
            if info.ispkg:
                walk([os.path.join(p, info.name.rsplit(".", 1)[1]) for p in paths], info.name + ".")

    for top in ("virtconform.engine", "virtconform.conformance"):
        spec = importlib.util.find_spec(top)
        if spec is not None and spec.submodule_search_locations:
            if not inside(top):
                out.append(top)
            walk(list(spec.submodule_search_locations), top + ".")
    return out


def _child_main(argv: list[str]) -> None:
    import resource

    import atheris
    target, work = argv[1], Path(argv[2])
    # a hard ceiling for the address space: an input that makes a reader allocate without
    # bound ends in MemoryError (a failure) instead of taking the machine
    limit = (RSS_LIMIT_MB + 2048) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # atheris' include list names top-level packages only (all of virtconform would be
    # instrumented, at several times the cost per input): every other module is excluded
    with atheris.instrument_imports(include=["virtconform"], exclude=outside_modules(target)):
        # what every target reaches (importing is what instruments a module)
        import virtconform.conformance.cli.argv2xml  # noqa: F401
        import virtconform.engine.caps.help  # noqa: F401
        import virtconform.engine.caps.qemuconf  # noqa: F401
        import virtconform.engine.loader  # noqa: F401
        import virtconform.engine.qemu.argvparse  # noqa: F401
        import virtconform.engine.schema  # noqa: F401
    from virtconform.engine import schema
    schema.load_schema()
    fdir = work / "failures"
    fdir.mkdir(exist_ok=True)
    seen: set[str] = set()
    count = [0]

    from .minimize import signature

    def one(data: bytes) -> None:
        count[0] += 1
        err = run_input(target, data)
        if err:
            key = signature(err)
            if key not in seen and len(seen) < 100:
                seen.add(key)
                rec = {"error": err, "input_base64": base64.b64encode(data).decode()}
                (fdir / f"{len(seen):03d}.json").write_text(json.dumps(rec))
        if count[0] % 1000 == 0:
            (work / "executions").write_text(str(count[0]))

    left = max(1, int(float(argv[3]) - time.time()))
    atheris.Setup([argv[0], f"-max_total_time={left}"] + argv[4:], one)
    atheris.Fuzz()


if __name__ == "__main__":
    _child_main(sys.argv)
